import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/**
 * The Entra canary in the local mode: on the local scheduler, against the emulator's fake Entra and the local landing
 * page, as `npm start` runs it; and the health check reporting the local secret with its expiry.
 */
describe('the Entra canary and the credential health in the local mode', () => {
  let local: TestLocalSystem;
  let key: string;

  beforeAll(async () => {
    local = await startTestLocalSystem('entra-canary');
    key = (await readFile(join(local.workDir, 'bootstrap-key'), 'utf8')).trim();
  }, 60_000);
  afterAll(() => local?.stop());

  it('runs hourly on the local clock and passes', async () => {
    const moved = await fetch(`${local.system.apiUrl}/_local/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ move: '+61m' }),
    });
    const body = (await moved.json()) as { ran: { schedule: string; ok: boolean; error?: string }[] };

    expect(moved.status).toBe(200);
    expect(body.ran.filter((run) => run.schedule === 'EntraCanary')).toEqual([
      expect.objectContaining({ schedule: 'EntraCanary', ok: true }),
    ]);
  });

  it('reports the local client secret and its expiry on GET /health', async () => {
    const health = await fetch(`${local.system.apiUrl}/health`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await health.json()) as { checks: Record<string, Record<string, unknown>> };

    expect(health.status).toBe(200);
    expect(body.checks.entraCredential).toMatchObject({ ok: true, state: 'ready' });
    expect(body.checks.entraCredential?.daysLeft).toBeGreaterThan(700);
  });
});
