/**
 * Cold start of every function: `npm run bench:cold-start` bundles each function exactly as CDK bundles it
 * (`functionBundling`, test/helpers/function-bundles.ts), then starts a fresh Node process per bundle with a
 * Lambda-like environment and times (a) loading the bundle (module evaluation: everything the handler builds at
 * module scope, i.e. the function's init phase) and (b) its first invocation. It prints the bundle size next to them.
 *
 * The environment is the one the CDK stack gives the function (read from the synthesized template), with every
 * resource address replaced by a placeholder and every AWS and marketplace endpoint pointed at a closed local port:
 * nothing here can reach AWS or Microsoft. The first invocation times the handler's own first-call work (middleware,
 * lazy imports, validation, building clients) up to its first network call, and not a network:
 * - HTTP functions: their first route without credentials (answered 401/400 by the function itself), or, for a
 *   function that reads AWS first (Landing's session key), the time until that read starts;
 * - queue consumers: an empty batch;
 * - scheduled functions: a scheduled event, timed until its first AWS or Entra call starts (the first outbound
 *   connection the runner sees). The call is then refused at once and the invocation fails; the time to the failure
 *   is printed too, but it is not a deployed figure: it is mostly Node reading the 1 MB source map to print the
 *   failure's stack (`--enable-source-maps`), which a first call that succeeds never does.
 *
 * `--runs <n>` (default 5): cold starts per function, the median is printed. `--why <function id>`: the 20 biggest
 * packages of that bundle (esbuild metafile), to see what makes it big.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { FUNCTION_RUNTIME, REPO_ROOT } from '#infra/constructs/app-function.ts';
import { catalogDefine, functionBundling, toEsbuildOptions } from '#infra/constructs/function-bundling.ts';
import { FUNCTIONS, type FunctionDefinition, HTTP_ROUTES } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { ENV } from '#shared/env-names.ts';
import { bundleFunction, type FunctionBundle } from '#test/helpers/function-bundles.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** A port nothing listens on: connections are refused at once (https: the Entra authority must be). */
const NOWHERE = 'https://127.0.0.1:9';
const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';

/** Issue 14: a function's module load and first invocation, together, within this (median of the runs). */
const COLD_INIT_TARGET_MS = 200;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, why: { type: 'string' } } });
const runs = Number(values.runs);

async function benchColdStarts(): Promise<void> {
  const outdir = await mkdtemp(join(tmpdir(), 'cold-start-'));
  try {
    const environments = functionEnvironments();
    const runner = join(outdir, 'runner.mjs');
    await writeFile(runner, RUNNER);
    console.log(
      `Cold start per function: ${runs} fresh Node ${process.versions.node} processes each, median (Lambda runs ${FUNCTION_RUNTIME.name})`,
    );
    console.log(
      'function                 bundle    map     load ms  first call ms  init total ms  to failure ms  first call answer',
    );
    const overTarget: string[] = [];
    let measured = 0;
    for (const definition of FUNCTIONS) {
      const bundle = await bundleFunction(definition, outdir);
      const samples: RunResult[] = [];
      try {
        for (let run = 0; run < runs; run++) {
          samples.push(await coldStart(runner, bundle, definition, environments.get(definition.id) ?? {}));
        }
      } catch (error) {
        // A function whose module load needs AWS (a secret read at init) cannot start here, where every endpoint
        // refuses: report its size and why, and go on with the others.
        const reason =
          /\n(\w*Error: [^\n]*)/.exec((error as Error).message)?.[1] ?? (error as Error).message.split('\n')[0];
        console.log(
          [definition.id.padEnd(24), kb(bundle.bytes).padStart(7), kb(bundle.mapBytes).padStart(7)].join(' ') +
            `  did not start: ${reason}`,
        );
        overTarget.push(`${definition.id} (did not start)`);
        continue;
      }
      const load = median(samples.map((sample) => sample.loadMs));
      const first = median(samples.map((sample) => sample.firstCallMs));
      if (load + first > COLD_INIT_TARGET_MS) overTarget.push(`${definition.id} ${(load + first).toFixed(0)} ms`);
      measured++;
      const failing = samples.every((sample) => sample.toFailureMs !== undefined);
      const toFailure = failing ? median(samples.map((sample) => sample.toFailureMs ?? Number.NaN)) : undefined;
      console.log(
        [
          definition.id.padEnd(24),
          kb(bundle.bytes).padStart(7),
          kb(bundle.mapBytes).padStart(7),
          load.toFixed(0).padStart(10),
          first.toFixed(0).padStart(14),
          (load + first).toFixed(0).padStart(14),
          (toFailure === undefined ? '-' : toFailure.toFixed(0)).padStart(14),
          ` ${samples[0]?.outcome ?? ''}`,
        ].join(' '),
      );
    }
    // Issue 14's target, the median of each function against it; a miss makes the run fail (exit code 1).
    if (overTarget.length > 0) {
      console.log(`target: load + first call ≤ ${COLD_INIT_TARGET_MS} ms → MISSED by ${overTarget.join(', ')}`);
      process.exitCode = 1;
    } else {
      console.log(`target: load + first call ≤ ${COLD_INIT_TARGET_MS} ms → MET by all ${measured} functions measured`);
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

interface RunResult {
  readonly loadMs: number;
  /** From the invocation to its first outbound connection, or to its answer when it made none. */
  readonly firstCallMs: number;
  /** From the invocation to its failure, when it failed for want of AWS (see the module comment). */
  readonly toFailureMs?: number;
  readonly outcome: string;
}

function coldStart(
  runner: string,
  bundle: FunctionBundle,
  definition: FunctionDefinition,
  environment: Record<string, string>,
): Promise<RunResult> {
  const resultFile = `${bundle.file}.result.json`;
  const memory = String(definition.memoryMb ?? 256);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...environment,
    // What Lambda sets (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EXECUTION_ENV: `AWS_Lambda_${FUNCTION_RUNTIME.name}`,
    AWS_LAMBDA_FUNCTION_NAME: definition.id,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.id}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    // Nothing reachable, and no retries of a refused connection.
    AWS_ENDPOINT_URL: NOWHERE,
    AWS_MAX_ATTEMPTS: '1',
    [ENV.marketplaceApiBaseUrl]: NOWHERE,
    [ENV.entraAuthorityHost]: NOWHERE,
  };
  const event = firstEvent(definition);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(environment.NODE_OPTIONS ?? '').split(' ').filter(Boolean), runner, bundle.file, resultFile],
      { env: { ...env, NODE_OPTIONS: '', BENCH_EVENT: JSON.stringify(event) }, timeout: 60_000 },
      async (error, _stdout, stderr) => {
        if (error) {
          reject(new Error(`${definition.id} did not start: ${error.message}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(await readFile(resultFile, 'utf8')) as RunResult);
      },
    );
  });
}

/** The first invocation's event: one that needs no AWS service nor Microsoft (see the module comment). */
function firstEvent(definition: FunctionDefinition): unknown {
  const route = HTTP_ROUTES.find((candidate) => candidate.functionId === definition.id);
  if (route) {
    const method = route.methods[0] === 'ANY' ? 'GET' : (route.methods[0] ?? 'GET');
    return httpEvent(method, route.path.replace(/\{[^}]+\}/g, 'x'));
  }
  if (definition.trigger) return { Records: [] };
  return {
    version: '0',
    id: 'bench',
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    time: new Date().toISOString(),
  };
}

/**
 * Each function's environment as the stateless stack sets it, with tokens (imports, parameters) replaced by
 * placeholder values of the right shape.
 */
function functionEnvironments(): Map<string, Record<string, string>> {
  const app = testApp();
  const stateful = new StatefulStack(app, 'BenchStateful');
  const stateless = new StatelessStack(app, 'BenchStateless', { stateful, catalog: TEST_CATALOG });
  const template = Template.fromStack(stateless);
  const environments = new Map<string, Record<string, string>>();
  for (const resource of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = (resource.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    const service = String(variables.POWERTOOLS_SERVICE_NAME);
    const definition = FUNCTIONS.find((candidate) => kebab(candidate.id) === service);
    if (!definition) continue;
    environments.set(
      definition.id,
      Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, placeholder(name, value)])),
    );
  }
  return environments;
}

function placeholder(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (name.endsWith('_QUEUE_URL')) return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name.toLowerCase()}`;
  if (name.endsWith('_TOPIC_ARN')) return `arn:aws:sns:${REGION}:${ACCOUNT}:${name.toLowerCase()}`;
  if (name.endsWith('_SECRET_ARN')) return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:bench-AbCdEf`;
  if (['ENTRA_', 'PUBLISHER_ADMIN_', 'SIGN_IN_'].some((prefix) => name.startsWith(prefix)) && name.endsWith('_ID')) {
    return '00000000-0000-4000-8000-000000000000';
  }
  if (name === ENV.tableName) return 'bench-table';
  // The canary's landing page (a token of the HttpApi's id in the template): nothing reachable, like every endpoint.
  if (name === ENV.landingPageUrl) return `${NOWHERE}/landing`;
  // Where contact links point (the API's URL in the template): only used to write links, never called.
  if (name === ENV.contactLinksBaseUrl) return 'https://api.bench.example';
  // Object ids of the publisher's admins, comma-separated (a CloudFormation parameter).
  if (name === ENV.publisherAdminUsers) return '00000000-0000-4000-8000-000000000001';
  throw new Error(`No placeholder for ${name} = ${JSON.stringify(value)}: add one to the cold-start benchmark`);
}

/** The biggest packages of one bundle, from esbuild's metafile. */
async function explainBundle(functionId: string): Promise<void> {
  const definition = FUNCTIONS.find((candidate) => candidate.id === functionId);
  if (!definition) throw new Error(`No function ${functionId}; one of ${FUNCTIONS.map((f) => f.id).join(', ')}`);
  const catalog = await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'));
  const outdir = await mkdtemp(join(tmpdir(), 'bundle-why-'));
  try {
    const options = toEsbuildOptions(
      functionBundling(catalogDefine(catalog)),
      join(REPO_ROOT, definition.entry),
      join(outdir, 'index.mjs'),
    );
    const result = await build({ ...options, metafile: true });
    const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
    if (!output) throw new Error('esbuild wrote no bundle');
    const byPackage = new Map<string, number>();
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
    }
    console.log(`${functionId}: ${kb(output.bytes)} in all`);
    for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      console.log(`${kb(bytes).padStart(8)}  ${name}`);
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * Runs in the fresh process: loads the bundle, invokes its handler once, writes the timings. The handler's logs go
 * to this process's stdout, which the benchmark does not print.
 */
const RUNNER = `
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
const [bundle, resultFile] = process.argv.slice(2);
// Every outbound connection (HTTP, HTTPS through TLS) goes through net.Socket#connect: the first one after loading
// marks where the first invocation's own work ends and its I/O begins.
let loaded;
let firstIo;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (loaded !== undefined && firstIo === undefined) firstIo = performance.now();
  return connect.apply(this, args);
};
const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
loaded = performance.now();
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT}:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: '00000000-0000-4000-8000-000000000001',
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10000,
};
let outcome;
let failed = false;
try {
  const answer = await handler(JSON.parse(process.env.BENCH_EVENT), context);
  const status = answer && typeof answer === 'object' && 'statusCode' in answer ? answer.statusCode : undefined;
  failed = status !== undefined && status >= 500 && firstIo !== undefined;
  outcome = status !== undefined ? 'HTTP ' + status : 'ok ' + JSON.stringify(answer ?? null).slice(0, 40);
} catch (error) {
  failed = true;
  outcome = 'threw ' + (error?.name ?? 'error') + ' (no AWS reachable)';
}
const done = performance.now();
writeFileSync(
  resultFile,
  JSON.stringify({
    loadMs: loaded - started,
    firstCallMs: (firstIo ?? done) - loaded,
    ...(failed ? { toFailureMs: done - loaded } : {}),
    outcome: firstIo === undefined ? outcome : outcome + ', after its first AWS or Entra call',
  }),
);
process.exit(0);
`;

if (values.why) {
  await explainBundle(values.why);
} else {
  await benchColdStarts();
}
