import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, REPO_ROOT } from '#infra/local/local-system.ts';
import { ENV } from '#shared/env-names.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

const run = promisify(execFile);

/** `npm run reconcile` without `--table` works on the running local system (its table and marketplace emulator). */
describe('npm run reconcile in local mode', () => {
  let local: TestLocalSystem | undefined;
  let system: LocalSystem;
  let workDir: string;

  beforeAll(async () => {
    local = await startTestLocalSystem('reconcile');
    ({ system, workDir } = local);
  });
  afterAll(async () => {
    await local?.stop();
  });

  const reconcile = (localDir: string) => {
    // A shell with Entra settings and no table: the local system's own settings must be the ones used.
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_DIR: localDir, [ENV.entraTenantId]: 'not-the-emulator' };
    delete env[ENV.tableName];
    const day = system.clock.now().toISOString().slice(0, 10);
    return run(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/tools/reconcile-usage.ts', '--from', day], {
      cwd: REPO_ROOT,
      env,
    });
  };

  it('compares the local ledger with the emulator and exits 0 when they agree', async () => {
    const { stdout } = await reconcile(workDir);

    expect(stdout).toMatch(/\d+ \(day, subscription, dimension\) compared, \d+ matched, 0 different\./);
  }, 60_000);

  it('says how to start the local system when none is running', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'reconcile-none-'));
    const failure = await reconcile(empty).catch((error: { code: number; stderr: string }) => error);
    await rm(empty, { recursive: true, force: true });

    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('start it with npm start') });
  }, 60_000);
});
