import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptAll, startAnsweringServer } from './local-server.ts';

const APP = fileURLToPath(new URL('./fixtures/emit-then-wait.ts', import.meta.url));

let stop: (() => Promise<void>) | undefined;
afterEach(async () => stop?.());

describe('closeOnShutdown', () => {
  it('sends every buffered event when the process gets SIGTERM, then lets it end by that signal', async () => {
    const server = await startAnsweringServer((request) => acceptAll(request.body));
    stop = server.stop;
    const app = spawn(process.execPath, ['--import', 'tsx', APP, server.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      app.once('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve) =>
      app.stdout.on('data', (chunk: Buffer) => chunk.includes('ready') && resolve()),
    );

    expect(server.requests).toHaveLength(0);
    app.kill('SIGTERM');

    expect(await exited).toBe('SIGTERM');
    expect(server.requests.flatMap((request) => JSON.parse(request.body).events)).toHaveLength(10);
  }, 30_000);
});
