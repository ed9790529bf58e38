import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useFixtureBrowser } from '#test/helpers/portal-fixture-browser.ts';
import { FIXTURE_CSRF_TOKEN } from '#test/helpers/portal-fixture-server.ts';
import {
  ALERTS,
  ALLOWANCE,
  BUDGET,
  FIXTURE_NOW,
  PARTNER,
  PARTNER_CUSTOMERS,
  PARTNER_ID,
  PENDING_ALLOWANCE,
  PENDING_SUBSCRIPTION_ID,
  RESEND_TOO_SOON_MESSAGE,
  SERIES,
  SUBSCRIPTION_FIXTURES,
  SUBSCRIPTION_ID,
  USAGE,
  usageSeries,
} from '#test/helpers/portal-fixtures.ts';

/**
 * The portal's pages in a real browser (Debian Chromium via playwright-core) against a fixture server that serves
 * the built assets, the `portalPage()` shells with their CSP, and `/v1` answers shaped as the portal contract says.
 * The end-to-end test against the real local system is separate (it needs sign-in and the data API).
 */

/** Records every CSP violation the page reports; installed through DevTools, which the page's CSP does not govern. */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ': ' + (event.blockedURI || 'inline'));
  });
`;

const SUBSCRIPTION_PATH = `/portal/subscriptions/${SUBSCRIPTION_ID}`;
const PARTNER_PATH = `/portal/partners/${PARTNER_ID}`;
const GRANULARITIES = ['hour', 'day', 'month'] as const;
const MEASURES = ['quantity', 'money'] as const;

describe('the portal pages in a real browser', () => {
  const fixture = useFixtureBrowser('portal-browser-');

  /** Opens a portal page and waits until the script has drawn it; collects console errors. */
  async function open(
    path: string,
    locale = 'en-US',
    timezoneId?: string,
  ): Promise<{ page: Page; consoleErrors: string[] }> {
    const context = await fixture.newContext({
      locale,
      acceptDownloads: true,
      viewport: { width: 1200, height: 900 },
      ...(timezoneId ? { timezoneId } : {}),
    });
    // A missing element fails its step within seconds, naming it, instead of running into the test's timeout.
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.addInitScript({ content: RECORD_CSP_VIOLATIONS });
    const response = await page.goto(fixture.server.url + path);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-ready]');
    // The status line is gone once the page is drawn; it holds the error otherwise.
    const status = await page.evaluate<string>("document.getElementById('portal-status')?.textContent ?? ''");
    const problem = `${status} ${consoleErrors.join('; ')}`;
    expect(await page.getAttribute('body', 'data-ready'), problem).toBe('true');
    return { page, consoleErrors };
  }
  const violationsOf = (page: Page) => page.evaluate<string[]>('window.__cspViolations');

  /** What a chart plots now, read from the uPlot instance itself. */
  const plotted = (page: Page, dimensionId: string) =>
    page.evaluate<{ data: number[][]; markers: number[] } | undefined>(`(() => {
      const record = window.__portalCharts[${JSON.stringify(dimensionId)}];
      return record && { data: record.uplot.data.map((axis) => Array.from(axis)), markers: record.markers };
    })()`);

  async function choose(page: Page, dimensionId: string, granularity: string, measure: string): Promise<void> {
    const card = page.locator(`article[data-dimension="${dimensionId}"]`);
    await card.locator(`button[data-granularity="${granularity}"]`).click();
    await card.locator(`button[data-measure="${measure}"]`).click();
  }

  it('draws the subscription page in English and in Japanese, each figure with its "as of" time', async () => {
    for (const [lang, texts] of [
      ['en', ['Now, at a glance', 'Usage by dimension', 'Alert history', 'Budget and contacts', 'As of']],
      ['ja', ['現在のご利用状況', 'ディメンション別の利用量', 'アラート履歴', '予算と連絡先', '時点']],
    ] as const) {
      const { page, consoleErrors } = await open(`${SUBSCRIPTION_PATH}?lang=${lang}`);
      const body = (await page.locator('main').textContent()) ?? '';

      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.locator('h1').textContent()).toContain('Contoso Analytics 東京');
      for (const text of texts) expect(body).toContain(text);
      // An unlimited included quantity (the catalog's `reports: unlimited`) is a word, never a failed number.
      expect(body).not.toMatch(/NaN|Infinity|undefined/);
      expect(await page.locator('[data-figure="month-to-date"]').textContent()).toMatch(/27,500.*50,000.*55%/);
      expect(await page.locator('[data-figure="forecast"]').textContent()).toContain('61,000');
      // Thresholds in words: 50% reached (27,500 ≥ 25,000), 80% and 100% not.
      expect(await page.locator('[data-threshold="0.5"]').getAttribute('class')).toBe('reached');
      expect(await page.locator('[data-threshold="0.8"]').getAttribute('class')).toBe('');
      // Every figure: the glance, the breakdown, each chart and each allowance carry an "as of" time.
      expect(await page.locator('.as-of time').count()).toBeGreaterThanOrEqual(6);
      expect(await page.locator('.as-of time').first().getAttribute('datetime')).toBe(USAGE.asOf);
      expect(await violationsOf(page)).toEqual([]);
      expect(consoleErrors).toEqual([]);
    }
  }, 60_000);

  it('shows the charges of the month by dimension and flat fee, and no store fee or payout', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    const month = USAGE.months[USAGE.months.length - 1];
    const values = await page
      .locator('[data-breakdown] [data-value]')
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value')));

    expect(values).toEqual([
      ...(month?.dimensions.map((dimension) => dimension.amount.amount) ?? []),
      month?.flatFees.amount,
      month?.total.amount,
    ]);
    expect((await page.locator('main').textContent())?.toLowerCase()).not.toMatch(/store fee|payout|手数料/);
  }, 30_000);

  it('plots exactly the API figures in every graph, period and measure, with the alerts in range as markers', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    for (const dimension of SERIES.hour.dimensions) {
      for (const granularity of GRANULARITIES) {
        for (const measure of MEASURES) {
          await choose(page, dimension.dimensionId, granularity, measure);
          const series = SERIES[granularity];
          const points = series.dimensions.find((d) => d.dimensionId === dimension.dimensionId)?.points ?? [];
          const from = Date.parse(series.from);
          const to = Date.parse(series.to);
          const expectedMarkers = ALERTS.alerts
            .map((alert) => Date.parse(alert.createdAt))
            .filter((at) => at >= from && at <= to)
            .map((at) => at / 1000);

          const chart = await plotted(page, dimension.dimensionId);
          const tableValues = await page
            .locator(`[data-chart-table="${dimension.dimensionId}"] [data-value]`)
            .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value')));

          const label = `${dimension.dimensionId} ${granularity} ${measure}`;
          expect(chart?.data[0], label).toEqual(points.map((point) => Date.parse(point.start) / 1000));
          expect(chart?.data[1], label).toEqual(
            points.map((point) => Number(measure === 'quantity' ? point.quantity : point.amount)),
          );
          expect(tableValues, label).toEqual(
            points.map((point) => (measure === 'quantity' ? point.quantity : point.amount)),
          );
          expect(chart?.markers, label).toEqual(expectedMarkers);
        }
      }
    }
    // The hourly range holds only the newest alert; the daily one both.
    await choose(page, 'api-calls', 'hour', 'quantity');
    expect((await plotted(page, 'api-calls'))?.markers).toHaveLength(1);
    await choose(page, 'api-calls', 'day', 'quantity');
    expect((await plotted(page, 'api-calls'))?.markers).toHaveLength(2);
  }, 60_000);

  it('shows per dimension the included quantity used and remaining in the current term, with a meter', async () => {
    for (const [lang, term, texts] of [
      [
        'en',
        // The term is [2026-11-14, 2026-12-14) in UTC: its last day is 13 December.
        '(Nov 14, 2026 – Dec 13, 2026)',
        {
          'api-calls': (n: (value: string) => string) =>
            `Included in the current term (Nov 14, 2026 – Dec 13, 2026): ${n('10000')} calls; used ${n('6400')}, remaining ${n('3600')}.`,
          'storage-gb': () => 'This dimension has no included quantity: every unit is charged.',
          reports: (n: (value: string) => string) =>
            `Included in the current term (Nov 14, 2026 – Dec 13, 2026): unlimited; used ${n('42')} reports.`,
        },
      ],
      [
        'ja',
        '（2026/11/14 – 2026/12/13）',
        {
          'api-calls': (n: (value: string) => string) =>
            `現在の契約期間（2026/11/14 – 2026/12/13）の無料枠: ${n('10000')} calls。使用済み ${n('6400')}、残り ${n('3600')}。`,
          'storage-gb': () => 'このディメンションには無料枠がありません。すべての利用が課金対象です。',
          reports: (n: (value: string) => string) =>
            `現在の契約期間（2026/11/14 – 2026/12/13）の無料枠: 無制限。使用済み ${n('42')} reports。`,
        },
      ],
    ] as const) {
      const { page } = await open(`${SUBSCRIPTION_PATH}?lang=${lang}`);
      const number = (value: string) => new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US').format(Number(value));
      for (const entry of ALLOWANCE.dimensions) {
        const box = page.locator(`[data-allowance="${entry.dimensionId}"]`);
        const label = `${lang} ${entry.dimensionId}`;
        const expected = texts[entry.dimensionId as keyof typeof texts](number);
        expect(await box.locator('p').first().textContent(), label).toBe(expected);
        const meter = box.locator('meter');
        if (entry.included === 'unlimited' || Number(entry.included) === 0) {
          // Nothing to run out of (unlimited), or nothing included: a meter would have no sensible maximum.
          expect(await meter.count(), label).toBe(0);
        } else {
          expect(await meter.getAttribute('max'), label).toBe(entry.included);
          expect(await meter.getAttribute('value'), label).toBe(entry.used);
          expect(Number(entry.used) + Number(entry.remaining), label).toBe(Number(entry.included));
        }
      }
      expect((await page.locator('[data-allowance="api-calls"]').textContent()) ?? '').toContain(term);
    }
  }, 30_000);

  it("dates the term by the marketplace's UTC days in a budget zone west of UTC, and in a browser there", async () => {
    // The same subscription, its budget (and so its graphs) in Los Angeles: a term starting 00:00 UTC on 14 November
    // is the afternoon of 13 November there, but the marketplace's term starts on the 14th.
    const zone = 'America/Los_Angeles';
    const id = 'sub-7f3a-la';
    fixture.server.subscriptions.set(id, {
      ...SUBSCRIPTION_FIXTURES,
      subscription: { ...SUBSCRIPTION_FIXTURES.subscription, id },
      usage: { ...USAGE, subscriptionId: id, timeZone: zone },
      series: { hour: usageSeries('hour', zone), day: usageSeries('day', zone), month: usageSeries('month', zone) },
    });
    try {
      const { page } = await open(`/portal/subscriptions/${id}`, 'en-US', zone);
      expect(await page.locator('[data-allowance="api-calls"] p').first().textContent()).toContain(
        '(Nov 14, 2026 – Dec 13, 2026)',
      );
    } finally {
      fixture.server.subscriptions.delete(id);
    }
  }, 30_000);

  it('loads the page of a purchase not activated yet (no term) and says that its term has not started', async () => {
    for (const [lang, words] of [
      [
        'en',
        {
          'api-calls':
            'The term has not started yet: it starts when the purchase is activated. Each term includes 1,000 calls.',
          'storage-gb': 'This dimension has no included quantity: every unit is charged.',
          reports:
            'The term has not started yet: it starts when the purchase is activated. Each term includes unlimited use.',
        },
      ],
      [
        'ja',
        {
          'api-calls':
            '契約期間はまだ始まっていません（購入が有効化されると始まります）。各契約期間の無料枠: 1,000 calls。',
          'storage-gb': 'このディメンションには無料枠がありません。すべての利用が課金対象です。',
          reports: '契約期間はまだ始まっていません（購入が有効化されると始まります）。各契約期間の無料枠: 無制限。',
        },
      ],
    ] as const) {
      // `open` fails the test unless the page is drawn ("Could not load" otherwise).
      const { page, consoleErrors } = await open(`/portal/subscriptions/${PENDING_SUBSCRIPTION_ID}?lang=${lang}`);

      expect(PENDING_ALLOWANCE.term).toBeNull();
      for (const entry of PENDING_ALLOWANCE.dimensions) {
        const box = page.locator(`[data-allowance="${entry.dimensionId}"]`);
        expect(await box.locator('p').first().textContent(), `${lang} ${entry.dimensionId}`).toBe(
          words[entry.dimensionId],
        );
        expect(await box.locator('meter').count()).toBe(0);
      }
      expect((await page.locator('main').textContent()) ?? '').not.toMatch(/NaN|Invalid Date|undefined/);
      // No budget yet: the form starts empty.
      expect(await page.locator('form[data-budget-form]').count()).toBe(1);
      expect(consoleErrors.filter((error) => !error.includes('404'))).toEqual([]);
    }
  }, 30_000);

  it("labels each graph's y axis with the measure's unit or currency, as the table's value column", async () => {
    for (const [lang, labels] of [
      ['en', { quantity: 'Quantity (calls)', money: 'Charge (JPY)' }],
      ['ja', { quantity: '利用量（calls）', money: '料金（JPY）' }],
    ] as const) {
      const { page } = await open(`${SUBSCRIPTION_PATH}?lang=${lang}`);
      const card = page.locator('article[data-dimension="api-calls"]');
      // The heading names the dimension only: "(calls)" there was wrong when the graph shows charges.
      expect(await card.locator('h3').textContent()).toBe('API calls');
      for (const granularity of GRANULARITIES) {
        for (const measure of MEASURES) {
          await choose(page, 'api-calls', granularity, measure);
          const axisLabel = await page.evaluate<string | undefined>(
            `window.__portalCharts['api-calls'].uplot.axes[1].label`,
          );
          const column = await page.locator('[data-chart-table="api-calls"] thead th').nth(1).textContent();
          expect(axisLabel, `${lang} ${granularity} ${measure}`).toBe(labels[measure]);
          expect(axisLabel).toBe(column);
        }
      }
    }
  }, 30_000);

  it("labels the graphs' time axis in the page's language and the series' zone", async () => {
    // As uPlot calls it: (plot, splits, axis index, space, increment). 09:00 UTC is 18:00 in Tokyo; 15:00 UTC is
    // Tokyo's midnight, labelled with the date so a 48-hour graph says which day.
    const splits = [Date.parse('2026-12-06T09:00:00Z') / 1000, Date.parse('2026-12-06T15:00:00Z') / 1000];
    for (const [lang, expected] of [
      ['en', ['6 PM', '12/7']],
      ['ja', ['18時', '12/7']],
    ] as const) {
      const { page } = await open(`${SUBSCRIPTION_PATH}?lang=${lang}`);
      const labels = await page.evaluate<string[]>(`(() => {
        const u = window.__portalCharts['api-calls'].uplot;
        return u.axes[0].values(u, ${JSON.stringify(splits)}, 0, 50, 3 * 3600);
      })()`);
      // Chromium's ICU may put a narrow no-break space before "PM".
      expect(
        labels.map((label) => label.replace(/\s/g, ' ')),
        lang,
      ).toEqual(expected);
    }
  }, 30_000);

  it('downloads as CSV exactly what each graph plots, with a BOM, the local period start and the alerts per period', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    for (const dimension of SERIES.hour.dimensions) {
      for (const granularity of GRANULARITIES) {
        for (const measure of MEASURES) {
          await choose(page, dimension.dimensionId, granularity, measure);
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.locator(`button[data-csv="${dimension.dimensionId}"]`).click(),
          ]);
          const bytes = await readFile(await download.path());
          const [header, ...rows] = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
          const chart = await plotted(page, dimension.dimensionId);
          const tableAlerts = await page
            .locator(`[data-chart-table="${dimension.dimensionId}"] tbody tr td:nth-child(3)`)
            .allTextContents();

          const label = `${dimension.dimensionId} ${granularity} ${measure}`;
          // The UTF-8 byte order mark Excel needs to read the file as UTF-8 (else Shift_JIS on Japanese Windows).
          expect([...bytes.subarray(0, 3)], label).toEqual([0xef, 0xbb, 0xbf]);
          expect(download.suggestedFilename()).toBe(`${dimension.dimensionId}-${granularity}-${measure}.csv`);
          expect(header, label).toBe(
            measure === 'quantity'
              ? 'start,dimension,quantity,unit,local_start,time_zone,alerts'
              : 'start,dimension,amount,currency,local_start,time_zone,alerts',
          );
          const cells = rows.map((row) => row.split(','));
          expect(
            cells.map((cell) => Date.parse(cell[0] ?? '') / 1000),
            label,
          ).toEqual(chart?.data[0]);
          const points = SERIES[granularity].dimensions.find((d) => d.dimensionId === dimension.dimensionId)?.points;
          // The exact decimal strings of the API, not numbers printed back.
          expect(
            cells.map((cell) => cell[2]),
            label,
          ).toEqual(points?.map((point) => (measure === 'quantity' ? point.quantity : point.amount)));
          expect(
            cells.map((cell) => Number(cell[2])),
            label,
          ).toEqual(chart?.data[1]);
          expect(new Set(cells.map((cell) => cell[1])), label).toEqual(new Set([dimension.dimensionId]));
          expect(new Set(cells.map((cell) => cell[3])), label).toEqual(
            new Set([measure === 'quantity' ? dimension.unitOfMeasure : 'JPY']),
          );
          // Each period's start in Tokyo (UTC+9 all year) as the graph shows it: hour, day or month.
          expect(
            cells.map((cell) => cell[4]),
            label,
          ).toEqual(points?.map((point) => tokyoStart(point.start, granularity)));
          expect(new Set(cells.map((cell) => cell[5])), label).toEqual(new Set(['Asia/Tokyo']));
          // The alerts of each period, as the table counts them (the table leaves a period without any empty).
          expect(
            cells.map((cell) => cell[6]),
            label,
          ).toEqual(tableAlerts.map((text) => text || '0'));
          expect(
            cells.map((cell) => cell[6]),
            label,
          ).toEqual(
            points?.map((point, index) => String(alertsIn(point.start, points[index + 1]?.start, granularity))),
          );
        }
      }
    }
  }, 60_000);

  it("saves the budget with the CSRF token and shows the API's 400 message next to the field at fault", async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    const form = page.locator('form[data-budget-form]');
    const before = fixture.server.requests.length;

    // The currencies the usage answer lists, the saved budget's chosen.
    const currency = form.getByLabel('Currency', { exact: true });
    expect(await currency.locator('option').allTextContents()).toEqual(USAGE.currencies);
    expect(await currency.inputValue()).toBe(BUDGET.plannedMonthlyAmount.currency);
    await currency.selectOption('USD');
    expect(await page.getByText('Planned monthly amount (USD)').count()).toBe(1);
    await currency.selectOption('JPY');
    await form.getByLabel(/Planned monthly amount/).fill('80000');
    await form.getByLabel(/Alert thresholds/).fill('50, 90, 100, 12.5');
    await form.getByLabel(/forecast exceeds/).uncheck();
    await form.getByLabel(/Spike alert/).fill('1000');
    await form.getByLabel(/E-mail addresses/).fill('billing@contoso.example\nfinance@contoso.example');
    await form.getByLabel(/Mobile numbers/).fill('+819012345678');
    await form.getByLabel(/Language of the alerts/).selectOption('en');
    await form.getByLabel(/Time zone/).selectOption('UTC');
    await form.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => page.locator('[data-form-status]').textContent()).toBe('Saved.');

    const put = fixture.server.requests.slice(before).find((request) => request.method === 'PUT');
    expect(put?.path).toBe(`/v1/subscriptions/${SUBSCRIPTION_ID}/budget`);
    expect(put?.headers['x-csrf-token']).toBe(FIXTURE_CSRF_TOKEN);
    expect(put?.headers['content-type']).toBe('application/json');
    expect(put?.body).toEqual({
      plannedMonthlyAmount: { amount: '80000', currency: 'JPY' },
      thresholds: ['0.5', '0.9', '1', '0.125'],
      forecastAlert: false,
      spikeMinimumAmount: { amount: '1000', currency: 'JPY' },
      timeZone: 'UTC',
      locale: 'en',
      contacts: { emails: ['billing@contoso.example', 'finance@contoso.example'], phones: ['+819012345678'] },
    });

    await form.getByLabel(/Planned monthly amount/).fill('0');
    await form.getByRole('button', { name: 'Save budget' }).click();
    const fieldError = form.locator('[data-error-for="planned"]');
    await expect
      .poll(() => fieldError.textContent())
      .toBe('Could not save: the planned monthly amount must be greater than zero');
    expect(await form.getByLabel(/Planned monthly amount/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-form-status]').textContent()).toBe(
      'Could not save: the planned monthly amount must be greater than zero',
    );
    // The error is tied to its field for screen readers.
    const describedBy = (await form.getByLabel(/Planned monthly amount/).getAttribute('aria-describedby')) ?? '';
    expect(describedBy.split(' ')).toContain(await fieldError.getAttribute('id'));

    await form.getByLabel(/Planned monthly amount/).fill('50000');
    await form.getByLabel(/Mobile numbers/).fill('+819012345678\n090-1234-5678');
    await currency.selectOption('USD');
    const beforeUsd = fixture.server.requests.length;
    await form.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => form.locator('[data-error-for="phones"]').textContent()).toMatch(/E\.164/);
    expect(await fieldError.textContent()).toBe('');
    // The amounts go out in the currency chosen, not the saved budget's.
    const usdPut = fixture.server.requests.slice(beforeUsd).find((request) => request.method === 'PUT');
    expect(usdPut?.body).toMatchObject({ plannedMonthlyAmount: { amount: '50000', currency: 'USD' } });
  }, 30_000);

  it('scales the glance bar so the plan, every threshold, month to date and the forecast fit, each at its ratio', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    const planned = Number(BUDGET.plannedMonthlyAmount.amount);
    const thresholds = BUDGET.thresholds.map((fraction) => Number(fraction) * planned);
    const forecast = Number(USAGE.forecast.amount);
    const monthToDate = Number(USAGE.monthToDate.amount);
    // 150% of 50,000 is 75,000: beyond the 61,000 forecast, so the bar spans it.
    const scale = Math.max(planned, forecast, monthToDate, ...thresholds);
    expect(scale).toBe(75_000);

    const bar = await glanceGeometry(page);
    expectAt(bar.width, bar.fill, monthToDate / scale, 'month to date');
    expect(bar.ticks.map((tick) => tick.kind)).toEqual([...BUDGET.thresholds.map(() => 'threshold'), 'forecast']);
    BUDGET.thresholds.forEach((fraction, index) => {
      const tick = bar.ticks[index];
      expect(tick?.fraction).toBe(fraction);
      expectAt(bar.width, tick?.at ?? Number.NaN, (Number(fraction) * planned) / scale, `threshold ${fraction}`);
    });
    expectAt(bar.width, bar.ticks.at(-1)?.at ?? Number.NaN, forecast / scale, 'forecast');
  }, 30_000);

  it('shows the saved plan and thresholds in the glance right after saving, without a reload', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    const form = page.locator('form[data-budget-form]');
    const before = fixture.server.requests.length;
    await form.getByLabel(/Planned monthly amount/).fill('80000');
    await form.getByLabel(/Alert thresholds/).fill('50, 90');
    await form.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => page.locator('[data-form-status]').textContent()).toBe('Saved.');

    expect(await page.locator('[data-figure="month-to-date"]').textContent()).toMatch(/27,500.*80,000.*34\.4%/);
    expect(
      await page.locator('#glance [data-threshold]').evaluateAll((items) => items.map((li) => li.dataset.threshold)),
    ).toEqual(['0.5', '0.9']);
    // Usage is read again: its currency and month follow the budget's.
    expect(fixture.server.requests.slice(before).map((request) => `${request.method} ${request.path}`)).toContain(
      `GET /v1/subscriptions/${SUBSCRIPTION_ID}/usage?months=1`,
    );
    // The bar now spans the new plan (80,000, above the forecast and the 90% threshold); with no 100% threshold the
    // plan has a tick of its own.
    const scale = 80_000;
    const bar = await glanceGeometry(page);
    expectAt(bar.width, bar.fill, 27_500 / scale, 'month to date');
    expect(bar.ticks.map((tick) => tick.kind)).toEqual(['threshold', 'threshold', 'planned', 'forecast']);
    expectAt(bar.width, bar.ticks[0]?.at ?? Number.NaN, 40_000 / scale, 'threshold 50%');
    expectAt(bar.width, bar.ticks[1]?.at ?? Number.NaN, 72_000 / scale, 'threshold 90%');
    expectAt(bar.width, bar.ticks[2]?.at ?? Number.NaN, 1, 'planned');
    expectAt(bar.width, bar.ticks[3]?.at ?? Number.NaN, 61_000 / scale, 'forecast');
  }, 30_000);

  it("on the Japanese page, leads a refused save with Japanese words and gives the API's message as the detail", async () => {
    const { page } = await open(`${SUBSCRIPTION_PATH}?lang=ja`);
    const form = page.locator('form[data-budget-form]');
    await form.getByLabel(/^利用予定金額（月額）/).fill('0');
    await form.getByRole('button', { name: '予算を保存' }).click();

    const fieldError = form.locator('[data-error-for="planned"]');
    const expected = '保存できませんでした: the planned monthly amount must be greater than zero';
    await expect.poll(() => fieldError.textContent()).toBe(expected);
    expect(await page.locator('[data-form-status]').textContent()).toBe(expected);
    // The API's English words are marked as English, so a screen reader on the Japanese page reads them as such.
    expect(await fieldError.locator('[lang="en"]').textContent()).toBe(
      'the planned monthly amount must be greater than zero',
    );
  }, 30_000);

  it('fills the budget form from the saved budget', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    const form = page.locator('form[data-budget-form]');

    expect(await form.getByLabel(/Planned monthly amount/).inputValue()).toBe(BUDGET.plannedMonthlyAmount.amount);
    expect(await form.getByLabel(/Alert thresholds/).inputValue()).toBe('50, 80, 100, 150');
    expect(await form.getByLabel(/E-mail addresses/).inputValue()).toBe(BUDGET.contacts.emails.join('\n'));
    expect(await form.getByLabel(/Time zone/).inputValue()).toBe(BUDGET.timeZone);
    expect(await form.getByLabel(/Language of the alerts/).inputValue()).toBe('ja');
  }, 30_000);

  it("shows each contact's delivery state next to the budget's contacts, in both languages", async () => {
    for (const [lang, texts] of [
      ['en', ['confirmed: receives alerts (no Usage spike alerts)', 'confirmation pending']],
      ['ja', ['確認済み: アラートが届きます (利用の急増 のアラートは停止中)', '確認待ち']],
    ] as const) {
      const { page } = await open(`${SUBSCRIPTION_PATH}?lang=${lang}`);
      const items = page.locator('form[data-budget-form] [data-contact-states] li');

      expect(await items.count()).toBe(BUDGET.contactStates.length);
      expect(await items.nth(0).getAttribute('data-contact-status')).toBe('active');
      expect(await items.nth(0).textContent()).toContain('billing@contoso.example');
      expect(await items.nth(0).textContent()).toContain(texts[0]);
      expect(await items.nth(1).getAttribute('data-contact-status')).toBe('pending');
      expect(await items.nth(1).textContent()).toContain(texts[1]);
    }
  }, 30_000);

  it('lists the alert history with the rules named in the page language', async () => {
    const { page } = await open(`${SUBSCRIPTION_PATH}?lang=ja`);
    const rules = await page.locator('[data-alerts] [data-rule]').allTextContents();

    expect(rules).toEqual(['予算のしきい値に到達', '利用の急増']);
    expect(await page.locator('[data-alerts] tbody tr').first().textContent()).toContain('50%');
  }, 30_000);

  it('shows the partner page in both languages: customers, credit states, approvals, alerts and day packs', async () => {
    for (const [lang, states] of [
      ['en', ['OK', 'Approval required', 'Purchase blocked', 'Warning']],
      ['ja', ['正常', '要承認', '購入不可', '警告']],
    ] as const) {
      const { page, consoleErrors } = await open(`${PARTNER_PATH}?lang=${lang}`);
      const rows = page.locator('[data-customers] tbody tr');

      expect(await page.locator('h1').textContent()).toContain('Tokyo Cloud Reseller');
      expect(await rows.count()).toBe(PARTNER_CUSTOMERS.customers.length);
      const shownStates = await page.locator('[data-credit-state]').allTextContents();
      expect(shownStates.map((text) => text.replace(/^\S+\s/, ''))).toEqual(states);
      expect(
        await page
          .locator('[data-credit-state]')
          .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-credit-state'))),
      ).toEqual(PARTNER_CUSTOMERS.customers.map((customer) => customer.creditState));
      const firstRowValues = await rows
        .first()
        .locator('[data-value]')
        .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value')));
      const first = PARTNER_CUSTOMERS.customers[0];
      expect(firstRowValues).toEqual([
        first?.provisionalCredit.amount,
        first?.monthToDate.amount,
        first?.largestMonthlyCharge.amount,
      ]);
      expect(
        await page.locator('[data-customer-link]').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
      ).toEqual(PARTNER_CUSTOMERS.customers.map((customer) => `/portal/subscriptions/${customer.subscriptionId}`));
      expect(await page.locator('[data-approvals] tbody tr').count()).toBe(1);
      expect(await page.locator('[data-day-packs] tbody tr').count()).toBe(2);
      expect(await page.locator('[data-alerts] tbody tr').count()).toBe(1);
      if (lang === 'ja') expect(await page.locator('main').textContent()).toContain('デイパック');
      expect(await violationsOf(page)).toEqual([]);
      expect(consoleErrors).toEqual([]);
    }
  }, 60_000);

  it('lists the approvals granted and grants one to a customer at "approval required", with the CSRF token', async () => {
    const { page } = await open(PARTNER_PATH);
    const before = fixture.server.requests.length;

    expect(await page.locator('[data-approvals] [data-approval="approval-1"]').textContent()).toMatch(
      /^plan enterprise, 20 seats until /,
    );
    await page.getByRole('button', { name: 'Approve for 7 days: Fabrikam' }).click();
    await expect.poll(() => page.locator('.approval-result').textContent()).toMatch(/^Approved until /);

    const post = fixture.server.requests.slice(before).find((request) => request.method === 'POST');
    const body = post?.body as { subscriptionId: string; expiresAt: string };
    expect(post?.path).toBe(`/v1/partners/${PARTNER_ID}/approvals`);
    expect(post?.headers['x-csrf-token']).toBe(FIXTURE_CSRF_TOKEN);
    // Any plan or seat change: the customer's request is not known here, only that its changes are being refused.
    expect({ ...body, expiresAt: undefined }).toEqual({ subscriptionId: 'sub-fabrikam', expiresAt: undefined });
    // Seven days from the server's time (the answer's asOf), not the browser's: a client clock days off would grant a
    // shorter approval, or one already expired.
    expect(body.expiresAt).toBe(new Date(Date.parse(FIXTURE_NOW) + 7 * 86_400_000).toISOString());
  }, 30_000);

  it("shows the partner's alert contacts with their states and asks one to confirm again, with the CSRF token", async () => {
    for (const [lang, words] of [
      ['en', ['confirmed', 'unsubscribed', 'bounced', 'spam', 'confirmation pending']],
      ['ja', ['確認済み', '配信停止済み', '不達', '迷惑メール', '確認待ち']],
    ] as const) {
      const { page, consoleErrors } = await open(`${PARTNER_PATH}?lang=${lang}`);
      const items = page.locator('#partner-contacts [data-contact-states] li');

      expect(await items.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-contact-status')))).toEqual(
        PARTNER.contactStates.map((state) => state.status),
      );
      const texts = await items.allTextContents();
      for (const [index, word] of words.entries()) expect(texts[index]).toContain(word);
      // Every contact that gets no alerts has a button; the active one has none.
      expect(
        await page
          .locator('#partner-contacts [data-resend]')
          .evaluateAll((b) => b.map((x) => x.getAttribute('data-resend'))),
      ).toEqual(PARTNER.contactStates.filter((state) => state.status !== 'active').map((state) => state.address));
      expect(consoleErrors).toEqual([]);
    }

    const { page } = await open(PARTNER_PATH);
    const before = fixture.server.requests.length;
    await page.getByRole('button', { name: 'Send the confirmation again: credit@reseller.example' }).click();
    await expect
      .poll(() => page.locator('[data-resend-result="credit@reseller.example"]').textContent())
      .toMatch(/^Sent at .*alerts start again once the person confirms/);
    const item = page.locator('#partner-contacts li', { hasText: 'credit@reseller.example' });
    expect(await item.getAttribute('data-contact-status')).toBe('pending');
    expect(await item.textContent()).toContain('confirmation pending');
    expect(await item.textContent()).toContain('asked again after it unsubscribed');
    const post = fixture.server.requests.slice(before).find((request) => request.method === 'POST');
    expect(post?.path).toBe(`/v1/partners/${PARTNER_ID}/contacts/credit%40reseller.example/confirmation`);
    expect(post?.headers['x-csrf-token']).toBe(FIXTURE_CSRF_TOKEN);
    expect(post?.body).toBeUndefined();

    // Refused (429): the API's message says when to ask again, and the state stays as it was.
    await page.getByRole('button', { name: 'Send the confirmation again: +819011112222' }).click();
    await expect
      .poll(() => page.locator('[data-resend-result="+819011112222"]').textContent())
      .toBe(`Not sent: ${RESEND_TOO_SOON_MESSAGE}`);
    expect(
      await page.locator('#partner-contacts li', { hasText: '+819011112222' }).getAttribute('data-contact-status'),
    ).toBe('pending');
    expect(await violationsOf(page)).toEqual([]);
  }, 60_000);

  it("lists the viewer's subscriptions on the home page (all pages of them), and a partner's own page", async () => {
    fixture.server.me = { role: 'customer', tenantId: 'tenant-contoso' };
    const asCustomer = await open('/portal?lang=ja');
    expect(
      await asCustomer.page
        .locator('[data-subscription-link]')
        .evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
    ).toEqual([`/portal/subscriptions/${SUBSCRIPTION_ID}`, '/portal/subscriptions/sub-contoso-dev']);
    expect(await asCustomer.page.locator('main').textContent()).toContain('ご契約中のサブスクリプション');
    expect(await asCustomer.page.locator('[data-partner-link]').count()).toBe(0);
    await asCustomer.page.getByLabel('サブスクリプションを絞り込む').fill('dev');
    expect(await asCustomer.page.locator('[data-subscription-link]:visible').count()).toBe(1);

    fixture.server.me = { role: 'partner', partnerId: PARTNER_ID };
    const asPartner = await open('/portal');
    expect(await asPartner.page.locator('[data-partner-link]').getAttribute('href')).toBe(PARTNER_PATH);
    expect(await violationsOf(asPartner.page)).toEqual([]);
    fixture.server.me = { role: 'customer', tenantId: 'tenant-contoso' };
  }, 30_000);

  it('shows a partner the drill-down page of its customer without the budget form it may not use', async () => {
    fixture.server.me = { role: 'partner', partnerId: PARTNER_ID };
    try {
      const { page, consoleErrors } = await open(SUBSCRIPTION_PATH);

      expect(await page.locator('form[data-budget-form]').count()).toBe(0);
      expect(await page.locator('article[data-dimension]').count()).toBe(SERIES.hour.dimensions.length);
      expect(await page.locator('[data-breakdown]').count()).toBe(1);
      expect(consoleErrors.filter((error) => !error.includes('403'))).toEqual([]);
    } finally {
      fixture.server.me = { role: 'customer', tenantId: 'tenant-contoso' };
    }
  }, 30_000);

  it('switches language with the switcher and remembers the choice in the mm_lang cookie', async () => {
    const { page } = await open(SUBSCRIPTION_PATH, 'en-US');
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    await Promise.all([page.waitForURL(/lang=ja/), page.getByRole('link', { name: '日本語' }).click()]);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await page.goto(fixture.server.url + SUBSCRIPTION_PATH);
    await page.waitForSelector('body[data-ready="true"]');

    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect((await page.context().cookies()).find((cookie) => cookie.name === 'mm_lang')?.value).toBe('ja');
  }, 30_000);

  it('picks Japanese from Accept-Language when nothing else says', async () => {
    const { page } = await open(SUBSCRIPTION_PATH, 'ja-JP');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
  }, 30_000);

  it('reaches every control with the Tab key, shows where the focus is, and works the tabs by keyboard', async () => {
    for (const path of [SUBSCRIPTION_PATH, PARTNER_PATH, '/portal']) {
      const { page } = await open(path);
      // Browser code as text: the project compiles against Node's types, not the DOM's.
      const controls = await page.evaluate<number>(`(() => {
        const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary')].filter(
          (element) => element.classList.contains('skip-link') || (!element.closest('[hidden]') && element.getClientRects().length > 0),
        );
        all.forEach((element, index) => { element.dataset.kb = String(index); });
        return all.length;
      })()`);
      const reached = new Set<string>();
      const unfocusedOutline: string[] = [];
      for (let press = 0; press < controls + 10; press += 1) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate<{ kb: string; outline: boolean } | undefined>(`(() => {
          const element = document.activeElement;
          if (!element || !element.dataset.kb) return undefined;
          const style = getComputedStyle(element);
          return { kb: element.dataset.kb, outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px' };
        })()`);
        if (!focused) continue;
        reached.add(focused.kb);
        if (!focused.outline) unfocusedOutline.push(focused.kb);
      }
      expect(reached.size, path).toBe(controls);
      expect(unfocusedOutline, path).toEqual([]);
    }

    const { page } = await open(SUBSCRIPTION_PATH);
    const card = page.locator('article[data-dimension="api-calls"]');
    await card.locator('button[data-granularity="hour"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await card.locator('button[data-granularity="day"]').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    await card.locator('button[data-measure="money"]').focus();
    await page.keyboard.press('Space');
    expect(await card.locator('button[data-measure="money"]').getAttribute('aria-pressed')).toBe('true');
    expect((await plotted(page, 'api-calls'))?.data[1]).toEqual(
      SERIES.day.dimensions[0]?.points.map((point) => Number(point.amount)),
    );
  }, 90_000);

  it('has no serious or critical accessibility violations (axe-core) on any page in either language', async () => {
    for (const path of [SUBSCRIPTION_PATH, PARTNER_PATH, '/portal']) {
      for (const lang of ['en', 'ja']) {
        const { page } = await open(`${path}?lang=${lang}`);
        // Open the data tables so they are checked too.
        for (const summary of await page.locator('details summary').all()) await summary.click();
        const results = await new AxeBuilder({ page }).analyze();
        const serious = results.violations
          .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
          .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
        expect(serious, `${path} ${lang}`).toEqual([]);
      }
    }
  }, 120_000);

  it('would notice a CSP violation: an inline style the policy does not allow is reported', async () => {
    const { page } = await open(SUBSCRIPTION_PATH);
    await page.evaluate(`{
      const style = document.createElement('style');
      style.textContent = 'body { background: red }';
      document.head.append(style);
    }`);
    await page.waitForFunction('window.__cspViolations.length > 0');
    expect((await violationsOf(page))[0]).toMatch(/^style-src/);
  }, 30_000);
});

/** A period start in Tokyo as the CSV writes it (Tokyo is UTC+9 all year): "2026-12-07 12:00", "2026-12-07", "2026-12". */
function tokyoStart(iso: string, granularity: 'hour' | 'day' | 'month'): string {
  const tokyo = new Date(Date.parse(iso) + 9 * 3_600_000).toISOString();
  if (granularity === 'month') return tokyo.slice(0, 7);
  return granularity === 'day' ? tokyo.slice(0, 10) : `${tokyo.slice(0, 10)} ${tokyo.slice(11, 16)}`;
}

/** The fixture's alerts created in [start, next start), the last period running to the series' end. */
function alertsIn(start: string, nextStart: string | undefined, granularity: 'hour' | 'day' | 'month'): number {
  const from = Date.parse(start);
  const to = Date.parse(nextStart ?? SERIES[granularity].to);
  return ALERTS.alerts.filter((alert) => {
    const at = Date.parse(alert.createdAt);
    return at >= from && at < to;
  }).length;
}

interface GlanceGeometry {
  /** The bar's inner width in CSS pixels; `fill` and each tick's `at` are pixels from its inner left edge. */
  readonly width: number;
  readonly fill: number;
  readonly ticks: readonly { readonly kind: string; readonly fraction: string | null; readonly at: number }[];
}

/** Where the glance's bar draws month to date and each tick, measured in the page. */
function glanceGeometry(page: Page): Promise<GlanceGeometry> {
  return page.evaluate<GlanceGeometry>(`(() => {
    const bar = document.querySelector('#glance .budget-bar');
    const left = bar.getBoundingClientRect().left + bar.clientLeft;
    return {
      width: bar.clientWidth,
      fill: bar.querySelector('.bar-fill').getBoundingClientRect().width,
      ticks: [...bar.querySelectorAll('[data-tick]')].map((tick) => ({
        kind: tick.dataset.tick,
        fraction: tick.dataset.fraction ?? null,
        at: tick.getBoundingClientRect().left - left,
      })),
    };
  })()`);
}

/** A position on the bar is its figure's share of the bar's scale, to the pixel (layout rounds to sub-pixels). */
function expectAt(width: number, pixels: number, ratio: number, what: string): void {
  expect(
    Math.abs(pixels - ratio * width),
    `${what}: ${pixels}px of ${width}px, expected ${ratio * width}px`,
  ).toBeLessThan(1);
}
