import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '#infra/local/free-port.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';

/**
 * `npm start` as a person runs it: a real child process with its own DynamoDB Local (data on disk) and fauxqs,
 * stopped with Ctrl-C (SIGINT to its whole process group, as a terminal does).
 */
describe('npm start', () => {
  const localDir = mkdtempSync(join(tmpdir(), 'mm-local-'));
  afterAll(() => rmSync(localDir, { recursive: true, force: true }));

  async function start(port: number): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), LOCAL_DIR: localDir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!output.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up within 60 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { child, output: () => output };
  }

  /**
   * Ctrl-C, then the time our shutdown gets to finish (it says "Stopped: …" when done): resolves with what is still
   * running after it.
   */
  async function pressCtrlC(child: ChildProcess, output: () => string): Promise<string> {
    const stoppedLines = output().split('Stopped:').length;
    process.kill(-(child.pid as number), 'SIGINT');
    const deadline = Date.now() + 20_000;
    const finished = () => output().split('Stopped:').length > stoppedLines && processesUsing(localDir) === '';
    while (!finished() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return processesUsing(localDir);
  }

  /** Processes of ours still running: anything whose command line names this run's data folder. */
  function processesUsing(folder: string): string {
    try {
      return execFileSync('pgrep', ['-af', folder], { encoding: 'utf8' }).trim();
    } catch {
      return ''; // pgrep exits 1 when nothing matches
    }
  }

  it('serves health and catalog with the printed key, the API description without one, keeps data across restarts, and leaves nothing running', async () => {
    const port = await freePort();
    const first = await start(port);
    const key = readFileSync(join(localDir, 'bootstrap-key'), 'utf8').trim();
    const auth = { authorization: `Bearer ${key}` };

    const health = await fetch(`http://127.0.0.1:${port}/health`, { headers: auth });
    const catalog = await fetch(`http://127.0.0.1:${port}/v1/catalog`, { headers: auth });
    const anonymous = await fetch(`http://127.0.0.1:${port}/v1/catalog`);
    const openapi = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    const reference = await fetch(`http://127.0.0.1:${port}/docs/api`);
    // The portal URL printed at start: without a session it sends the browser to sign in through the fake Entra.
    const portalUrl = /^\s+Portal\s+(\S+)$/m.exec(first.output())?.[1];
    const portal = await fetch(portalUrl ?? 'the Portal line is missing', { redirect: 'manual' });
    const signIn = await fetch(new URL(portal.headers.get('location') ?? '/', portalUrl), { redirect: 'manual' });
    // A path parameter that does not decode gets an answer (it used to leave the request hanging).
    const undecodable = await fetch(`http://127.0.0.1:${port}/v1/partners/p-1/contacts/%E0%A4%A/confirmation`, {
      method: 'POST',
      headers: auth,
    });

    expect(first.output()).toContain(key);
    expect(undecodable.status).toBe(400);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect(catalog.status).toBe(200);
    expect(((await catalog.json()) as { offers: unknown[] }).offers.length).toBeGreaterThan(0);
    expect(anonymous.status).toBe(401);
    expect(openapi.status).toBe(200);
    expect(await openapi.json()).toMatchObject({ openapi: '3.1.0' });
    expect(reference.status).toBe(200);
    expect(reference.headers.get('content-type')).toContain('text/html');
    expect(portalUrl).toBe(`http://127.0.0.1:${port}/portal`);
    expect(portal.status).toBe(302);
    expect(signIn.status).toBe(302);
    expect(signIn.headers.get('location')).toContain('/authorize?');
    expect(processesUsing(localDir)).toContain('DynamoDBLocal.jar');

    expect(await pressCtrlC(first.child, first.output)).toBe('');
    expect(first.output()).toContain('Stopped: HTTP server, marketplace emulator, fauxqs and DynamoDB Local are down.');

    const second = await start(port);
    const again = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: auth });

    expect(second.output()).toContain('from');
    expect(again.status).toBe(200);
    expect(await pressCtrlC(second.child, second.output)).toBe('');
    expect(second.output()).toContain(
      'Stopped: HTTP server, marketplace emulator, fauxqs and DynamoDB Local are down.',
    );
  }, 150_000);
});
