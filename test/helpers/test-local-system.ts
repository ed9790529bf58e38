import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalSystem, startLocalSystem } from '#infra/local/local-system.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';

/** The whole local system of a test suite, with the folder it keeps its files in (`.local` of `npm start`). */
export interface TestLocalSystem {
  readonly system: LocalSystem;
  readonly workDir: string;
  /** Stops the system and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts the local system as `npm start` runs it (every function behind its HTTP server, the queue pollers, the
 * emulator), on the test run's DynamoDB Local and fauxqs, under a fresh table prefix and a temporary folder.
 * @param name names the folder and the first letter of the table prefix (so a left-over table says whose it is).
 * @param options.tableName runs on this existing table instead of a new one (a restore drill).
 */
export async function startTestLocalSystem(
  name: string,
  options: { readonly tableName?: string } = {},
): Promise<TestLocalSystem> {
  const workDir = await mkdtemp(join(tmpdir(), `${name}-`));
  try {
    const system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `${name.charAt(0)}${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
      ...(options.tableName ? { tableName: options.tableName } : {}),
    });
    return {
      system,
      workDir,
      stop: async () => {
        await system.stop();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}
