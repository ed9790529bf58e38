import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePlanHistory } from '#shared/domain/allowance.ts';
import { planHistoryOf as chargesPlanHistoryOf } from '#shared/domain/plan-history.ts';
import { planHistoryOf as reportingPlanHistoryOf } from '#shared/domain/reporting.ts';
import { addMonthsClamped } from '#shared/domain/terms.ts';
import { aMeteredSubscription, aMeteringCatalog } from '#test/builders/reporting.ts';

const DAY_MS = 86_400_000;
/** `aMeteringCatalog()` with the plans sold on monthly and on yearly terms, so both units anchor their series. */
const metering = aMeteringCatalog();
const catalog = {
  ...metering,
  offers: metering.offers.map((offer) => ({
    ...offer,
    plans: offer.plans.map((plan) => ({
      ...plan,
      billingTerms: plan.billingTerms.flatMap((term) => [term, { ...term, termUnit: 'P1Y' as const }]),
    })),
  })),
};
const utcDay = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/**
 * The reporter (what Microsoft bills) and the charges, entitlement and alerts (what the customer is shown) build
 * their plan histories separately; both must reset the included quantities on the same days.
 */
describe('the term anchor of a subscription, as the reporter and the charges see it', () => {
  // Activations over four years, month ends drawn often (the clamping cases: 29th, 30th, 31st).
  const activation = fc
    .tuple(
      fc.integer({ min: 2024, max: 2027 }),
      fc.integer({ min: 0, max: 11 }),
      fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constantFrom(28, 29, 30, 31)),
      fc.integer({ min: 0, max: 86_399_999 }),
    )
    .map(([year, month, day, ms]) => {
      const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      return new Date(Date.UTC(year, month, Math.min(day, lastDay)) + ms);
    });

  it('is the same for both, after any number of renewals or a term start off the series', () => {
    fc.assert(
      fc.property(
        activation,
        fc.constantFrom('P1M' as const, 'P1Y' as const),
        fc.integer({ min: 0, max: 14 }),
        fc.option(fc.integer({ min: -40, max: 40 }), { nil: undefined }),
        (activatedAt, termUnit, renewals, offsetDays) => {
          const months = termUnit === 'P1M' ? 1 : 12;
          // Microsoft's term.startDate after `renewals` renewals, or a day off that series (clocks disagreeing).
          const onSeries = addMonthsClamped(utcDay(activatedAt), renewals * months);
          const start = offsetDays === undefined ? onSeries : new Date(onSeries.getTime() + offsetDays * DAY_MS);
          const subscription = aMeteredSubscription({
            term: { startDate: start.toISOString().slice(0, 10), endDate: '2099-01-01', termUnit },
            timeline: [{ from: activatedAt.toISOString(), status: 'Subscribed', planId: 'small' }],
          });

          const charges = chargesPlanHistoryOf(subscription, catalog);
          const reporting = reportingPlanHistoryOf(subscription, catalog);

          const chargesAnchor = resolvePlanHistory(charges?.history ?? [])[0]?.anchor;
          const reportingAnchor = reporting?.[0]?.anchor;
          expect(chargesAnchor?.toISOString()).toBe(reportingAnchor?.toISOString());
          if (offsetDays === undefined) expect(reportingAnchor?.toISOString()).toBe(utcDay(activatedAt).toISOString());
        },
      ),
      { numRuns: 500 },
    );
  });
});
