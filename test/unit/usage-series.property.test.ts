import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, monthOf, monthPeriod } from '#shared/domain/alerts/calendar.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { Dec } from '#shared/domain/money.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { getSubscriptionUsage } from '#shared/use-cases/billing/get-subscription-usage.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { getUsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import { ALERT_OFFER, anEvaluationWorld, aPlanChangingSubscription, callsAt } from '#test/builders/alert-evaluation.ts';

const publisher = { role: 'publisher', keyId: 'k' } as const;
const HOUR = 3_600_000;

/**
 * Prices with many decimals, so that rounding per point would drift from rounding per month line: `small` includes
 * 50 calls at $0.0137 each above; `large` includes 500 at $0.0091 (a plan change mid-term changes the line).
 */
const CATALOG: Catalog = {
  storeFeeRate: '0.03',
  offers: [
    {
      id: ALERT_OFFER,
      displayName: 'Cloud All',
      dimensions: [{ id: 'calls', displayName: 'API calls', unitOfMeasure: 'call' }],
      plans: (
        [
          ['small', '50', '0.0137'],
          ['large', '500', '0.0091'],
        ] as const
      ).map(([id, included, price]) => ({
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
            includedQuantities: { calls: included },
          },
        ],
        meteredDimensions: [{ dimensionId: 'calls', pricePerUnit: { USD: price } }],
      })),
    },
  ],
};

const ACTIVATED = Date.parse('2026-01-10T00:00:00Z');
const NOW = '2026-04-20T06:30:00Z';

function subscriptionWith(changeAtHour: number | undefined): Subscription {
  return aPlanChangingSubscription('sub-series', ACTIVATED, changeAtHour);
}

describe('usage series (property)', () => {
  it("adds up, for any usage and zone, to each calendar month's dimension amount and quantity of the usage view", async () => {
    const hours = (Date.parse(NOW) - ACTIVATED) / HOUR;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            hour: fc.integer({ min: 0, max: Math.floor(hours) }),
            // Thousandths of a call: fractional quantities make every overage amount fractional.
            milli: fc.integer({ min: 1, max: 90_000 }),
            // Stored before the daily items carried hours: the series reads that day from its slots.
            old: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.option(fc.integer({ min: 1, max: Math.floor(hours) - 1 }), { nil: undefined }),
        fc.constantFrom('UTC', 'Asia/Tokyo', 'Asia/Kolkata', 'America/New_York'),
        async (usage, changeAtHour, timeZone) => {
          const world = { ...anEvaluationWorld(NOW), catalog: CATALOG };
          const subscription = subscriptionWith(changeAtHour);
          await world.subscriptions.put(subscription);
          for (const { hour, milli, old } of usage) {
            const at = new Date(ACTIVATED + hour * HOUR).toISOString();
            await applyUsageMessage(world, callsAt(subscription.id, at, new Dec(milli).dividedBy(1000).toString()));
            if (old) world.ledger.forgetHourlySplit(subscription.id, at);
          }
          const view = await getSubscriptionUsage(world, publisher, {
            subscriptionId: subscription.id,
            months: 6,
            timeZone,
          });
          const monthly = await getUsageSeries(world, publisher, {
            subscriptionId: subscription.id,
            granularity: 'month',
            from: monthPeriod(addMonths(monthOf(new Date(NOW), timeZone).key, -5), timeZone).start,
            timeZone,
          });
          for (const month of view.months) {
            const period = monthPeriod(month.month, timeZone);
            const daily = await getUsageSeries(world, publisher, {
              subscriptionId: subscription.id,
              granularity: 'day',
              from: period.start,
              to: period.end,
              timeZone,
            });
            const points = daily.dimensions[0]?.points ?? [];
            const expected = month.dimensions.find((d) => d.dimensionId === 'calls');
            const sum = (pick: (p: { quantity: string; amount: string }) => string) =>
              points.reduce((total, point) => total.plus(pick(point)), new Dec(0)).toFixed();
            expect(sum((p) => p.amount)).toBe(new Dec(expected?.amount.amount ?? '0').toFixed());
            expect(sum((p) => p.quantity)).toBe(new Dec(expected?.quantity ?? '0').toFixed());
            const monthPoint = monthly.dimensions[0]?.points.find((p) => p.start === period.start.toISOString());
            expect(new Dec(monthPoint?.amount ?? '-1').toFixed()).toBe(
              new Dec(expected?.amount.amount ?? '0').toFixed(),
            );
          }
        },
      ),
      {
        numRuns: 40,
        // Found by this property: old usage in the current hour, whose slots must be read up to `asOf` (06:30).
        examples: [[[{ hour: Math.floor(hours), milli: 1, old: true }], undefined, 'Asia/Tokyo']],
      },
    );
  });

  it('adds up hour by hour to the month too (hourly points of a whole month)', async () => {
    const world = { ...anEvaluationWorld(NOW), catalog: CATALOG };
    const subscription = subscriptionWith(24 * 40);
    await world.subscriptions.put(subscription);
    for (let hour = 0; hour < 24 * 60; hour += 7) {
      const at = new Date(ACTIVATED + hour * HOUR).toISOString();
      await applyUsageMessage(world, callsAt(subscription.id, at, `${(hour % 13) + 0.377}`));
    }
    const view = await getUsageSeries(world, publisher, {
      subscriptionId: subscription.id,
      granularity: 'hour',
      from: monthPeriod('2026-02', 'Asia/Tokyo').start,
      to: monthPeriod('2026-02', 'Asia/Tokyo').end,
      timeZone: 'Asia/Tokyo',
    });
    const usage = await getSubscriptionUsage(world, publisher, {
      subscriptionId: subscription.id,
      months: 4,
      timeZone: 'Asia/Tokyo',
    });
    const february = usage.months.find((m) => m.month === '2026-02')?.dimensions[0];
    const points = view.dimensions[0]?.points ?? [];
    expect(points).toHaveLength(28 * 24);
    const total = points.reduce((sum, point) => sum.plus(point.amount), new Dec(0));
    expect(february?.amount.toDecimalString()).not.toBe('0.00');
    expect(total.toFixed(2)).toBe(february?.amount.toDecimalString());
  });
});
