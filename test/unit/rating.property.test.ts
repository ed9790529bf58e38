import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HourUsage, type PlanInForce, type RatedHour, rateUsage } from '#shared/domain/allowance.ts';
import type { IncludedQuantity, TermUnit } from '#shared/domain/catalog.ts';
import { invoicePreview } from '#shared/domain/charges.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import { splitStoreFee } from '#shared/domain/store-fee.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import { aDimensionPrice, aRatingPlan, aRatingTerm, utc } from '#test/builders/rating.ts';

const DIMENSIONS = ['emails', 'sms', 'tickets'] as const;
const ANCHOR = utc('2024-01-31T00:00'); // a month-end anchor in a leap year exercises the clamping
const HORIZON_HOURS = 24 * 120;

/** A non-negative decimal string with up to 3 decimals, e.g. "1234.567". */
const decimalString = (max: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: max * 1000 }), fc.integer({ min: 0, max: 3 }))
    .map(([n, scale]) => new Dec(n).dividedBy(new Dec(10).pow(scale)).toString());

const includedArb: fc.Arbitrary<IncludedQuantity> = fc.oneof(decimalString(500), fc.constant('unlimited' as const));

const usageArb: fc.Arbitrary<HourUsage[]> = fc.array(
  fc.record({
    dimensionId: fc.constantFrom(...DIMENSIONS),
    hour: fc.integer({ min: 0, max: HORIZON_HOURS }).map((h) => new Date(ANCHOR.getTime() + h * HOUR_MS)),
    quantity: decimalString(100),
  }),
  { maxLength: 80 },
);

/** One plan, or two with a change somewhere inside the horizon, each with random included quantities. */
const historyArb: fc.Arbitrary<PlanInForce[]> = fc
  .record({
    termUnit: fc.constantFrom<TermUnit>('P1M', 'P1Y'),
    included: fc.array(fc.tuple(includedArb, includedArb, includedArb), { minLength: 1, maxLength: 2 }),
    changeHour: fc.integer({ min: 1, max: HORIZON_HOURS }),
    overagePrice: decimalString(1),
  })
  .map(({ termUnit, included, changeHour, overagePrice }) =>
    included.map(([emails, sms, tickets], i) => {
      const plan = aRatingPlan({
        id: `plan-${i}`,
        meteredDimensions: DIMENSIONS.map((d) => aDimensionPrice(d, overagePrice)),
        billingTerms: [aRatingTerm({ termUnit, includedQuantities: { emails, sms, tickets } })],
      });
      const billingTerm = plan.billingTerms[0] ?? aRatingTerm();
      return { from: new Date(ANCHOR.getTime() + (i === 0 ? 0 : changeHour) * HOUR_MS), plan, billingTerm };
    }),
  );

function sumBy(hours: readonly RatedHour[], key: (h: RatedHour) => string, pick: (h: RatedHour) => Dec) {
  const sums = new Map<string, Dec>();
  for (const h of hours) sums.set(key(h), (sums.get(key(h)) ?? new Dec(0)).plus(pick(h)));
  return sums;
}

const comparable = (hours: readonly RatedHour[]) =>
  hours.map((h) => [h.dimensionId, h.hour.toISOString(), h.usage.toString(), h.overage.toString()]);

describe('rating properties', () => {
  it('splits usage into overage and consumed allowance that add up to it, per dimension per term', () => {
    fc.assert(
      fc.property(historyArb, usageArb, (history, usage) => {
        // act
        const { hours } = rateUsage(history, usage);
        // assess
        const termKey = (h: RatedHour) => `${h.dimensionId}@${h.termStart.toISOString()}`;
        const usageSums = sumBy(hours, termKey, (h) => h.usage);
        const splitSums = sumBy(hours, termKey, (h) => h.overage.plus(h.consumedIncluded));
        for (const [key, total] of usageSums) expect(splitSums.get(key)?.equals(total)).toBe(true);
        const inputTotal = usage.reduce((sum, u) => sum.plus(u.quantity), new Dec(0));
        const ratedTotal = hours.reduce((sum, h) => sum.plus(h.usage), new Dec(0));
        expect(ratedTotal.equals(inputTotal)).toBe(true);
      }),
    );
  });

  it('never consumes more than a single plan includes in a term', () => {
    fc.assert(
      fc.property(historyArb, usageArb, (history, usage) => {
        const first = history.slice(0, 1);
        const { hours } = rateUsage(first, usage);
        const consumed = sumBy(
          hours,
          (h) => `${h.dimensionId}@${h.termStart.toISOString()}`,
          (h) => h.consumedIncluded,
        );
        for (const [key, sum] of consumed) {
          const dimension = key.split('@')[0] ?? '';
          const included = first[0]?.billingTerm.includedQuantities[dimension] ?? '0';
          if (included !== 'unlimited') expect(sum.lessThanOrEqualTo(included)).toBe(true);
        }
      }),
    );
  });

  it('gives the same result whatever the order of events, and however an hour is split into events', () => {
    fc.assert(
      fc.property(historyArb, usageArb, fc.integer(), (history, usage, seed) => {
        // prepare: split every record in two and shuffle everything
        const halves = usage.flatMap((u) => {
          const half = new Dec(u.quantity).dividedBy(2);
          return [
            { ...u, quantity: half.toString() },
            { ...u, quantity: new Dec(u.quantity).minus(half).toString() },
          ];
        });
        const shuffled = halves
          .map((u, i) => ({ u, k: Math.imul(i + 1, 2654435761) ^ seed }))
          .sort((a, b) => a.k - b.k)
          .map(({ u }) => u);
        // act / assess
        expect(comparable(rateUsage(history, shuffled).hours)).toEqual(comparable(rateUsage(history, usage).hours));
      }),
    );
  });

  it('never yields overage on an unlimited dimension', () => {
    fc.assert(
      fc.property(historyArb, usageArb, (history, usage) => {
        const unlimited = history.map((entry) => ({
          ...entry,
          billingTerm: { ...entry.billingTerm, includedQuantities: { emails: 'unlimited' as const } },
        }));
        const { hours } = rateUsage(unlimited, usage);
        for (const h of hours.filter((x) => x.dimensionId === 'emails')) expect(h.overage.isZero()).toBe(true);
      }),
    );
  });

  it('never produces negative quantities or amounts', () => {
    fc.assert(
      fc.property(historyArb, usageArb, (history, usage) => {
        const { hours } = rateUsage(history, usage);
        for (const h of hours) expect(h.overage.isNeg() || h.consumedIncluded.isNeg()).toBe(false);
        const preview = invoicePreview(
          { customer: { subscriptionId: 's' }, currency: 'USD', history, usage },
          { from: ANCHOR, to: new Date(ANCHOR.getTime() + (HORIZON_HOURS + 1) * HOUR_MS) },
        );
        const amounts = preview.periods.flatMap((p) => [
          ...p.lines.map((l) => l.amount),
          p.split.storeFee,
          p.split.publisherPayout,
        ]);
        for (const amount of amounts) expect(amount.isNegative()).toBe(false);
      }),
    );
  });

  it('splits every price exactly: payout + fee = price and fee = price × rate rounded half up', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom('USD', 'EUR', 'JPY'),
        (minor, rateBasisPoints, currency) => {
          // prepare
          const price = Money.fromMinorUnits(minor, currency);
          const rate = new Dec(rateBasisPoints).dividedBy(10_000).toString();
          // act
          const split = splitStoreFee(price, rate);
          // assess, against integer arithmetic: round half up of minor × bp / 10000
          const expectedFee = (2n * minor * BigInt(rateBasisPoints) + 10_000n) / 20_000n;
          expect(split.storeFee.toMinorUnits()).toBe(expectedFee);
          expect(split.storeFee.add(split.publisherPayout).equals(price)).toBe(true);
        },
      ),
    );
  });

  it('bills the monthly periods of a term for exactly the term price', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.constantFrom<TermUnit>('P1Y', 'P2Y', 'P3Y'),
        fc.integer({ min: 1, max: 50 }),
        (minor, termUnit, seats) => {
          const price = Money.fromMinorUnits(minor, 'USD');
          const plan = aRatingPlan({
            pricingModel: 'perUser',
            meteredDimensions: [],
            billingTerms: [aRatingTerm({ termUnit, price: { USD: price.toDecimalString() }, includedQuantities: {} })],
          });
          const billingTerm = plan.billingTerms[0] ?? aRatingTerm();
          const months = { P1M: 1, P1Y: 12, P2Y: 24, P3Y: 36 }[termUnit];
          const end = new Date(Date.UTC(2024, 0 + months, 31));
          const preview = invoicePreview(
            {
              customer: { subscriptionId: 's' },
              currency: 'USD',
              history: [{ from: ANCHOR, plan, billingTerm, quantity: seats }],
              usage: [],
            },
            { from: ANCHOR, to: end },
          );
          expect(preview.periods).toHaveLength(months);
          expect(preview.total.equals(price.multiply(BigInt(seats)))).toBe(true);
        },
      ),
    );
  });
});
