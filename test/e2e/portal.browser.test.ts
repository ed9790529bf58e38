import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PARTNER_TENANT_ID } from '#infra/local/emulator/entra-sign-in.ts';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { launchChromium } from '#test/helpers/browser.ts';
import { eventually } from '#test/helpers/fulfillment-flow.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';
import {
  buyForPresetCustomer,
  type PortalSystem,
  startPortalSystem,
  useAndWait as useUsageAndWait,
} from '#test/helpers/portal-system.ts';

/** Records every CSP violation the page reports; installed through DevTools, which the page's CSP does not govern. */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ': ' + (event.blockedURI || 'inline'));
  });
`;
const GRANULARITIES = ['hour', 'day', 'month'] as const;
/** A font with Japanese glyphs (.ci/run installs Noto CJK; the other names are other distributions' usual ones). */
const CJK_FONT = /CJK|JP|Gothic|Mincho|IPA|Takao|VL /i;
const PARTNER_ID = 'tokyo-reseller';

interface SeriesJson {
  readonly from: string;
  readonly to: string;
  readonly dimensions: readonly {
    readonly dimensionId: string;
    readonly points: readonly { readonly start: string; readonly quantity: string; readonly amount: string }[];
  }[];
}

/**
 * ACCEPTANCE (issue 13, points 7–9): the portal on the whole local system — the Portal function's pages and assets,
 * sign-in through the fake Entra's test-user form, the `/v1` data API with the session cookie, usage through
 * `POST /v1/usage`, the aggregator and the alert evaluation — driven by a real Chromium.
 */
describe('the customer and partner portal on the whole local system, in a real browser', () => {
  let portal: PortalSystem;
  let system: LocalSystem;
  let browser: Browser;
  let workDir: string;
  let subscriptionId: string;
  const contexts: BrowserContext[] = [];
  /** The series answers the page itself received last, by granularity (what its graphs must plot). */
  const seriesSeen = new Map<string, SeriesJson>();
  const api = (method: string, path: string, body?: unknown) => portal.api(method, path, body);
  const useAndWait = (events: { dimension: string; quantity: number }[]) =>
    useUsageAndWait(portal, subscriptionId, events);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'portal-e2e-'));
    portal = await startPortalSystem(workDir, { endpoints: localEndpoints() });
    system = portal.system;
    browser = await launchChromium();
    // Basic: 100.00 USD a month with 100 api-calls, 50 GB and 10 reports included, then 0.50 / 0.10 / 2.00 each. (The
    // fulfillment API does not tell the purchase's currency: the portal uses the budget's, else the plan's first, USD.)
    // The whole story happens on the 10th of next month from 01:00 UTC: usage in two hours of one day and one hour of
    // the next, all in one month (whatever day the suite runs), and no hour ends while the page and the test read.
    const now = system.clock.now();
    const tenth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 10, 1));
    expect((await api('POST', '/_local/clock', { move: tenth.toISOString() })).status).toBe(200);
    subscriptionId = await buyForPresetCustomer(portal);
    // Month to date: 100 flat + 40 calls over × 0.50 + 15 GB over × 0.10 + 1 report over × 2.00 = 123.50 USD.
    await useAndWait([
      { dimension: 'api-calls', quantity: 60 },
      { dimension: 'gb-processed', quantity: 20 },
    ]);
    expect((await api('POST', '/_local/clock', { move: '+2h' })).status).toBe(200);
    await useAndWait([
      { dimension: 'api-calls', quantity: 80 },
      { dimension: 'gb-processed', quantity: 45 },
    ]);
    expect((await api('POST', '/_local/clock', { move: '+1d' })).status).toBe(200);
    await useAndWait([{ dimension: 'reports', quantity: 11 }]);
  }, 180_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** A new browser profile signed in through the fake Entra's form as the preset user `label`, on `path`. */
  async function signedIn(label: string, path = '/portal'): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({
      locale: 'en-US',
      // The fake Entra serves HTTPS with a certificate generated at start, which this browser has no reason to trust.
      ignoreHTTPSErrors: true,
      viewport: { width: 1200, height: 900 },
    });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // The browser logs every 4xx answer as "Failed to load resource"; the answers themselves are checked below.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(message.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (url.pathname.endsWith('/usage/series') && response.ok()) {
        seriesSeen.set(url.searchParams.get('granularity') ?? '', (await response.json()) as SeriesJson);
      }
    });
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      // A subscription without a budget answers 404 on its budget: the page then offers an empty form.
      const noBudgetYet = response.status() === 404 && path.endsWith('/budget');
      if (response.status() >= 400 && !noBudgetYet) problems.push(`${response.status()} ${path}`);
    });
    await page.addInitScript({ content: RECORD_CSP_VIOLATIONS });
    await page.goto(system.apiUrl + path);
    expect(page.url().startsWith(system.emulator.entra.authorityHost)).toBe(true);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(system.apiUrl + path)),
      page.getByRole('button', { name: `Sign in as ${label}`, exact: true }).click(),
    ]);
    await ready(page, problems);
    return { page, problems };
  }

  /** Waits until the page's script has drawn it, failing with its status line and console errors otherwise. */
  async function ready(page: Page, problems: string[]): Promise<void> {
    await page.waitForSelector('body[data-ready]');
    const status = await page.evaluate<string>("document.getElementById('portal-status')?.textContent ?? ''");
    expect(await page.getAttribute('body', 'data-ready'), `${status} ${problems.join('; ')}`).toBe('true');
  }
  async function goto(page: Page, problems: string[], path: string): Promise<void> {
    const response = await page.goto(system.apiUrl + path);
    expect(response?.status()).toBe(200);
    // Under `no-referrer` the browser would send `Origin: null` on the page's PUT and POST, which the CSRF check refuses.
    expect(response?.headers()['referrer-policy']).toBe('same-origin');
    await ready(page, problems);
  }
  const violationsOf = (page: Page) => page.evaluate<string[]>('window.__cspViolations');
  const plotted = (page: Page, dimensionId: string) =>
    page.evaluate<number[][] | undefined>(`(() => {
      const record = window.__portalCharts[${JSON.stringify(dimensionId)}];
      return record && record.uplot.data.map((axis) => Array.from(axis));
    })()`);
  /**
   * The fonts Chromium actually drew an element's text with (DevTools' CSS.getPlatformFontsForNode): without a
   * Japanese font installed, Japanese text is drawn as empty boxes from a Latin font, which no DOM check can see.
   */
  async function fontsDrawing(page: Page, selector: string): Promise<string[]> {
    const session = await page.context().newCDPSession(page);
    try {
      await session.send('DOM.enable');
      await session.send('CSS.enable');
      const { root } = await session.send('DOM.getDocument');
      const { nodeId } = await session.send('DOM.querySelector', { nodeId: root.nodeId, selector });
      const { fonts } = await session.send('CSS.getPlatformFontsForNode', { nodeId });
      return fonts.filter((font) => font.glyphCount > 0).map((font) => font.familyName);
    } finally {
      await session.detach();
    }
  }
  async function seriousAxeViolations(page: Page): Promise<string[]> {
    for (const summary of await page.locator('details summary').all()) await summary.click();
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  }

  it('a customer signs in, finds the subscription, sees the API figures in every graph, edits the budget and gets an alert', async () => {
    const { page, problems } = await signedIn('customer');
    const subscriptionPath = `/portal/subscriptions/${subscriptionId}`;

    // Home lists the subscription; the keyboard reaches its link and opens it.
    const link = page.locator(`[data-subscription-link][href="${subscriptionPath}"]`);
    expect(await link.count()).toBe(1);
    for (let press = 0; press < 30; press += 1) {
      await page.keyboard.press('Tab');
      if (await page.evaluate<boolean>('document.activeElement?.hasAttribute("data-subscription-link") ?? false'))
        break;
    }
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("href") ?? null')).toBe(
      subscriptionPath,
    );
    expect(await seriousAxeViolations(page)).toEqual([]);
    await Promise.all([page.waitForURL(system.apiUrl + subscriptionPath), page.keyboard.press('Enter')]);
    await ready(page, problems);

    // Every graph plots exactly what the API answers a publisher's key for the same period, for each granularity.
    const dimensionIds = await page
      .locator('article[data-dimension]')
      .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-dimension') ?? ''));
    expect(dimensionIds).toEqual(['api-calls', 'gb-processed', 'reports']);
    const nonZero = { quantity: 0, amount: 0 };
    for (const granularity of GRANULARITIES) {
      const shown = seriesSeen.get(granularity);
      expect(shown, `the page asked for the ${granularity} series`).toBeDefined();
      const range = `from=${encodeURIComponent(shown?.from ?? '')}&to=${encodeURIComponent(shown?.to ?? '')}`;
      const series = (
        await api('GET', `/v1/subscriptions/${subscriptionId}/usage/series?granularity=${granularity}&${range}`)
      ).body as unknown as SeriesJson;
      expect(series.dimensions).toEqual(shown?.dimensions);
      for (const dimensionId of dimensionIds) {
        const card = page.locator(`article[data-dimension="${dimensionId}"]`);
        await card.locator(`button[data-granularity="${granularity}"]`).click();
        await card.locator('button[data-measure="quantity"]').click();
        const points = series.dimensions.find((d) => d.dimensionId === dimensionId)?.points ?? [];
        nonZero.quantity += points.filter((point) => Number(point.quantity) > 0).length;
        nonZero.amount += points.filter((point) => Number(point.amount) > 0).length;
        const chart = await plotted(page, dimensionId);
        expect(chart?.[0], `${dimensionId} ${granularity}`).toEqual(points.map((p) => Date.parse(p.start) / 1000));
        expect(chart?.[1], `${dimensionId} ${granularity}`).toEqual(points.map((p) => Number(p.quantity)));
        await card.locator('button[data-measure="money"]').click();
        expect((await plotted(page, dimensionId))?.[1], `${dimensionId} ${granularity} money`).toEqual(
          points.map((p) => Number(p.amount)),
        );
      }
      // The usage seeded is in the graphs: 140 api-calls over two hours of yesterday (the 48-hour graph reaches back
      // to both), one day, one month; 40 of them over the allowance at 0.50.
      const apiCalls = series.dimensions.find((d) => d.dimensionId === 'api-calls')?.points ?? [];
      expect(apiCalls.reduce((sum, point) => sum + Number(point.quantity), 0)).toBe(140);
      expect(apiCalls.reduce((sum, point) => sum + Number(point.amount), 0)).toBe(20);
      expect(apiCalls.filter((point) => Number(point.quantity) > 0)).toHaveLength(granularity === 'hour' ? 2 : 1);
    }
    // No graph was checked against zeros only. Usage: api-calls and gb-processed in 2 hours of one day, reports in an
    // hour of the next (5 hours, 3 day points, 3 month points); charges: each dimension in one hour, day and month.
    expect(nonZero.quantity).toBe(5 + 3 + 3);
    expect(nonZero.amount).toBe(3 + 3 + 3);

    // The glance and each allowance say what the API says.
    const usage = await api('GET', `/v1/subscriptions/${subscriptionId}/usage`);
    expect(usage.body.monthToDate).toEqual({ amount: '123.50', currency: 'USD' });
    expect(await page.locator('#glance').textContent()).toContain('$123.50');
    const allowance = await api('GET', `/v1/subscriptions/${subscriptionId}/allowance`);
    const included = allowance.body.dimensions as { dimensionId: string; included: string; used: string }[];
    expect(included.map((d) => [d.dimensionId, d.included, d.used])).toEqual([
      ['api-calls', '100', '140'],
      ['gb-processed', '50', '65'],
      ['reports', '10', '11'],
    ]);
    for (const { dimensionId, included: max, used } of included) {
      // The meter is full at the included quantity; the rest is said as overage beside it.
      const meter = page.locator(`[data-allowance="${dimensionId}"] meter`);
      expect([await meter.getAttribute('max'), await meter.getAttribute('value')], dimensionId).toEqual([
        max,
        String(Math.min(Number(used), Number(max))),
      ]);
      expect(await page.locator(`[data-allowance="${dimensionId}"] .overage`).textContent()).toContain(
        String(Number(used) - Number(max)),
      );
    }
    // The tabs work by keyboard too.
    const card = page.locator('article[data-dimension="api-calls"]');
    await card.locator('button[data-granularity="hour"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await card.locator('button[data-granularity="day"]').getAttribute('aria-selected')).toBe('true');

    // Budget: saved in the page, read back through the API.
    const form = page.locator('form[data-budget-form]');
    await form.getByLabel(/Planned monthly amount/).fill('150');
    await form.getByLabel(/Alert thresholds/).fill('50, 90, 100');
    await form.getByLabel(/E-mail addresses/).fill('billing@customer.example');
    await form.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => page.locator('[data-form-status]').textContent()).toBe('Saved.');
    const budget = await api('GET', `/v1/subscriptions/${subscriptionId}/budget`);
    expect(Number((budget.body.plannedMonthlyAmount as { amount: string }).amount)).toBe(150);
    expect(budget.body).toMatchObject({
      plannedMonthlyAmount: { currency: 'USD' },
      thresholds: ['0.5', '0.9', '1'],
      contacts: { emails: ['billing@customer.example'] },
    });

    // More usage takes the month over 90% of 150 USD (123.50 so far; 40 more calls at 0.50 → 143.50 ≥ 135, < 150):
    // the aggregator evaluates what it commits, and the page lists the alert and marks it on the graphs.
    const ninety = (alerts: { threshold?: string }[]) => alerts.filter((alert) => alert.threshold === '0.9');
    const before = await api('GET', `/v1/alerts?subscriptionId=${subscriptionId}`);
    expect(ninety(before.body.alerts as { threshold?: string }[])).toEqual([]);
    await useAndWait([{ dimension: 'api-calls', quantity: 40 }]);
    await eventually(async () => {
      const history = await api('GET', `/v1/alerts?subscriptionId=${subscriptionId}`);
      return ninety(history.body.alerts as { threshold?: string }[]).length === 1;
    }, 20_000);
    await goto(page, problems, subscriptionPath);
    const rows = await page.locator('[data-alerts] tbody tr').allTextContents();
    expect(rows.filter((row) => row.includes('90%'))).toHaveLength(1);
    const [alert] = ninety(
      (await api('GET', `/v1/alerts?subscriptionId=${subscriptionId}`)).body.alerts as {
        threshold?: string;
        createdAt: string;
      }[],
    ) as { createdAt: string }[];
    const markers = await page.evaluate<number[]>("Array.from(window.__portalCharts['api-calls'].markers)");
    expect(markers).toContain(Date.parse(alert?.createdAt ?? '') / 1000);

    // The saved budget comes back into the form on a new load.
    expect(await form.getByLabel(/Planned monthly amount/).inputValue()).toBe('150.00');
    expect((await form.getByLabel(/Alert thresholds/).inputValue()).replace(/\s/g, '')).toBe('50,90,100');
    expect(await form.getByLabel(/E-mail addresses/).inputValue()).toBe('billing@customer.example');

    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);

    // The Japanese page.
    await goto(page, problems, `${subscriptionPath}?lang=ja`);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.locator('main').textContent()).toContain('予算と連絡先');
    expect(await fontsDrawing(page, '#budget-heading')).toEqual(
      expect.arrayContaining([expect.stringMatching(CJK_FONT)]),
    );
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);

  it("a partner sees its customer and drills down; another tenant's customer sees nothing of it", async () => {
    expect(
      (await api('PUT', `/v1/partners/${PARTNER_ID}`, { name: 'Tokyo Reseller', tenantId: LOCAL_PARTNER_TENANT_ID }))
        .status,
    ).toBe(200);
    const linked = await api('PUT', `/v1/partners/${PARTNER_ID}/customers/${subscriptionId}`, {
      warning: { amount: '50.00', currency: 'USD' },
      approvalRequired: { amount: '100.00', currency: 'USD' },
      purchaseBlocked: { amount: '5000.00', currency: 'USD' },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);

    const { page, problems } = await signedIn('partner');
    const partnerPath = `/portal/partners/${PARTNER_ID}`;
    if (!page.url().endsWith(partnerPath)) {
      await Promise.all([page.waitForURL(system.apiUrl + partnerPath), page.locator('[data-partner-link]').click()]);
      await ready(page, problems);
    }
    expect(await page.locator('h1').textContent()).toContain('Tokyo Reseller');
    const customerLink = page.locator(`[data-customer-link][href="/portal/subscriptions/${subscriptionId}"]`);
    expect(await customerLink.count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    // The budget planned (150 USD) is over "approval required" (100 USD): the partner grants an approval in the page,
    // and the API and the page both list it.
    expect(await page.locator('[data-credit-state]').getAttribute('data-credit-state')).toBe('approvalRequired');
    await page.locator(`button[data-approve="${subscriptionId}"]`).click();
    await expect.poll(() => page.locator('.approval-result').textContent()).toMatch(/^Approved until /);
    const customers = await api('GET', `/v1/partners/${PARTNER_ID}/customers`);
    const [row] = customers.body.customers as { pendingApprovals: { id: string }[] }[];
    expect(row?.pendingApprovals).toHaveLength(1);
    await goto(page, problems, partnerPath);
    expect(await page.locator(`[data-approval="${row?.pendingApprovals[0]?.id}"]`).count()).toBe(1);

    await Promise.all([page.waitForURL(`**/portal/subscriptions/${subscriptionId}`), customerLink.click()]);
    await ready(page, problems);
    expect(await page.locator('article[data-dimension]').count()).toBe(3);
    expect(await page.locator('form[data-budget-form]').count()).toBe(0);
    expect(await violationsOf(page)).toEqual([]);
    // A partner may not read its customer's budget (the page then leaves the form out); nothing else was refused.
    expect(problems.filter((problem) => !/^403 .*\/budget$/.test(problem))).toEqual([]);

    // Another tenant's user, entered on the fake Entra's form.
    const context = await browser.newContext({ locale: 'en-US', ignoreHTTPSErrors: true });
    contexts.push(context);
    const stranger = await context.newPage();
    await stranger.goto(`${system.apiUrl}/portal`);
    await stranger.getByLabel('Tenant id').fill(randomUUID());
    await Promise.all([
      stranger.waitForURL(`${system.apiUrl}/portal`),
      stranger.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    const own = await stranger.request.get(`${system.apiUrl}/v1/subscriptions`);
    expect(own.status()).toBe(200);
    expect(((await own.json()) as { subscriptions: unknown[] }).subscriptions).toEqual([]);
    const theirs = await stranger.request.get(`${system.apiUrl}/v1/subscriptions/${subscriptionId}`);
    expect([403, 404]).toContain(theirs.status());
    const series = await stranger.request.get(
      `${system.apiUrl}/v1/subscriptions/${subscriptionId}/usage/series?granularity=day`,
    );
    expect([403, 404]).toContain(series.status());
  }, 120_000);
});
