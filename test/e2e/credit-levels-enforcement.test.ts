import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#infra/local/local-system.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';
import { activateOnLandingPage } from '#test/helpers/local-landing.ts';

const PARTNER_TENANT = '7a7a7a7a-0000-4000-8000-000000000001';

/**
 * Issue 6 acceptance, end to end in the local system (all functions behind its HTTP server, the marketplace emulator
 * sending real signed webhooks to it): a reseller's customer at "approval required" asks the marketplace for a
 * pricier plan → PATCHed Failure within 10 s, rolled back, the partner alerted; after the partner approves, the same
 * change is accepted.
 */
describe('reseller credit levels enforced on marketplace plan changes', () => {
  let system: LocalSystem;
  let workDir: string;
  let publisherKey: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'credit-levels-'));
    system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `c${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    });
    publisherKey = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
  });
  afterAll(async () => {
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown, key = publisherKey) {
    const response = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /**
   * The customer buys `team` with one seat (15 USD a month, no trial) in the emulator and activates it on the local
   * landing page. Its term (one month, billed monthly) is one `basic` also sells: since 2026-07 a plan change must keep
   * the term and billing frequency (the same-term rule), so Team → Basic is a change Microsoft still allows.
   */
  async function buyThroughLandingPage(): Promise<string> {
    const bought = await system.emulator.control.purchase(
      aPurchaseInput({ planId: 'team', quantity: 1, termUnit: 'P1M', isFreeTrial: false }),
    );
    const { page, activated } = await activateOnLandingPage(system, bought);
    expect(page.status).toBe(200);
    expect(activated.status).toBe(200);
    return bought.subscriptionId;
  }

  it('refuses an unapproved price-raising change in time and tells the partner, then accepts it once approved', async () => {
    const subscriptionId = await buyThroughLandingPage();
    expect((await api('PUT', '/v1/partners/reseller-x', { name: 'Reseller X', tenantId: PARTNER_TENANT })).status).toBe(
      200,
    );
    const linked = await api('PUT', `/v1/partners/reseller-x/customers/${subscriptionId}`, {
      warning: { amount: '50.00', currency: 'USD' },
      approvalRequired: { amount: '100.00', currency: 'USD' },
      purchaseBlocked: { amount: '5000.00', currency: 'USD' },
    });
    const budget = await api('PUT', `/v1/subscriptions/${subscriptionId}/budget`, {
      plannedMonthlyAmount: { amount: '150.00', currency: 'USD' },
    });
    expect(linked.status).toBe(200);
    expect(budget.status).toBe(200);

    // Planned 150 USD > approval required (100 USD): Basic (100 USD a month) instead of Team (15 USD) needs approval.
    const started = Date.now();
    await system.emulator.control.changePlanFromPortal(subscriptionId, 'basic');
    const refused = await eventually(async () => {
      const operation = system.emulator.control.operations(subscriptionId).find((op) => op.action === 'ChangePlan');
      return operation?.status === 'Failed' ? operation : undefined;
    });

    expect(refused.status).toBe('Failed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(system.emulator.control.subscription(subscriptionId)?.planId).toBe('team');
    expect((await api('GET', `/v1/subscriptions/${subscriptionId}`)).body).toMatchObject({ planId: 'team' });
    const partnerAlerts = await eventually(async () => {
      const history = await api('GET', '/v1/alerts?recipient=partner:reseller-x');
      const alerts = (history.body.alerts ?? history.body.items ?? []) as { rule?: string }[];
      return alerts.some((alert) => JSON.stringify(alert).includes('purchaseChangeRejected')) ? alerts : undefined;
    });
    expect(partnerAlerts.length).toBeGreaterThan(0);

    const partnerKey = (
      await api('POST', '/v1/api-keys', { name: 'Reseller X', role: 'partner', partnerId: 'reseller-x' })
    ).body.token as string;
    const approval = await api(
      'POST',
      '/v1/partners/reseller-x/approvals',
      { subscriptionId, planId: 'basic', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      partnerKey,
    );
    expect(approval.status).toBe(201);

    await system.emulator.control.changePlanFromPortal(subscriptionId, 'basic');
    const stored = await eventually(async () => {
      const read = await api('GET', `/v1/subscriptions/${subscriptionId}`);
      return read.body.planId === 'basic' ? read.body : undefined;
    });

    expect(stored).toMatchObject({ planId: 'basic', status: 'Subscribed' });
    expect(system.emulator.control.subscription(subscriptionId)?.planId).toBe('basic');
  }, 90_000);
});
