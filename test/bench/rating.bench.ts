/**
 * Rating benchmark: one subscription × 30 dimensions × one year of hourly usage, folded through the allowance and
 * priced into an invoice preview. Run with `npx tsx test/bench/rating.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import type { HourUsage } from '#shared/domain/allowance.ts';
import { rateUsage } from '#shared/domain/allowance.ts';
import { MAX_DIMENSIONS_PER_OFFER } from '#shared/domain/catalog.ts';
import { invoicePreview } from '#shared/domain/charges.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import { aDimensionPrice, aRatingPlan, aRatingTerm, utc } from '#test/builders/rating.ts';

const start = utc('2025-01-06T00:00');
const hours = 365 * 24;
const dimensions = Array.from({ length: MAX_DIMENSIONS_PER_OFFER }, (_, i) => `dim-${i}`);
const plan = aRatingPlan({
  meteredDimensions: dimensions.map((d) => aDimensionPrice(d, '0.0125')),
  billingTerms: [
    aRatingTerm({
      termUnit: 'P1Y',
      price: { USD: '1200.00' },
      includedQuantities: Object.fromEntries(dimensions.map((d, i) => [d, i % 5 === 0 ? 'unlimited' : '50000'])),
    }),
  ],
});
const billingTerm = plan.billingTerms[0];
if (!billingTerm) throw new Error('plan without a billing term');
const history = [{ from: start, plan, billingTerm }];

const usage: HourUsage[] = [];
for (let h = 0; h < hours; h++) {
  const hour = new Date(start.getTime() + h * HOUR_MS);
  for (const [i, dimensionId] of dimensions.entries()) {
    usage.push({ dimensionId, hour, quantity: `${(h * 7 + i * 13) % 20}.${i % 10}` });
  }
}

function time<T>(label: string, run: () => T): T {
  const t0 = performance.now();
  const result = run();
  const seconds = (performance.now() - t0) / 1000;
  const rate = Math.round(usage.length / seconds).toLocaleString('en-US');
  console.log(
    `${label.padEnd(28)} ${usage.length.toLocaleString('en-US')} events in ${seconds.toFixed(2)} s → ${rate} events/s`,
  );
  return result;
}

const rated = time('allowance (rateUsage)', () => rateUsage(history, usage));
const preview = time('allowance + invoicePreview', () =>
  invoicePreview(
    { customer: { subscriptionId: 'bench' }, currency: 'USD', history, usage },
    { from: start, to: new Date(start.getTime() + hours * HOUR_MS) },
  ),
);
const overageHours = rated.hours.filter((h) => !h.overage.isZero()).length;
console.log(
  `${rated.hours.length} rated slots, ${overageHours} with overage; ${preview.periods.length} periods, total ${preview.total.toString()}`,
);
