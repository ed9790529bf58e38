import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_PARTNER_TENANT_ID } from '#infra/local/emulator/entra-sign-in.ts';
import { launchChromium } from '#test/helpers/browser.ts';
import {
  buyForPresetCustomer,
  type PortalSystem,
  signInThroughFakeEntra,
  startPortalSystem,
  useAndWait,
} from '#test/helpers/portal-system.ts';

/**
 * `npm run screenshots`: a full-page PNG of each portal page (home, subscription, partner) in English and Japanese,
 * written to docs/screenshots/, taken on the REAL local system started in-process (its own DynamoDB Local and fauxqs,
 * as `npm start` does): a purchase activated on the landing page, usage through `POST /v1/usage`, a budget, the alert
 * the usage raises, a partner linked to the customer; the browser signs in through the fake Entra's test-user form.
 */
const OUT_DIR = join(import.meta.dirname, '../../docs/screenshots');
const PARTNER_ID = 'tokyo-reseller';

/** The data the pictures show: one customer over its allowance and budget, and the reseller that sells to it. */
async function seed(portal: PortalSystem): Promise<string> {
  const subscriptionId = await buyForPresetCustomer(portal);
  const check = async (what: string, answer: Promise<{ status: number; body: unknown }>) => {
    const { status, body } = await answer;
    if (status !== 200) throw new Error(`${what} failed (${status}): ${JSON.stringify(body)}`);
  };
  // Usage over a few hours, the local clock moved an hour after each (the schedules run as they would), so the hourly
  // graph has a shape.
  for (const [calls, gigabytes] of [
    [30, 8],
    [45, 12],
    [20, 5],
    [60, 15],
  ] as const) {
    await useAndWait(portal, subscriptionId, [
      { dimension: 'api-calls', quantity: calls },
      { dimension: 'gb-processed', quantity: gigabytes },
    ]);
    await check('moving the clock', portal.api('POST', '/_local/clock', { move: '+1h' }));
  }
  await check(
    'the budget',
    portal.api('PUT', `/v1/subscriptions/${subscriptionId}/budget`, {
      plannedMonthlyAmount: { amount: '150.00', currency: 'USD' },
      thresholds: ['0.5', '0.8', '1'],
      contacts: { emails: ['finance@customer.example'] },
    }),
  );
  // Usage after the budget: the aggregator evaluates it and raises the threshold alerts the page lists.
  await useAndWait(portal, subscriptionId, [{ dimension: 'api-calls', quantity: 20 }]);
  await check(
    'the partner',
    // With an alert contact, so the partner page shows its state (pending: nobody follows the link here).
    portal.api('PUT', `/v1/partners/${PARTNER_ID}`, {
      name: 'Tokyo Reseller',
      tenantId: LOCAL_PARTNER_TENANT_ID,
      contacts: { emails: ['credit@reseller.example'] },
    }),
  );
  await check(
    'the credit link',
    portal.api('PUT', `/v1/partners/${PARTNER_ID}/customers/${subscriptionId}`, {
      warning: { amount: '50.00', currency: 'USD' },
      approvalRequired: { amount: '100.00', currency: 'USD' },
      purchaseBlocked: { amount: '5000.00', currency: 'USD' },
    }),
  );
  // The partner's own key grants an approval (a customer at "approval required": the budget planned is 150 USD), and
  // the next hourly check raises the partner's credit-level alert.
  const partnerKey = await portal.api('POST', '/v1/api-keys', {
    name: 'Tokyo Reseller',
    role: 'partner',
    partnerId: PARTNER_ID,
  });
  const approval = await fetch(`${portal.system.apiUrl}/v1/partners/${PARTNER_ID}/approvals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${partnerKey.body.token as string}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      subscriptionId,
      planId: 'pro',
      expiresAt: new Date(portal.system.clock.now().getTime() + 7 * 86_400_000).toISOString(),
    }),
  });
  if (approval.status !== 201) throw new Error(`the approval failed (${approval.status}): ${await approval.text()}`);
  await check('moving the clock', portal.api('POST', '/_local/clock', { move: '+1h' }));
  return subscriptionId;
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'portal-screenshots-'));
  const portal = await startPortalSystem(workDir);
  const browser = await launchChromium();
  try {
    const subscriptionId = await seed(portal);
    await mkdir(OUT_DIR, { recursive: true });
    const apiUrl = portal.system.apiUrl;
    const shots = [
      { name: 'home', user: 'customer', path: '/portal' },
      { name: 'subscription', user: 'customer', path: `/portal/subscriptions/${subscriptionId}` },
      { name: 'partner', user: 'partner', path: `/portal/partners/${PARTNER_ID}` },
    ] as const;
    for (const language of ['en', 'ja'] as const) {
      for (const { name, user, path } of shots) {
        // The fake Entra's HTTPS certificate is generated at start; this browser has no reason to trust it.
        const context = await browser.newContext({
          locale: language,
          ignoreHTTPSErrors: true,
          viewport: { width: 1280, height: 900 },
        });
        const page = await context.newPage();
        await signInThroughFakeEntra(page, apiUrl, user, path);
        await page.goto(`${apiUrl}${path}?lang=${language}`);
        await page.waitForSelector('body[data-ready="true"]');
        const file = join(OUT_DIR, `portal-${name}-${language}.png`);
        await page.screenshot({ path: file, fullPage: true });
        process.stdout.write(`wrote ${file}\n`);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await portal.system.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
