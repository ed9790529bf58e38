import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillingTerm, Catalog } from '#shared/domain/catalog.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { planSlot } from '#shared/domain/reporting/slot-planning.ts';
import { emptyMeter, type ReportingSlot } from '#shared/domain/reporting/slots.ts';
import type { Subscription, SubscriptionPeriod, SubscriptionStatus } from '#shared/domain/subscription.ts';
import { addMonthsClamped, HOUR_MS } from '#shared/domain/terms.ts';
import { type GetEntitlementDeps, getEntitlement } from '#shared/use-cases/billing/get-entitlement.ts';
import { aBillingTerm, aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aMeteredSubscription, aMeteringCatalog } from '#test/builders/reporting.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

const DAY_MS = 86_400_000;
const OFFER = 'contoso-analytics';
const DIMENSION = 'api-calls';
/** More than any included quantity below: the reporter's consumed-included part of it is the whole allowance. */
const BIG = new Dec('1000000000');

const term = (overrides: Partial<BillingTerm>) => aBillingTerm({ price: { USD: '10.00' }, ...overrides });
/**
 * Plans whose billing terms make the choice matter: `flex` sells a yearly term both billed monthly and paid up front
 * with different included quantities; `yearly` sells only a yearly term (a change to it changes the term unit);
 * `monthly` only a monthly one; `open` has an unlimited dimension.
 */
const catalog: Catalog = aCatalog({
  offers: [
    anOffer({
      id: OFFER,
      dimensions: [aDimension({ id: DIMENSION })],
      plans: [
        aPlan({
          id: 'monthly',
          meteredDimensions: [aDimensionPrice({ dimensionId: DIMENSION })],
          billingTerms: [term({ termUnit: 'P1M', includedQuantities: { [DIMENSION]: '100' } })],
        }),
        aPlan({
          id: 'flex',
          meteredDimensions: [aDimensionPrice({ dimensionId: DIMENSION })],
          billingTerms: [
            term({ termUnit: 'P1M', includedQuantities: { [DIMENSION]: '300' } }),
            term({ termUnit: 'P1Y', billingFrequency: 'upfront', includedQuantities: { [DIMENSION]: '5000' } }),
            term({ termUnit: 'P1Y', billingFrequency: 'monthly', includedQuantities: { [DIMENSION]: '4000' } }),
          ],
        }),
        aPlan({
          id: 'yearly',
          meteredDimensions: [aDimensionPrice({ dimensionId: DIMENSION })],
          billingTerms: [
            term({ termUnit: 'P1Y', billingFrequency: 'upfront', includedQuantities: { [DIMENSION]: '2000' } }),
          ],
        }),
        aPlan({
          id: 'open',
          meteredDimensions: [aDimensionPrice({ dimensionId: DIMENSION })],
          billingTerms: [term({ termUnit: 'P1M', includedQuantities: { [DIMENSION]: 'unlimited' } })],
        }),
      ],
    }),
  ],
});
const PLAN_IDS = ['monthly', 'flex', 'yearly', 'open'] as const;

/** A timeline: activation, then plan, seat and status changes minutes to weeks apart (several in one hour too). */
const scenario = fc
  .record({
    activatedAt: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }),
    firstPlan: fc.constantFrom(...PLAN_IDS),
    pendingFirst: fc.boolean(),
    changes: fc.array(
      fc.record({
        afterMs: fc.oneof(
          fc.integer({ min: 60_000, max: 50 * 60_000 }),
          fc.integer({ min: HOUR_MS, max: 60 * DAY_MS }),
        ),
        planId: fc.constantFrom(...PLAN_IDS),
        quantity: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        status: fc.constantFrom<SubscriptionStatus>('Subscribed', 'Subscribed', 'Subscribed', 'Suspended'),
      }),
      { maxLength: 5 },
    ),
    cancelled: fc.boolean(),
    termUnit: fc.constantFrom('P1M' as const, 'P1Y' as const),
    renewals: fc.integer({ min: 0, max: 3 }),
    offsetDays: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
  })
  .map((drawn): Subscription => {
    const timeline: SubscriptionPeriod[] = [];
    let at = drawn.activatedAt;
    if (drawn.pendingFirst) {
      timeline.push({
        from: new Date(at - 3 * HOUR_MS).toISOString(),
        status: 'PendingFulfillmentStart',
        planId: drawn.firstPlan,
      });
    }
    timeline.push({ from: new Date(at).toISOString(), status: 'Subscribed', planId: drawn.firstPlan });
    for (const change of drawn.changes) {
      at += change.afterMs;
      timeline.push({
        from: new Date(at).toISOString(),
        status: change.status,
        planId: change.planId,
        ...(change.quantity === undefined ? {} : { quantity: change.quantity }),
      });
    }
    const last = timeline.at(-1) as SubscriptionPeriod;
    if (drawn.cancelled)
      timeline.push({ ...last, from: new Date(at + 7 * DAY_MS).toISOString(), status: 'Unsubscribed' });
    const months = drawn.termUnit === 'P1M' ? 1 : 12;
    const activationDay = new Date(Math.floor(drawn.activatedAt / DAY_MS) * DAY_MS);
    const onSeries = addMonthsClamped(activationDay, drawn.renewals * months);
    const start = drawn.offsetDays === undefined ? onSeries : new Date(onSeries.getTime() + drawn.offsetDays * DAY_MS);
    const final = timeline.at(-1) as SubscriptionPeriod;
    return aMeteredSubscription({
      offerId: OFFER,
      planId: final.planId,
      status: final.status,
      ...(final.quantity === undefined ? {} : { quantity: final.quantity }),
      term: { startDate: start.toISOString().slice(0, 10), endDate: '2099-01-01', termUnit: drawn.termUnit },
      timeline,
    });
  });

/** What the reporter bills for one hour of usage: the plan, term start and included quantity it rates the hour with. */
function billed(subscription: Subscription, hour: Date) {
  const history = planHistoryOf(subscription, catalog)?.resolved;
  const slot: ReportingSlot = {
    subscriptionId: subscription.id,
    offerId: OFFER,
    dimension: DIMENSION,
    hour: hour.toISOString(),
    quantity: BIG,
    accountedQuantity: new Dec(0),
    lateQuantity: new Dec(0),
    unreportableQuantity: new Dec(0),
    indexed: true,
    reportVersion: 0,
  };
  const plan = planSlot(emptyMeter(subscription.id, DIMENSION), slot, { now: hour, subscription, history });
  if (plan.kind !== 'rated') return { kind: plan.kind };
  const { rated } = plan;
  return {
    kind: plan.kind,
    planId: rated.planId,
    termStart: rated.termStart.toISOString(),
    included: rated.overage.isZero() ? 'unlimited' : rated.consumedIncluded.toString(),
  };
}

/** What the customer is shown for the same hour: the entitlement asked during that hour. */
async function shown(subscription: Subscription, hour: Date) {
  const deps: GetEntitlementDeps = {
    subscriptions: { get: async () => subscription },
    dayPacks: { findPrepaidTerm: async () => undefined },
    ledger: new InMemoryUsageLedger(),
    catalog,
    clock: new FixedClock(new Date(hour.getTime() + 30 * 60_000).toISOString()),
    purchaseBlocks: { purchaseBlockOf: async () => undefined },
  };
  const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);
  return {
    termStart: entitlement.includedSince,
    included: entitlement.included.find((allowance) => allowance.dimension === DIMENSION)?.included,
  };
}

describe('one plan history for what is billed and what is shown', () => {
  it('rates every Subscribed hour with the plan, term start and included quantity the customer is shown', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.array(fc.integer({ min: 0, max: 400 * 24 }), { minLength: 1, maxLength: 12 }),
        async (subscription, hourOffsets) => {
          const history = planHistoryOf(subscription, catalog);
          const firstFrom = history?.resolved[0]?.effectiveFrom;
          if (!history || !firstFrom) return;
          for (const offset of hourOffsets) {
            const hour = new Date(firstFrom.getTime() + offset * HOUR_MS);
            if (history.endsAt && hour.getTime() + HOUR_MS > history.endsAt.getTime()) continue;
            const bill = billed(subscription, hour);
            if (bill.kind !== 'rated') continue; // not Subscribed in that hour: nothing billed, nothing to compare
            const view = await shown(subscription, hour);
            expect(view, `hour ${hour.toISOString()}`).toEqual({ termStart: bill.termStart, included: bill.included });
            // The plan: the one in force in that hour of the same history the entitlement reads.
            const inForce = history.resolved.filter((entry) => entry.effectiveFrom.getTime() <= hour.getTime()).at(-1);
            expect(bill.planId).toBe(inForce?.plan.id);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes the monthly-billed term when a plan sells the term unit both billed monthly and up front', () => {
    const subscription = aMeteredSubscription({
      offerId: OFFER,
      planId: 'flex',
      term: { startDate: '2026-01-06', endDate: '2027-01-05', termUnit: 'P1Y' },
      timeline: [{ from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'flex' }],
    });
    const hour = new Date('2026-03-01T10:00:00.000Z');

    expect(billed(subscription, hour)).toMatchObject({
      planId: 'flex',
      termStart: '2026-01-06T00:00:00.000Z',
      included: '4000',
    });
  });

  it('anchors the current term unit at the day the unit last changed, earlier terms at their own change days', async () => {
    // monthly from Jan 6, yearly-only plan from Mar 15, back to monthly on Jun 20; Microsoft's term now starts Jul 20.
    const subscription = aMeteredSubscription({
      offerId: OFFER,
      planId: 'monthly',
      term: { startDate: '2026-07-20', endDate: '2026-08-19', termUnit: 'P1M' },
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'monthly' },
        { from: '2026-03-15T08:30:00.000Z', status: 'Subscribed', planId: 'yearly' },
        { from: '2026-06-20T12:00:00.000Z', status: 'Subscribed', planId: 'monthly' },
      ],
    });

    expect(billed(subscription, new Date('2026-02-10T00:00:00.000Z'))).toMatchObject({
      termStart: '2026-02-06T00:00:00.000Z',
    });
    expect(billed(subscription, new Date('2026-05-01T00:00:00.000Z'))).toMatchObject({
      termStart: '2026-03-15T00:00:00.000Z',
    });
    expect(billed(subscription, new Date('2026-07-25T00:00:00.000Z'))).toMatchObject({
      termStart: '2026-07-20T00:00:00.000Z',
    });
    expect(await shown(subscription, new Date('2026-07-25T00:00:00.000Z'))).toMatchObject({
      termStart: '2026-07-20T00:00:00.000Z',
    });
  });

  it('takes a record without a timeline to have been in its current state forever, for billing and showing alike', async () => {
    const subscription = aMeteredSubscription({
      offerId: OFFER,
      planId: 'monthly',
      status: 'Subscribed',
      timeline: [],
    });
    const hour = new Date('2026-03-10T10:00:00.000Z');

    expect(billed(subscription, hour)).toMatchObject({
      planId: 'monthly',
      termStart: '2026-03-06T00:00:00.000Z',
      included: '100',
    });
    expect(await shown(subscription, hour)).toEqual({ termStart: '2026-03-06T00:00:00.000Z', included: '100' });
    const suspended = { ...subscription, status: 'Suspended' as const };
    expect(billed(suspended, hour)).toMatchObject({ kind: 'unreportable' });
    expect(planHistoryOf(suspended, catalog)).toBeUndefined();
  });
});

// The metering catalog of the other tests stays rateable by the one history too (a smoke check of the shared builder).
it('builds the sample metering subscription history', () => {
  expect(planHistoryOf(aMeteredSubscription(), aMeteringCatalog())?.resolved.map((entry) => entry.plan.id)).toEqual([
    'small',
  ]);
});

describe('a term unit this system does not rate (kept raw, e.g. PAY)', () => {
  it('is never rated as another unit: the plan history refuses it, naming the unit', () => {
    const catalog = aMeteringCatalog();
    const base = aMeteredSubscription();
    const { term: _term, ...withoutTerm } = base;
    const payg: Subscription = { ...withoutTerm, unratedTermUnit: 'PAY' };

    expect(() => planHistoryOf(payg, catalog)).toThrow(/term unit "PAY", which this system does not rate/);
    expect(planHistoryOf(base, catalog)).toBeDefined();
  });
});
