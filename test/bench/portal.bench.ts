import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { launchChromium } from '#test/helpers/browser.ts';
import {
  buyForPresetCustomer,
  signInThroughFakeEntra,
  startPortalSystem,
  useAndWait,
} from '#test/helpers/portal-system.ts';
import { machineLine } from './bench-support.ts';

/**
 * `npm run bench:portal`: how long the subscription page takes to be ready — the HTML shell, the bundled script, its
 * `/v1` calls (subscription, usage, budget, allowance, alerts, and the hourly, daily and monthly series) and every
 * graph drawn — on the whole local system started in-process (its own DynamoDB Local and fauxqs), in Chromium,
 * signed in as the preset customer. The plan has 30 metered dimensions (Microsoft's maximum per offer; the sample
 * catalog has 3), written to a catalog of its own, with usage in every dimension in every hour of the last
 * PORTAL_BENCH_DAYS days (default 40: the daily graph's current and previous month and the 48-hour graph are full,
 * as a customer's page is after a month), sent a day at a time on the moved local clock.
 *
 * Timed: from `page.goto` to the page marked ready with all 30 charts drawn, LOADS times after WARM_UPS.
 */
const DIMENSIONS = 30;
const WARM_UPS = 3;
const LOADS = Number(process.env.PORTAL_BENCH_LOADS ?? 20);
const DAYS_OF_USAGE = Number(process.env.PORTAL_BENCH_DAYS ?? 40);
const HOUR_MS = 3_600_000;
const FIRST_VISITS = 5;
const PAGE_READY_TARGET_MS = 1_000;

const dimensionIds = Array.from({ length: DIMENSIONS }, (_, index) => `d${String(index + 1).padStart(2, '0')}`);

/** A catalog with one offer whose plan meters 30 dimensions (the shape of infra/catalog/catalog.yaml). */
function wideCatalog(): string {
  return [
    'storeFeeRate: "0.03"',
    'offers:',
    '  - id: wide-analytics',
    '    displayName: Wide Analytics',
    '    dimensions:',
    ...dimensionIds.flatMap((id) => [
      `      - id: ${id}`,
      `        displayName: Dimension ${id}`,
      '        unitOfMeasure: unit',
    ]),
    '    plans:',
    '      - id: wide',
    '        displayName: Wide',
    '        description: Thirty metered dimensions, for the portal benchmark.',
    '        pricingModel: flatRate',
    '        billingTerms:',
    '          - termUnit: P1M',
    '            billingFrequency: monthly',
    '            price: { USD: "100.00" }',
    '            includedQuantities:',
    ...dimensionIds.map((id) => `              ${id}: 100`),
    '        meteredDimensions:',
    ...dimensionIds.flatMap((id) => [`          - dimensionId: ${id}`, '            pricePerUnit: { USD: "0.01" }']),
    '',
  ].join('\n');
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function main(): Promise<void> {
  process.stdout.write(`${machineLine()}\n`);
  const workDir = await mkdtemp(join(tmpdir(), 'portal-bench-'));
  const catalogPath = join(workDir, 'catalog.yaml');
  await writeFile(catalogPath, wideCatalog());
  const portal = await startPortalSystem(workDir, { catalogPath });
  const browser = await launchChromium();
  try {
    const subscriptionId = await buyForPresetCustomer(portal, { offerId: 'wide-analytics', planId: 'wide' });
    // A day at a time: the clock moves a day, then that day's 24 hours × 30 dimensions go in one request. Each move
    // first lets the usage queued before it reach the ledger; the last one is followed by a wait for it.
    const seeding = performance.now();
    const moveClock = async (move: string) => {
      const moved = await portal.api('POST', '/_local/clock', { move });
      if (moved.status !== 200) throw new Error(`The local clock did not move: ${JSON.stringify(moved.body)}`);
    };
    for (let day = 0; day < DAYS_OF_USAGE; day++) {
      await moveClock('+1d');
      const dayStart = portal.system.clock.now().getTime() - 24 * HOUR_MS;
      const events = Array.from({ length: 24 }, (_, hour) =>
        dimensionIds.map((dimensionId, index) => ({
          subscriptionId,
          dimension: dimensionId,
          quantity: 1 + ((index * 7 + hour * 13 + day) % 50),
          timestamp: new Date(dayStart + hour * HOUR_MS + 60_000).toISOString(),
          id: randomUUID(),
        })),
      ).flat();
      const sent = await portal.api('POST', '/v1/usage', { events });
      if (sent.status !== 202 || sent.body.rejected !== 0) {
        throw new Error(`Usage not accepted (${sent.status}): ${JSON.stringify(sent.body).slice(0, 500)}`);
      }
    }
    await useAndWait(portal, subscriptionId, [{ dimension: dimensionIds[0] ?? 'd01', quantity: 1 }]);
    process.stdout.write(
      `seeded ${DAYS_OF_USAGE} days × 24 hours × ${DIMENSIONS} dimensions of usage in ${((performance.now() - seeding) / 1000).toFixed(0)} s\n`,
    );
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const path = `/portal/subscriptions/${subscriptionId}`;
    await signInThroughFakeEntra(page, portal.system.apiUrl, 'customer', path);
    const times: number[] = [];
    const dataTimes: number[] = [];
    for (let load = 0; load < WARM_UPS + LOADS; load++) {
      const started = performance.now();
      await page.goto(portal.system.apiUrl + path);
      // Marked ready once the script has drawn everything (main.ts); a predicate polled in the page would need
      // `unsafe-eval`, which the CSP refuses.
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      const elapsed = performance.now() - started;
      const charts = await page.evaluate<number>('Object.keys(window.__portalCharts ?? {}).length');
      if (charts !== DIMENSIONS) throw new Error(`The page drew ${charts} charts, not ${DIMENSIONS}`);
      // When the last /v1 answer arrived, counted from the navigation's start as the page counts it.
      const dataMs = await page.evaluate<number>(
        "Math.max(...performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/')).map((e) => e.responseEnd))",
      );
      if (load >= WARM_UPS) {
        times.push(elapsed);
        dataTimes.push(dataMs);
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
    process.stdout.write(
      `subscription page ready, ${DIMENSIONS} dimensions, ${LOADS} loads after ${WARM_UPS} warm-ups: ` +
        `p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, ` +
        `mean ${mean.toFixed(0)} ms, min ${sorted[0]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms\n`,
    );
    // Issue 13's target: the page ready within a second. A miss makes the exit code 1, as in the other benches.
    const readyP99 = percentile(sorted, 99);
    if (!(readyP99 < PAGE_READY_TARGET_MS)) process.exitCode = 1;
    process.stdout.write(
      `target: page ready p99 < ${PAGE_READY_TARGET_MS} ms → ${readyP99 < PAGE_READY_TARGET_MS ? 'MET' : `MISSED (p99 ${readyP99.toFixed(0)} ms)`}\n`,
    );
    const sortedData = [...dataTimes].sort((a, b) => a - b);
    process.stdout.write(
      `  of which the /v1 answers all arrived (from navigation start): p50 ${percentile(sortedData, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(sortedData, 99).toFixed(0)} ms; the rest is the page drawing\n`,
    );
    // A first visit: a new browser profile with the same session cookie but nothing cached (the HTML, the script, the
    // stylesheet all fetched), as a customer opening the page from a mail.
    const session = await context.storageState();
    const firstVisits: number[] = [];
    for (let visit = 0; visit < FIRST_VISITS; visit++) {
      const fresh = await browser.newContext({ ignoreHTTPSErrors: true, storageState: session });
      const freshPage = await fresh.newPage();
      const started = performance.now();
      await freshPage.goto(portal.system.apiUrl + path);
      await freshPage.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      firstVisits.push(performance.now() - started);
      await fresh.close();
    }
    firstVisits.sort((a, b) => a - b);
    process.stdout.write(
      `  first visit (new browser profile, nothing cached), ${FIRST_VISITS} visits: p50 ${percentile(firstVisits, 50).toFixed(0)} ms, ` +
        `max ${firstVisits.at(-1)?.toFixed(0)} ms\n`,
    );
    await context.close();
    // Where the time goes: the page's calls one at a time with the publisher's key (the page makes them in parallel).
    const base = `/v1/subscriptions/${subscriptionId}`;
    for (const path of [
      base,
      `${base}/usage?months=1`,
      `${base}/allowance`,
      `/v1/alerts?subscriptionId=${subscriptionId}&limit=100`,
      `${base}/usage/series?granularity=hour`,
      `${base}/usage/series?granularity=day`,
      `${base}/usage/series?granularity=month`,
    ]) {
      const calls: number[] = [];
      for (let call = 0; call < 5; call++) {
        const started = performance.now();
        await portal.api('GET', path);
        calls.push(performance.now() - started);
      }
      calls.sort((a, b) => a - b);
      process.stdout.write(
        `  GET ${path.replace(subscriptionId, '{id}')}: p50 ${percentile(calls, 50).toFixed(0)} ms\n`,
      );
    }
  } finally {
    await browser.close();
    await portal.system.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
