import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useFixtureBrowser } from '#test/helpers/portal-fixture-browser.ts';
import {
  alertPage,
  DAY_PACKS,
  manyAlerts,
  PARTNER_ALERTS,
  PARTNER_ALERTS_DELIVERED,
  PARTNER_CUSTOMERS_IN_ZONE,
  PARTNER_ID,
  PARTNER_WITHOUT_ZONE,
  SUBSCRIPTION_ID,
} from '#test/helpers/portal-fixtures.ts';

/**
 * The partner page's content in a real browser against the fixture server (`test/helpers/portal-fixture-server.ts`):
 * what its alert history and day packs say, the time zone its times are shown in, the month of each largest charge,
 * and both pages' alert histories read past the API's first page. Where a test needs an answer the fixture server
 * does not give (a longer history, a partner without a zone), the browser's requests for it are answered from
 * `portal-fixtures.ts` instead, as the fixture server would.
 */

const PARTNER_PATH = `/portal/partners/${PARTNER_ID}`;
const SUBSCRIPTION_PATH = `/portal/subscriptions/${SUBSCRIPTION_ID}`;

/** `GET /v1/alerts` as the API pages it (limit 1 to 100), recording each query the page sent. */
async function serveAlertHistory(page: Page, alerts: readonly unknown[]): Promise<URLSearchParams[]> {
  const queries: URLSearchParams[] = [];
  await page.route(
    (url) => url.pathname === '/v1/alerts',
    async (route) => {
      const query = new URL(route.request().url()).searchParams;
      queries.push(query);
      const limit = Number(query.get('limit') ?? '50');
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        await route.fulfill({
          status: 400,
          json: { error: { code: 'ValidationError', message: 'limit must be from 1 to 100', field: 'limit' } },
        });
        return;
      }
      await route.fulfill({ json: alertPage(alerts, query) });
    },
  );
  return queries;
}

/** Answers one `/v1` path with `body` instead of the fixture server. */
async function serve(page: Page, path: string, body: unknown): Promise<void> {
  await page.route(
    (url) => url.pathname === path,
    (route) => route.fulfill({ json: body }),
  );
}

describe('the partner page’s content, and alert histories longer than a page, in a real browser', () => {
  const fixture = useFixtureBrowser('portal-partner-');

  /** Opens a portal page after `prepare` (routes), and waits until the script has drawn it. */
  async function open(path: string, prepare: (page: Page) => Promise<unknown> = async () => {}): Promise<Page> {
    const context = await fixture.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await prepare(page);
    await page.goto(fixture.server.url + path);
    await page.waitForSelector('body[data-ready]');
    const status = await page.evaluate<string>("document.getElementById('portal-status')?.textContent ?? ''");
    expect(await page.getAttribute('body', 'data-ready'), `${status} ${errors.join('; ')}`).toBe('true');
    return page;
  }

  /** The cells of each body row of a table, as text. (Browser code as text: the tests compile without DOM types.) */
  const cellsOf = (page: Page, selector: string) =>
    page.evaluate<string[][]>(
      `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})].map((row) => [...row.cells].map((cell) => cell.textContent ?? ''))`,
    );

  it('lists each partner alert with its time in the partner’s zone, kind, threshold, subject, state and contacts', async () => {
    for (const [lang, words] of [
      [
        'en',
        {
          time: [/^Dec 7, 2026, 08:30\sAM GMT\+9$/, /^Dec 1, 2026, 09:05\sAM GMT\+9$/],
          rules: ['Purchase change refused', 'Purchases blocked (month start)'],
          threshold: 'Approval required',
          states: ['Sent', 'Being sent'],
          sent: 'ops@reseller.example: sent',
          held: '+819011112222: waiting for the contact to confirm',
        },
      ],
      [
        'ja',
        {
          time: [/^2026年12月7日 08:30 JST$/, /^2026年12月1日 09:05 JST$/],
          rules: ['購入変更を拒否', '購入不可（月初判定）'],
          threshold: '要承認',
          states: ['送信済み', '送信中'],
          sent: 'ops@reseller.example: 送信済み',
          held: '+819011112222: 連絡先の確認待ち',
        },
      ],
    ] as const) {
      const page = await open(`${PARTNER_PATH}?lang=${lang}`, (p) => serve(p, '/v1/alerts', PARTNER_ALERTS_DELIVERED));
      const rows = await cellsOf(page, '#partner-alerts [data-alerts]');
      const [newest, older] = PARTNER_ALERTS_DELIVERED.alerts;

      expect(rows).toHaveLength(2);
      expect(rows[0]?.[0]).toMatch(words.time[0]);
      expect(rows[1]?.[0]).toMatch(words.time[1]);
      expect(rows.map((cells) => cells[1])).toEqual(words.rules);
      expect(rows[0]?.[2]).toBe(words.threshold);
      expect(rows.map((cells) => cells[3])).toEqual([newest?.subject, older?.subject]);
      expect(
        await page
          .locator('#partner-alerts [data-alert-state]')
          .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-alert-state'))),
      ).toEqual(['sent', 'pending']);
      expect(rows[0]?.[4]?.startsWith(words.states[0])).toBe(true);
      expect(rows[1]?.[4]).toBe(words.states[1]);
      // The recipient's contacts, each with what became of the alert for it.
      const contacts = page.locator('#partner-alerts tbody tr').first().locator('[data-delivery-address]');
      expect(
        await contacts.evaluateAll((items) =>
          items.map((item) => [item.getAttribute('data-delivery-address'), item.getAttribute('data-delivery-state')]),
        ),
      ).toEqual([
        ['ops@reseller.example', 'sent'],
        ['+819011112222', 'held'],
      ]);
      expect(await contacts.allTextContents()).toEqual([words.sent, words.held]);
      expect(await page.locator('[data-alerts-truncated]').count()).toBe(0);
    }
  }, 60_000);

  it('lists the fixture server’s partner alert as the API gives it, with no contact reached yet', async () => {
    const page = await open(PARTNER_PATH);
    const rows = await cellsOf(page, '#partner-alerts [data-alerts]');
    const [only] = PARTNER_ALERTS.alerts;

    expect(rows).toEqual([
      [
        expect.stringMatching(/^Dec 5, 2026, 10:00\sAM GMT\+9$/),
        'Charges over a credit level',
        'Approval required',
        only?.subject,
        'Sent',
      ],
    ]);
  }, 30_000);

  it('lists each day pack: product, days, when issued, and where, when and until when it was redeemed', async () => {
    for (const [lang, expected] of [
      [
        'en',
        [
          [
            'contoso-analytics',
            '30',
            /^Nov 1, 2026, 09:00\sAM GMT\+9$/,
            /^Nov 3, 2026, 02:00\sPM GMT\+9 for sub-adatum \(term until Dec 3, 2026\)$/,
          ],
          ['contoso-analytics', '90', /^Nov 1, 2026, 09:00\sAM GMT\+9$/, /^Not redeemed$/],
        ],
      ],
      [
        'ja',
        [
          [
            'contoso-analytics',
            '30',
            /^2026年11月1日 09:00 JST$/,
            /^2026年11月3日 14:00 JST に sub-adatum で使用（期間 2026\/12\/03 まで）$/,
          ],
          ['contoso-analytics', '90', /^2026年11月1日 09:00 JST$/, /^未使用$/],
        ],
      ],
    ] as const) {
      const page = await open(`${PARTNER_PATH}?lang=${lang}`);
      const rows = await cellsOf(page, '[data-day-packs]');

      expect(rows).toHaveLength(DAY_PACKS.dayPacks.length);
      for (const [index, cells] of expected.entries()) {
        expect(rows[index]?.slice(0, 2)).toEqual(cells.slice(0, 2));
        expect(rows[index]?.[2]).toMatch(cells[2]);
        expect(rows[index]?.[3]).toMatch(cells[3]);
      }
      expect(await page.locator('[data-day-packs] time').first().getAttribute('datetime')).toBe(
        DAY_PACKS.dayPacks[0]?.issuedAt,
      );
    }
  }, 60_000);

  it('shows times in the zone the customers’ answer counts months in, when the partner record names none', async () => {
    const page = await open(PARTNER_PATH, async (p) => {
      await serve(p, `/v1/partners/${PARTNER_ID}`, PARTNER_WITHOUT_ZONE);
      await serve(p, `/v1/partners/${PARTNER_ID}/customers`, PARTNER_CUSTOMERS_IN_ZONE);
    });

    // 03:00 UTC is noon in Tokyo.
    expect(await page.locator('#customers .as-of').textContent()).toMatch(/Dec 7, 2026, 12:00\sPM GMT\+9$/);
    expect((await cellsOf(page, '#partner-alerts [data-alerts]'))[0]?.[0]).toMatch(/GMT\+9$/);
    expect((await cellsOf(page, '[data-day-packs]'))[0]?.[2]).toMatch(/^Nov 1, 2026, 09:00\sAM GMT\+9$/);
    expect(await page.locator('main').textContent()).not.toContain('UTC');
  }, 30_000);

  it('shows each largest monthly charge with its month, in both languages', async () => {
    for (const [lang, months] of [
      ['en', ['¥48,200 (November 2026)', '¥160,000 (October 2026)', '¥210,000 (June 2026)', '¥98,000 (November 2026)']],
      ['ja', ['￥48,200（2026年11月）', '￥160,000（2026年10月）', '￥210,000（2026年6月）', '￥98,000（2026年11月）']],
    ] as const) {
      const page = await open(`${PARTNER_PATH}?lang=${lang}`, (p) =>
        serve(p, `/v1/partners/${PARTNER_ID}/customers`, PARTNER_CUSTOMERS_IN_ZONE),
      );
      const shown = page.locator('[data-customers] [data-largest-month]');

      expect(await shown.allTextContents()).toEqual(months);
      expect(await shown.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-largest-month')))).toEqual(
        PARTNER_CUSTOMERS_IN_ZONE.customers.map((customer) => customer.largestMonthlyCharge.month),
      );
      // The exact amount stays readable by machines, as in every money cell.
      expect(await shown.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value')))).toEqual(
        PARTNER_CUSTOMERS_IN_ZONE.customers.map((customer) => customer.largestMonthlyCharge.amount),
      );
    }
  }, 60_000);

  it('reads the partner’s whole alert history past the first page, following nextCursor', async () => {
    const alerts = manyAlerts(250, {
      recipient: `partner:${PARTNER_ID}`,
      newest: '2026-12-06T12:00:00Z',
      spacingHours: 2,
    });
    let queries: URLSearchParams[] = [];
    const page = await open(PARTNER_PATH, async (p) => {
      queries = await serveAlertHistory(p, alerts);
    });

    expect(await page.locator('#partner-alerts [data-alerts] tbody tr').count()).toBe(250);
    expect(await page.locator('#partner-alerts tbody tr').last().locator('time').getAttribute('datetime')).toBe(
      alerts.at(-1)?.createdAt,
    );
    expect(queries.map((query) => [query.get('recipient'), query.get('limit'), query.get('cursor')])).toEqual([
      [`partner:${PARTNER_ID}`, '100', null],
      [`partner:${PARTNER_ID}`, '100', '100'],
      [`partner:${PARTNER_ID}`, '100', '200'],
    ]);
    expect(await page.locator('[data-alerts-truncated]').count()).toBe(0);
  }, 30_000);

  it('stops at 1,000 alerts and says that older ones are left out, in both languages', async () => {
    const alerts = manyAlerts(1_050, {
      recipient: `partner:${PARTNER_ID}`,
      newest: '2026-12-06T12:00:00Z',
      spacingHours: 1,
    });
    for (const [lang, note] of [
      ['en', 'Only the 1000 newest alerts are shown; older ones are left out.'],
      ['ja', '新しい 1000 件のアラートのみを表示しています。それより古いアラートは表示していません。'],
    ] as const) {
      let queries: URLSearchParams[] = [];
      const page = await open(`${PARTNER_PATH}?lang=${lang}`, async (p) => {
        queries = await serveAlertHistory(p, alerts);
      });

      expect(await page.locator('#partner-alerts [data-alerts] tbody tr').count()).toBe(1_000);
      expect(queries).toHaveLength(10);
      expect(await page.locator('#partner-alerts [data-alerts-truncated]').textContent()).toBe(note);
    }
  }, 60_000);

  it('reads the subscription’s whole alert history for its table and its graphs’ markers', async () => {
    // 150 alerts six hours apart from 6 December back to late October: all inside the monthly graph's range.
    const alerts = manyAlerts(150, {
      recipient: 'customer:tenant-contoso',
      newest: '2026-12-06T12:00:00Z',
      spacingHours: 6,
    });
    let queries: URLSearchParams[] = [];
    const page = await open(SUBSCRIPTION_PATH, async (p) => {
      queries = await serveAlertHistory(p, alerts);
    });
    const card = page.locator('article[data-dimension="api-calls"]');
    await card.locator('button[data-granularity="month"]').click();
    const markers = await page.evaluate<number[]>("window.__portalCharts['api-calls'].markers");

    expect(queries.map((query) => [query.get('subscriptionId'), query.get('cursor')])).toEqual([
      [SUBSCRIPTION_ID, null],
      [SUBSCRIPTION_ID, '100'],
    ]);
    expect(await page.locator('#alerts [data-alerts] tbody tr').count()).toBe(150);
    expect(markers).toHaveLength(150);
    expect(markers).toContain(Date.parse(alerts.at(-1)?.createdAt ?? '') / 1000);
    expect(await page.locator('[data-alerts-truncated]').count()).toBe(0);
  }, 30_000);
});
