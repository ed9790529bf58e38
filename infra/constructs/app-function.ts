import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionBundling, LAMBDA_NODE_MAJOR } from '#infra/constructs/function-bundling.ts';
import { DEFAULT_FUNCTION_MEMORY_MB } from '#infra/functions.ts';

/** Absolute path of the repository root; NodejsFunction needs absolute entry and lock-file paths. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Metrics namespace shared by every function, so one dashboard shows the whole system. */
export const METRICS_NAMESPACE = 'MarketplaceMetering';

/**
 * A metric the functions publish through Powertools (`shared/observability.ts`): this namespace, the `service`
 * dimension (the function's name in kebab case) and any other dimensions it adds.
 */
export function serviceMetric(
  service: string,
  metricName: string,
  options: { statistic: string; period: Duration; dimensions?: Record<string, string> },
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service, ...options.dimensions },
    statistic: options.statistic,
    period: options.period,
  });
}

/**
 * The Lambda runtime matching `LAMBDA_NODE_MAJOR` (the newest Node.js runtime aws-cdk-lib offers, cdk-nag
 * AwsSolutions-L1). A fixed version rather than `NODEJS_LATEST`, whose meaning changes with the aws-cdk-lib version
 * and would then change the runtime, and the bundles' target, behind a dependency update.
 */
export const FUNCTION_RUNTIME: lambda.Runtime = runtimeFor(LAMBDA_NODE_MAJOR);

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
  /** Shell commands run after bundling, given the package's output folder: files the function reads at run time. */
  readonly afterBundling?: (outputDir: string) => string[];
}

/**
 * A Lambda function with the project's defaults (STYLE §8), so stacks state only what differs: Node.js 24 on ARM64,
 * X-Ray tracing, source maps, an ESM bundle built by the local esbuild (`functionBundling`), a log group kept for one
 * month, and the Powertools service name and metrics namespace.
 *
 * Its execution role is its own and starts empty: instead of the AWS managed `AWSLambdaBasicExecutionRole` (which
 * allows writing to any log group of the account, cdk-nag AwsSolutions-IAM4) it may write only to its own log group,
 * and the X-Ray permissions sit in a policy of their own, the one place where a `*` resource is acknowledged.
 * Everything else the function may do is granted by `infra/constructs/bind.ts`.
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

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}: its own log group, X-Ray, and the grants of bind.ts`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on this log group only.
    this.logGroup.grantWrite(role);
    const tracingPolicy = new iam.Policy(this, 'TracingPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(tracingPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions: AWS requires "*". ' +
        'This policy holds only those two actions.',
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      role,
      handler: 'handler',
      description: props.description,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: FUNCTION_RUNTIME,
      // FUNCTION_ARCHITECTURE (infra/functions.ts), which the benchmarks' cost model prices.
      architecture: lambda.Architecture.ARM_64,
      // Tracing is switched on below, on the CloudFormation resource: the `tracing` option would add the X-Ray
      // statement to the role's default policy, beside the bind.ts grants, where acknowledging its `*` resource
      // would also hide any other `*` added there later.
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
        ...functionBundling(props.define),
        ...(props.afterBundling ? { commandHooks: afterBundlingHooks(props.afterBundling) } : {}),
      },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    // The function must not start before it may trace (the same ordering CDK applies for its own tracing grant).
    this.function.node.addDependency(tracingPolicy);
  }
}

/** CDK's command hooks with only the after-bundling step set. */
function afterBundlingHooks(afterBundling: (outputDir: string) => string[]) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => afterBundling(outputDir),
  };
}

function runtimeFor(nodeMajor: number): lambda.Runtime {
  const name = `nodejs${nodeMajor}.x`;
  const runtime = lambda.Runtime.ALL.find((candidate) => candidate.name === name && !candidate.isVariable);
  if (!runtime) throw new Error(`aws-cdk-lib offers no Lambda runtime ${name}: change LAMBDA_NODE_MAJOR`);
  return runtime;
}
