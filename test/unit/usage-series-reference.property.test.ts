import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOf, dayPeriod } from '#shared/domain/alerts/calendar.ts';
import { rateUsage } from '#shared/domain/allowance.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { USAGE_MESSAGE_VERSION, type UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { attributeSeries, type SeriesGranularity, seriesBuckets } from '#shared/domain/usage-series.ts';
import { ratableUsage } from '#shared/use-cases/billing/compute-subscription-charges.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { getUsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import { ALERT_OFFER, anEvaluationWorld, aPlanChangingSubscription } from '#test/builders/alert-evaluation.ts';

const publisher = { role: 'publisher', keyId: 'k' } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DIMENSIONS = ['calls', 'storage'] as const;

/** Two plans whose included quantities and many-decimal prices differ, so a plan change moves the charges. */
const CATALOG: Catalog = {
  storeFeeRate: '0.03',
  offers: [
    {
      id: ALERT_OFFER,
      displayName: 'Cloud All',
      dimensions: DIMENSIONS.map((id) => ({ id, displayName: id, unitOfMeasure: 'unit' })),
      plans: (
        [
          ['small', '50', '0.0137', '0.00211'],
          ['large', '5000', '0.0091', '0.00173'],
        ] as const
      ).map(([id, included, callPrice, storagePrice]) => ({
        id,
        displayName: id,
        visibility: 'public' as const,
        pricingModel: 'flatRate' as const,
        freeTrial: false,
        billingTerms: [
          {
            termUnit: 'P1M' as const,
            billingFrequency: 'monthly' as const,
            price: { USD: '10.00' },
            includedQuantities: { calls: included, storage: included },
          },
        ],
        meteredDimensions: [
          { dimensionId: 'calls', pricePerUnit: { USD: callPrice } },
          { dimensionId: 'storage', pricePerUnit: { USD: storagePrice } },
        ],
      })),
    },
  ],
};

/** Activated on the 10th: its terms run from the 10th to the 10th, across the calendar months the series rounds by. */
const ACTIVATED = Date.parse('2026-01-10T00:00:00Z');
const NOW = Date.parse('2026-04-20T06:30:00Z');
const HOURS = Math.floor((NOW - ACTIVATED) / HOUR);

/**
 * Quantities as the ledger stores them: mostly whole (summed as JS numbers by the series), some large enough that their
 * sums, or they themselves, pass 2^53 (where a float sum would be wrong), and some fractional (where the series moves
 * to decimals).
 */
const quantity = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 900 }).map(String) },
  // 15 digits: each summed as a number, a few of them past 2^53 (where the sum must move to decimals).
  { weight: 1, arbitrary: fc.bigInt({ min: 10n ** 14n, max: 10n ** 15n - 1n }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n - 5n, max: 10n ** 20n }).map(String) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 999 }))
      .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(3, '0')}`),
  },
);

/** Usage on a few days (so that many hours of a day, and both sides of a local midnight, carry usage). */
const usageArbitrary = fc
  .record({
    days: fc.array(fc.integer({ min: 0, max: Math.floor(HOURS / 24) }), { minLength: 1, maxLength: 4 }),
    entries: fc.array(
      fc.record({
        dayIndex: fc.nat(),
        hourOfDay: fc.integer({ min: 0, max: 23 }),
        dimension: fc.constantFrom(...DIMENSIONS),
        quantity,
        // Stored before the daily items carried hours: the series reads that day from its slots.
        old: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      }),
      { minLength: 1, maxLength: 60 },
    ),
  })
  .map(({ days, entries }) =>
    entries.map(({ dayIndex, ...entry }) => ({ ...entry, day: days[dayIndex % days.length] as number })),
  );

const requestArbitrary = fc.record({
  granularity: fc.constantFrom<SeriesGranularity>('hour', 'day', 'month'),
  // The first point: a day between the activation's month and now; then a span in that granularity's unit.
  fromDay: fc.integer({ min: -12, max: Math.floor(HOURS / 24) }),
  fromHour: fc.integer({ min: 0, max: 23 }),
  span: fc.integer({ min: 1, max: 40 }),
  timeZone: fc.constantFrom('UTC', 'Asia/Tokyo', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe'),
  changeAtHour: fc.option(fc.integer({ min: 1, max: HOURS - 1 }), { nil: undefined }),
});

function subscriptionWith(changeAtHour: number | undefined): Subscription {
  return aPlanChangingSubscription('sub-reference', ACTIVATED, changeAtHour);
}

/**
 * The series computed the plain way: every stored hourly slot rated on its own from the activation on, in Decimal
 * (allowance.ts), attributed to the points by the same ALLOCATION RULE, each point's quantity a Decimal sum of its
 * slots. No daily totals, no read plan, no stretches, no whole-number sums, no reads in chunks.
 */
function referenceSeries(
  slots: readonly UsageSlot[],
  subscription: Subscription,
  buckets: ReturnType<typeof seriesBuckets>,
  timeZone: string,
) {
  const history = planHistoryOf(subscription, CATALOG);
  if (!history) throw new Error('the subscription has a plan history');
  const ordered = [...slots].sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  const rated = rateUsage(history.resolved, ratableUsage(ordered, history.resolved, history.endsAt)).hours;
  const points = attributeSeries({
    rated,
    resolved: history.resolved,
    customer: { subscriptionId: subscription.id, tenantId: subscription.beneficiary.tenantId },
    currency: 'USD',
    timeZone,
    buckets,
    dimensionIds: [...DIMENSIONS],
  });
  return DIMENSIONS.map((dimension) =>
    (points.get(dimension) ?? []).map((point, index) => {
      const bucket = buckets[index];
      const quantity = slots
        .filter((slot) => {
          const t = Date.parse(slot.hour);
          return slot.dimension === dimension && bucket && t >= bucket.start.getTime() && t < bucket.end.getTime();
        })
        .reduce((sum, slot) => sum.plus(slot.quantity), new Dec(0));
      return { start: point.start.toISOString(), quantity: quantity.toFixed(), amount: point.amount.toDecimalString() };
    }),
  );
}

describe('usage series against the plain computation (property)', () => {
  it('equals, point by point, rating every stored hour on its own, for any usage, zone, granularity and range', async () => {
    await fc.assert(
      fc.asyncProperty(usageArbitrary, requestArbitrary, async (usage, request) => {
        const world = { ...anEvaluationWorld(new Date(NOW).toISOString()), catalog: CATALOG };
        const subscription = subscriptionWith(request.changeAtHour);
        await world.subscriptions.put(subscription);
        for (const [index, { day, hourOfDay, dimension, quantity: q, old }] of usage.entries()) {
          const t = Math.min(ACTIVATED + day * DAY + hourOfDay * HOUR, ACTIVATED + HOURS * HOUR);
          const hour = new Date(t).toISOString();
          await applyUsageMessage(world, {
            version: USAGE_MESSAGE_VERSION,
            marker: String(index).padStart(64, '0'),
            slots: [
              { subscriptionId: subscription.id, offerId: ALERT_OFFER, dimension, hour, quantity: q, eventCount: 1 },
            ],
          });
          if (old) world.ledger.forgetHourlySplit(subscription.id, hour);
        }
        const { timeZone, granularity } = request;
        const fromDay = dayOf(new Date(ACTIVATED + request.fromDay * DAY), timeZone).key;
        const from =
          granularity === 'hour'
            ? new Date(dayPeriod(fromDay, timeZone).start.getTime() + request.fromHour * HOUR)
            : dayPeriod(fromDay, timeZone).start;
        const to = new Date(
          from.getTime() +
            (granularity === 'hour'
              ? request.span * 12 * HOUR
              : granularity === 'day'
                ? request.span * DAY
                : request.span * 20 * DAY),
        );

        const series = await getUsageSeries(world, publisher, {
          subscriptionId: subscription.id,
          granularity,
          from,
          to,
          timeZone,
          currency: 'USD',
        });

        const slots = [...world.ledger.slots.values()].filter((slot) => slot.subscriptionId === subscription.id);
        const buckets = seriesBuckets(granularity, from, to, timeZone);
        expect(series.dimensions.map((d) => d.points)).toEqual(referenceSeries(slots, subscription, buckets, timeZone));
      }),
      { numRuns: 150 },
    );
  });
});
