import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_FUNCTION_MEMORY_MB } from '#infra/functions.ts';

/** Absolute path of the repository root; NodejsFunction needs absolute entry and lock-file paths. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Metrics namespace shared by every function, so one dashboard shows the whole system. */
export const METRICS_NAMESPACE = 'MarketplaceMetering';

/**
 * Lets CommonJS dependencies bundled into the ESM output call `require` (esbuild's ESM output has none, and some
 * dependencies, e.g. parts of `@azure/identity`, still `require` Node built-ins).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface AppFunctionProps {
  /** Absolute path of the handler module (it must export `handler`). */
  readonly entry: string;
  /** Service name in logs, traces and metrics (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  readonly description?: string;
  /** Default 10 seconds: long enough for a DynamoDB transaction plus a marketplace call, short enough to fail fast. */
  readonly timeout?: Duration;
  /** Default `DEFAULT_FUNCTION_MEMORY_MB` (infra/functions.ts). */
  readonly memorySize?: number;
  /** Caps concurrency, e.g. to protect the marketplace API from a burst of reporters. Default: unreserved. */
  readonly reservedConcurrentExecutions?: number;
  /** Extra environment variables. Prefer `bindTable` / `bindQueue` / `bindTopic` for resource addresses. */
  readonly environment?: Readonly<Record<string, string>>;
  /** esbuild `define` substitutions: constants compiled into the bundle (values are JavaScript expressions). */
  readonly define?: Readonly<Record<string, string>>;
}

/**
 * A Lambda function with the project's defaults (STYLE §8), so stacks state only what differs: Node.js 22 on ARM64,
 * X-Ray tracing, source maps, an ESM bundle built by the local esbuild, a log group kept for one month, and the
 * Powertools service name and metrics namespace.
 */
export class AppFunction extends Construct {
  /** The function itself: pass it to `bindTable` and friends, integrations and event sources. */
  readonly function: NodejsFunction;
  /** Its log group, created here rather than through the deprecated `logRetention` custom resource. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      // Retained on stack deletion: the log events still expire after a month, so keeping the group costs
      // nothing later, while deleting it with the stack would lose the evidence of what went wrong.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      // FUNCTION_ARCHITECTURE (infra/functions.ts), which the benchmarks' cost model prices.
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? DEFAULT_FUNCTION_MEMORY_MB,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        // Lambda runs Node 22 even though local development runs on Node 20.
        target: 'node22',
        format: OutputFormat.ESM,
        // Prefer the ESM build of dependencies that ship both.
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Minifying renames classes; error names come from `new.target.name` (STYLE §6) and must survive.
        keepNames: true,
        define: props.define ? { ...props.define } : undefined,
      },
    });
  }
}
