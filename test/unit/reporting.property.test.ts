import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PlanHistory, rateUsage } from '#shared/domain/allowance.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { Dec } from '#shared/domain/money.ts';
import { reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import {
  aMeteredSubscription,
  aMeteringCatalog,
  DIMENSIONS,
  OFFER,
  RecordingMeteringAlerts,
} from '#test/builders/reporting.ts';
import { FakeMeteringMarketplace } from '#test/helpers/fake-metering-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryReportingLedger } from '#test/helpers/in-memory-reporting-ledger.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

/**
 * Invariants 2–4 of DESIGN.md over generated usage: 48 hours from 2026-02-05 00:00 UTC of a subscription activated
 * 2026-01-06 (so the term renews at 2026-02-06 00:00, inside the window) with a plan change at a generated hour. The
 * reporter runs after every hour closes, as the schedule would; usage arrives in its hour or late.
 */
const HOUR = 3_600_000;
const START = Date.parse('2026-02-05T00:00:00.000Z');
const HOURS = 48;
const ACTIVATION = '2026-01-06T10:00:00.000Z';
const catalog = aMeteringCatalog();

interface Usage {
  readonly hour: number;
  readonly dimension: (typeof DIMENSIONS)[number];
  /** Thousandths. */
  readonly milli: number;
  /** Hours after its own hour that the usage reaches the ledger (0: in time). */
  readonly lateness: number;
}

const usageArbitrary = (lateness: fc.Arbitrary<number>) =>
  fc.record({
    hour: fc.integer({ min: 0, max: HOURS - 1 }),
    dimension: fc.constantFrom(...DIMENSIONS),
    milli: fc.integer({ min: 1, max: 9_000 }),
    lateness,
  });

const hourIso = (index: number) => new Date(START + index * HOUR).toISOString();
const quantityOf = (usage: Usage) => new Dec(usage.milli).dividedBy(1000).toString();

interface Faults {
  /** Steps (hours) at which the batch call fails as a whole, or is processed but its answer lost (a crash). */
  readonly failAt: readonly number[];
  readonly loseAt: readonly number[];
}

async function simulate(usage: readonly Usage[], changeHour: number, faults: Faults = { failAt: [], loseAt: [] }) {
  const clock = new FixedClock(hourIso(0));
  const ledger = new InMemoryReportingLedger();
  const subscriptions = new InMemorySubscriptionStore();
  const marketplace = new FakeMeteringMarketplace(clock);
  const changeAt = new Date(START + changeHour * HOUR + 20 * 60_000).toISOString();
  const subscription = aMeteredSubscription({
    id: 'sub-1',
    timeline: [
      { from: ACTIVATION, status: 'Subscribed', planId: 'small' },
      { from: changeAt, status: 'Subscribed', planId: 'large' },
    ],
  });
  await subscriptions.put(subscription);
  const deps = {
    ledger,
    subscriptions,
    catalog,
    marketplace,
    alerts: new RecordingMeteringAlerts(),
    clock,
    graceMinutes: 10,
  };
  const lastArrival = Math.max(0, ...usage.map((u) => u.hour + u.lateness));
  for (let step = 0; step <= Math.max(HOURS, lastArrival) + 2; step++) {
    for (const u of usage) {
      if (u.hour + u.lateness === step) ledger.addUsage(subscription.id, u.dimension, hourIso(u.hour), quantityOf(u));
    }
    if (faults.failAt.includes(step)) marketplace.failCalls(1);
    if (faults.loseAt.includes(step)) marketplace.loseAnswers(1);
    clock.set(new Date(START + (step + 1) * HOUR + 11 * 60_000).toISOString());
    await reportUsage(deps);
  }
  // One more run with nothing injected, so an answer lost at the last step is resent and recorded.
  await reportUsage(deps);
  return { ledger, marketplace, subscription, changeAt };
}

/** The oracle: the allowance engine over the raw usage, with the plan history written out independently. */
function expectedOverage(usage: readonly Usage[], changeAt: string) {
  const entry = (from: string, planId: string) => {
    const plan = findPlan(catalog, OFFER, planId);
    return {
      from: new Date(from),
      plan,
      billingTerm: plan.billingTerms[0] as (typeof plan.billingTerms)[0],
      termAnchor: new Date('2026-01-06T00:00:00Z'),
    };
  };
  const history: PlanHistory = [entry(ACTIVATION, 'small'), entry(changeAt, 'large')];
  const { hours } = rateUsage(
    history,
    usage.map((u) => ({ dimensionId: u.dimension, hour: new Date(hourIso(u.hour)), quantity: quantityOf(u) })),
  );
  return new Map(
    hours
      .filter((rated) => rated.overage.greaterThan(0))
      .map((rated) => [
        FakeMeteringMarketplace.key('sub-1', rated.dimensionId, rated.hour),
        { quantity: rated.overage.toString(), planId: rated.planId },
      ]),
  );
}

function acceptedLedger(marketplace: FakeMeteringMarketplace) {
  return new Map(
    [...marketplace.accepted.entries()].map(([key, event]) => [
      key,
      { quantity: new Dec(String(event.quantity)).toString(), planId: event.planId },
    ]),
  );
}

/** Every event sent for one slot is the same event; and no slot was accepted twice (the fake keeps one per slot). */
function expectOneEventPerSlot(marketplace: FakeMeteringMarketplace) {
  const bySlot = new Map<string, Set<string>>();
  for (const event of marketplace.sent) {
    const key = FakeMeteringMarketplace.key(event.resourceId, event.dimension, event.effectiveStartTime);
    bySlot.set(key, (bySlot.get(key) ?? new Set()).add(JSON.stringify(event)));
  }
  for (const versions of bySlot.values()) expect(versions.size).toBe(1);
}

describe('reporting properties', () => {
  it('reports exactly the overage the allowance engine computes from the raw usage, slot by slot', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(usageArbitrary(fc.constant(0)), { maxLength: 60 }),
        fc.integer({ min: 1, max: HOURS - 1 }),
        async (usage, changeHour) => {
          const { marketplace, changeAt } = await simulate(usage, changeHour);
          expect(acceptedLedger(marketplace)).toEqual(expectedOverage(usage, changeAt));
          expectOneEventPerSlot(marketplace);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps that result under failed calls and crashes after the submission', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(usageArbitrary(fc.constant(0)), { maxLength: 40 }),
        fc.integer({ min: 1, max: HOURS - 1 }),
        fc.uniqueArray(fc.integer({ min: 0, max: HOURS + 2 }), { maxLength: 10 }),
        fc.uniqueArray(fc.integer({ min: 0, max: HOURS + 2 }), { maxLength: 10 }),
        async (usage, changeHour, failAt, loseAt) => {
          const { marketplace, ledger, changeAt } = await simulate(usage, changeHour, { failAt, loseAt });
          expect(acceptedLedger(marketplace)).toEqual(expectedOverage(usage, changeAt));
          expectOneEventPerSlot(marketplace);
          expect([...ledger.slots.values()].filter((slot) => slot.submission?.state === 'pending')).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives the same report whatever order the usage of an hour arrives in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(usageArbitrary(fc.constantFrom(0, 0, 1)), { maxLength: 40 })
          .chain((usage) =>
            fc.tuple(
              fc.constant(usage),
              fc.shuffledSubarray(usage, { minLength: usage.length, maxLength: usage.length }),
            ),
          ),
        fc.integer({ min: 1, max: HOURS - 1 }),
        async ([usage, shuffled], changeHour) => {
          const first = await simulate(usage, changeHour);
          const second = await simulate(shuffled, changeHour);
          expect(acceptedLedger(second.marketplace)).toEqual(acceptedLedger(first.marketplace));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('loses no late usage: overage + included consumed = usage, per dimension and term, and Microsoft accepts the on-time overage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(usageArbitrary(fc.constantFrom(0, 0, 0, 1, 2, 5, 30)), { maxLength: 60 }),
        fc.integer({ min: 1, max: HOURS - 1 }),
        async (usage, changeHour) => {
          const { ledger, marketplace, changeAt } = await simulate(usage, changeHour);
          const slots = [...ledger.slots.values()];
          const total = (values: readonly (string | undefined)[]) =>
            values.reduce((sum, value) => sum.plus(value ?? '0'), new Dec(0));

          // Every unit that reached the ledger was accounted and rated once (nothing was unreportable here).
          expect(total(slots.map((slot) => slot.quantity.toString()))).toEqual(total(usage.map(quantityOf)));
          expect(slots.every((slot) => slot.quantity.equals(slot.accountedQuantity))).toBe(true);
          const submissions = slots.flatMap((slot) => (slot.submission ? [slot.submission] : []));
          // Usage is rated with its hour's event, or late in its own term (rule 5): recorded on the slot as late.
          const late = total(slots.map((slot) => slot.lateQuantity.toString()));
          expect(
            total(submissions.map((s) => s.ratedUsage))
              .plus(late)
              .toString(),
          ).toBe(total(usage.map(quantityOf)).toString());

          // Invariant 3, per dimension and term (the term each hour was rated in).
          const byTerm = new Map<string, { usage: Dec; included: Dec; overage: Dec }>();
          for (const slot of slots) {
            const s = slot.submission;
            if (!s?.termStart) continue;
            const key = `${slot.dimension}|${s.termStart}`;
            const sums = byTerm.get(key) ?? { usage: new Dec(0), included: new Dec(0), overage: new Dec(0) };
            byTerm.set(key, {
              usage: sums.usage.plus(s.ratedUsage ?? '0'),
              included: sums.included.plus(s.consumedIncluded ?? '0'),
              overage: sums.overage.plus(s.overage ?? '0'),
            });
          }
          for (const sums of byTerm.values())
            expect(sums.overage.plus(sums.included).toString()).toBe(sums.usage.toString());

          // Microsoft received exactly the overage of every usage rated on time in its own hour (late overage folded
          // forward into a later event), across the term anniversary and the plan change; nothing is left waiting.
          const accepted = total(
            [...marketplace.accepted.values()].map((event) => new Dec(String(event.quantity)).toString()),
          );
          const onTime = total([...expectedOverage(usage, changeAt).values()].map((event) => event.quantity));
          expect(accepted.toString()).toBe(onTime.toString());
          const meters = [...ledger.meters.values()];
          expect(meters.every((meter) => meter.carryUsage.isZero() && meter.carryOverage.isZero())).toBe(true);
          expectOneEventPerSlot(marketplace);
        },
      ),
      { numRuns: 60 },
    );
  });
});
