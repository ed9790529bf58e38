import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, REPO_ROOT, startLocalSystem } from '#infra/local/local-system.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';
import { activateOnLandingPage, signInLocally } from '#test/helpers/local-landing.ts';

const HOUR = 3_600_000;
const run = promisify(execFile);

/**
 * Issue 12 item 6, end to end through the local system's HTTP API and the emulator's control API, as the docs tell a
 * person to do it: buy, activate on the landing page, send usage over the plan's included quantity, move the one
 * local clock two hours ahead; the hour closes, the reporter runs at once, the emulator has the overage, an alert is
 * in the outbox. No waiting on real timers: the schedules run because the clock moved. Then what else follows the
 * same clock: a term anniversary (Microsoft's Renew webhook) and the 30-day deadline of a purchase never activated.
 */
describe('one local clock: the whole billing cycle in seconds', () => {
  let system: LocalSystem;
  let workDir: string;
  let key: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'local-clock-'));
    system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `k${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    });
    key = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
  }, 60_000);
  afterAll(async () => {
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** `authorization` null: no Authorization header at all. */
  async function call(url: string, method = 'GET', body?: unknown, authorization: string | null = key) {
    const response = await fetch(url, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(authorization === null ? {} : { authorization: `Bearer ${authorization}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }
  const api = (path: string, method = 'GET', body?: unknown) => call(`${system.apiUrl}${path}`, method, body);
  const emulator = (path: string, method = 'GET', body?: unknown) =>
    call(`${system.emulator.controlUrl}${path}`, method, body, null);

  it('buy, activate, use over the allowance, +2h: the overage reaches the emulator and an alert is in the outbox', async () => {
    // Buy in the emulator and activate on our landing page.
    const bought = await emulator('/purchases', 'POST', aPurchaseInput({ planId: 'basic', quantity: undefined }));
    const subscriptionId = bought.body.subscriptionId as string;
    const { page, activated } = await activateOnLandingPage(system, {
      landingUrl: bought.body.landingUrl as string,
      token: bought.body.token as string,
    });
    expect(page.status).toBe(200);
    expect(activated.status).toBe(200);
    // Basic: 100.00 USD a month with 100 api-calls included, 0.50 USD each above. Alert at 110 USD: only the overage
    // of the usage below (50 × 0.50 = 25 USD) takes the month over it.
    const budget = await api(`/v1/subscriptions/${subscriptionId}/budget`, 'PUT', {
      plannedMonthlyAmount: { amount: '110.00', currency: 'USD' },
      thresholds: ['1'],
      contacts: { emails: ['finance@customer.example'] },
    });
    expect(budget.status).toBe(200);

    // 150 api-calls now, on the local clock.
    const before = await api('/_local/clock');
    const usedAt = new Date(before.body.now as string);
    const sent = await api('/v1/usage', 'POST', {
      events: [{ subscriptionId, dimension: 'api-calls', quantity: 150, timestamp: usedAt.toISOString(), id: 'u1' }],
    });
    expect(sent).toMatchObject({ status: 202, body: { accepted: 1, rejected: 0 } });

    const moved = await api('/_local/clock', 'POST', { move: '+2h' });

    // The clock moved for the system and for the emulator alike, and the due schedules ran at once.
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now as string) - usedAt.getTime()).toBeGreaterThanOrEqual(2 * HOUR);
    expect(moved.body.ran).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ schedule: 'UsageReport', ok: true }),
        expect.objectContaining({ schedule: 'AlertChecks', ok: true }),
      ]),
    );
    const emulatorNow = Date.parse((await emulator('/clock')).body.now as string);
    expect(Math.abs(emulatorNow - system.clock.now().getTime())).toBeLessThan(1_000);
    // The closed hour's overage (150 − 100 included) was reported once, for the hour of use, on the plan bought.
    const usageHour = new Date(Math.floor(usedAt.getTime() / HOUR) * HOUR).toISOString().slice(0, 13);
    const ledger = (await emulator('/ledger')).body.events as Record<string, unknown>[];
    expect(ledger.filter((event) => event.resourceId === subscriptionId)).toEqual([
      expect.objectContaining({
        dimension: 'api-calls',
        quantity: 50,
        planId: 'basic',
        effectiveStartTime: expect.stringMatching(new RegExp(`^${usageHour}`)),
      }),
    ]);
    // The budget alert is in the local outbox (e-mail is not sent locally).
    const outbox = await eventually(async () => {
      const read = await api('/v1/outbox');
      const items = JSON.stringify(read.body);
      return items.includes(subscriptionId) ? read.body : undefined;
    });
    expect(JSON.stringify(outbox)).toMatch(/budgetThreshold/);
  }, 90_000);

  it('refuses to move back (409), a malformed move (400) and a caller without the bootstrap key (401)', async () => {
    const now = system.clock.now();

    const back = await api('/_local/clock', 'POST', { move: new Date(now.getTime() - HOUR).toISOString() });
    const minus = await api('/_local/clock', 'POST', { move: '-1h' });
    const garbled = await api('/_local/clock', 'POST', { move: 'tomorrow' });
    const anonymous = await call(`${system.apiUrl}/_local/clock`, 'POST', { move: '+1h' }, null);
    const otherKey = await call(`${system.apiUrl}/_local/clock`, 'POST', { move: '+1h' }, `${key}x`);
    const emulatorBack = await emulator('/clock', 'POST', { time: new Date(now.getTime() - HOUR).toISOString() });

    expect(back).toMatchObject({ status: 409, body: { message: expect.stringMatching(/only moves forward/) } });
    expect(minus).toMatchObject({ status: 400, body: { message: expect.stringMatching(/only moves forward/) } });
    expect(garbled).toMatchObject({ status: 400, body: { message: expect.stringMatching(/\+2h/) } });
    expect(anonymous.status).toBe(401);
    expect(otherKey.status).toBe(401);
    expect(emulatorBack.status).toBe(409);
    // Nothing moved it: the real clock's few milliseconds only.
    expect(system.clock.now().getTime() - now.getTime()).toBeLessThan(60_000);
  });

  it('moves the whole system with the emulator’s clock control and with npm run clock, past a term anniversary', async () => {
    // An auto-activated one-month plan: Subscribed at once, its Subscribe webhook verified on the local clock.
    const bought = await emulator('/purchases', 'POST', aPurchaseInput({ planId: 'instant', quantity: undefined }));
    const subscriptionId = bought.body.subscriptionId as string;
    const subscribed = await eventually(async () => {
      const read = await api(`/v1/subscriptions/${subscriptionId}`);
      return read.body.status === 'Subscribed' ? read.body : undefined;
    });
    const start = system.clock.now().getTime();

    await emulator('/clock', 'POST', { advanceMs: HOUR });
    const afterEmulator = system.clock.now().getTime();
    const cli = await run('npx', ['tsx', 'infra/tools/clock.ts', '+32d'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOCAL_DIR: workDir },
    });
    const afterCli = system.clock.now().getTime();
    const renewed = (await api(`/v1/subscriptions/${subscriptionId}`)).body;
    const webhooks = system.emulator.control
      .webhookDeliveries()
      .filter((delivery) => delivery.payload.subscriptionId === subscriptionId);

    expect(afterEmulator - start).toBeGreaterThanOrEqual(HOUR);
    expect(afterCli - afterEmulator).toBeGreaterThanOrEqual(32 * 24 * HOUR);
    // The time the CLI printed is the system's clock a moment before `afterCli` was read (not the same minute when
    // the two fall either side of a minute's turn): within a few seconds of it, never after it.
    const printed = Date.parse(/Local time {2}(\S+)/.exec(cli.stdout)?.[1] ?? '');
    expect(printed).toBeLessThanOrEqual(afterCli);
    expect(afterCli - printed).toBeLessThan(10_000);
    expect(cli.stdout).toMatch(/ran UsageReconcile/);
    // The term anniversary fell inside the move: Microsoft's Renew webhook, signed at that moment of the local clock,
    // was accepted by our webhook (its token checked against the same clock) and the next term stored.
    expect(webhooks.map((delivery) => [delivery.action, delivery.status])).toEqual([
      ['Subscribe', 200],
      ['Renew', 200],
    ]);
    const term = (view: Record<string, unknown>) => view.term as { startDate: string; endDate: string };
    expect(Date.parse(term(renewed).startDate)).toBeGreaterThan(Date.parse(term(subscribed).endDate));
    expect(Date.parse(term(renewed).startDate)).toBeLessThanOrEqual(afterCli);
  }, 60_000);

  it('the 30-day deadline follows the clock: a purchase left unactivated is deleted by Microsoft and we record it', async () => {
    // Bought, its landing page opened (we store it as pending), never activated.
    const bought = await emulator('/purchases', 'POST', aPurchaseInput({ planId: 'basic', quantity: undefined }));
    const subscriptionId = bought.body.subscriptionId as string;
    const cookie = await signInLocally(system.apiUrl, system.emulator);
    expect((await fetch(bought.body.landingUrl as string, { headers: { cookie } })).status).toBe(200);
    expect((await api(`/v1/subscriptions/${subscriptionId}`)).body.status).toBe('PendingFulfillmentStart');
    const purchasedAt = system.clock.now().getTime();

    const moved = await api('/_local/clock', 'POST', { move: '+31d' });

    expect(moved.body.ran).toContainEqual(expect.objectContaining({ schedule: 'SubscriptionSync', ok: true }));
    // Microsoft's side: deleted on day 30, on the same clock.
    const deletedAt = Date.parse((await emulator(`/subscriptions/${subscriptionId}`)).body.deletedAt as string);
    expect(deletedAt - purchasedAt).toBeGreaterThanOrEqual(30 * 24 * HOUR - 60_000);
    expect(deletedAt - purchasedAt).toBeLessThanOrEqual(30 * 24 * HOUR);
    // Ours: the sync the move ran found it gone and closed it.
    expect((await api(`/v1/subscriptions/${subscriptionId}`)).body.status).toBe('Unsubscribed');
    const audit = (await api(`/v1/subscriptions/${subscriptionId}/audit`)).body.entries as { what: string }[];
    expect(audit.map((entry) => entry.what)).toContain('PendingPurchaseExpired');
  }, 60_000);
});
