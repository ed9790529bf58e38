import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_USAGE_MAX_LATENESS_HOURS } from '#functions/usage-ingest/config.ts';
import { hourContext, rateUsage } from '#shared/domain/allowance.ts';
import { invoicePreview } from '#shared/domain/charges.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
import { carryTarget, planSlot, type SlotPlan } from '#shared/domain/reporting/slot-planning.ts';
import { emptyMeter, hasCarry, type MeterState, type ReportingSlot } from '#shared/domain/reporting/slots.ts';
import { LATE_USAGE_HORIZON_MS } from '#shared/domain/reporting/term-usage.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { HOUR_MS, termContaining } from '#shared/domain/terms.ts';
import { aMeteredSubscription, aMeteringCatalog, DIMENSIONS, OFFER } from '#test/builders/reporting.ts';

/**
 * Rule 5 of shared/domain/reporting/README.md over generated workloads, with the pure planning functions the reporter
 * runs (`planSlot`, `carryTarget`): usage of 40 days from 2026-02-01 (monthly terms renewing on Feb 6 and Mar 6, a
 * subscription activated 2026-01-06 on `small`, with up to two plan changes) arrives on time or up to the largest
 * lateness ingest accepts (`USAGE_MAX_LATENESS_HOURS` ≤ 744 h), in any order; the reporter runs at generated instants,
 * sometimes more than 24 h apart (so rule 6 folds overage too). Per dimension and term, the overage Microsoft is sent
 * must be the overage of the same usage rated on time, and what the charges engine shows (invoicePreview).
 */
const START = Date.parse('2026-02-01T00:00:00.000Z');
const HOURS = 40 * 24;
const ANCHOR = new Date('2026-01-06T00:00:00.000Z');
const catalog = aMeteringCatalog();
const ZERO = new Dec(0);

interface Usage {
  readonly hour: number;
  readonly dimension: (typeof DIMENSIONS)[number];
  /** Thousandths. */
  readonly milli: number;
  /** Hours after its own hour that the usage reaches the ledger (0: in time). */
  readonly lateness: number;
}

const usageArbitrary = fc.record({
  hour: fc.integer({ min: 0, max: HOURS - 1 }),
  dimension: fc.constantFrom(...DIMENSIONS),
  milli: fc.integer({ min: 1, max: 9_000 }),
  lateness: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 30 }),
    fc.integer({ min: 1, max: MAX_USAGE_MAX_LATENESS_HOURS }),
    fc.constant(MAX_USAGE_MAX_LATENESS_HOURS),
  ),
});

/** Plan changes at generated hours of the window (small → large → small …), at 20 minutes past the hour. */
const changesArbitrary = fc.uniqueArray(fc.integer({ min: 1, max: HOURS - 1 }), { maxLength: 2 });

/** Hours between reporter runs: mostly every hour, sometimes late enough for the 24 h window to close (rule 6). */
const gapsArbitrary = fc.array(
  fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 20, max: 40 })),
  {
    minLength: 1,
    maxLength: 50,
  },
);

const hourAt = (index: number) => new Date(START + index * HOUR_MS);
const quantityOf = (usage: Usage) => new Dec(usage.milli).dividedBy(1000);

function subscriptionWith(changes: readonly number[]): Subscription {
  const sorted = [...changes].sort((a, b) => a - b);
  return aMeteredSubscription({
    id: 'sub-1',
    timeline: [
      { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
      ...sorted.map((hour, index) => ({
        from: new Date(START + hour * HOUR_MS + 20 * 60_000).toISOString(),
        status: 'Subscribed' as const,
        planId: index % 2 === 0 ? 'large' : 'small',
      })),
    ],
  });
}

/** Overage by `dimension|termStart`. */
type ByTerm = Map<string, Dec>;
const add = (map: ByTerm, dimension: string, termStart: Date, quantity: Dec) => {
  const key = `${dimension}|${termStart.toISOString()}`;
  map.set(key, (map.get(key) ?? ZERO).plus(quantity));
};
const nonZero = (map: ByTerm) =>
  Object.fromEntries([...map].filter(([, q]) => !q.isZero()).map(([key, q]) => [key, q.toString()]));

/**
 * The reporter, simulated with its pure rules: usage reaches the slots when it arrives; each run rates every slot up
 * to the last closed hour in hour order (as report-usage.ts does), places carry that has no later slot (rule 8), and
 * Microsoft accepts every pending event. Returns what Microsoft received, with the term each part of it was rated in.
 */
function simulate(usage: readonly Usage[], subscription: Subscription, gaps: readonly number[]) {
  const history = planHistoryOf(subscription, catalog)?.resolved;
  if (!history) throw new Error('the subscription has no plan history');
  const slots = new Map<string, ReportingSlot>();
  const meters = new Map<string, MeterState>(DIMENSIONS.map((d) => [d, emptyMeter(subscription.id, d)]));
  const billed: ByTerm = new Map();
  let received = ZERO;

  const apply = (plan: SlotPlan, slot: ReportingSlot, meter: MeterState): MeterState => {
    switch (plan.kind) {
      case 'none':
      case 'clearIndex':
        return meter;
      case 'blocked':
      case 'unreportable':
        throw new Error(`unexpected ${plan.kind} for ${slot.hour}`);
      case 'late': {
        slots.set(key(slot.dimension, slot.hour), {
          ...slot,
          accountedQuantity: slot.quantity,
          lateQuantity: slot.lateQuantity.plus(plan.delta),
        });
        // The overage the late delta adds to its own hour's term, whatever the rule calls it: the meter's carried
        // overage grows by it.
        const overage = plan.meter.carryOverage.minus(meter.carryOverage);
        add(billed, slot.dimension, hourContext(history, slot.dimension, new Date(slot.hour)).termStart, overage);
        return plan.meter;
      }
      case 'rated': {
        const submission =
          plan.submission.state === 'pending' ? { ...plan.submission, state: 'accepted' as const } : plan.submission;
        if (plan.submission.state === 'pending') received = received.plus(plan.submission.quantity);
        slots.set(key(slot.dimension, slot.hour), { ...slot, accountedQuantity: slot.quantity, submission });
        add(billed, slot.dimension, plan.rated.termStart, plan.rated.overage);
        return plan.meter;
      }
    }
  };

  const run = (now: Date) => {
    const lastHour = lastClosedHour(now, 10);
    const context = { now, subscription, history };
    for (const dimension of DIMENSIONS) {
      let meter = meters.get(dimension) ?? emptyMeter(subscription.id, dimension);
      const due = [...slots.values()]
        .filter((slot) => slot.dimension === dimension && Date.parse(slot.hour) <= lastHour.getTime())
        .sort((a, b) => (a.hour < b.hour ? -1 : 1));
      for (const found of due) {
        const slot = slots.get(key(dimension, found.hour)) ?? found;
        meter = apply(planSlot(meter, slot, context), slot, meter);
      }
      const target = carryTarget(meter, subscription, lastHour, now);
      if (hasCarry(meter) && target.kind === 'hour') {
        const hour = target.hour.toISOString();
        const slot = slots.get(key(dimension, hour)) ?? blankSlot(dimension, hour);
        meter = apply(planSlot(meter, slot, { ...context, placeCarry: true }), slot, meter);
      }
      meters.set(dimension, meter);
    }
  };

  const lastArrival = Math.max(HOURS, ...usage.map((u) => u.hour + u.lateness));
  let nextRun = 0;
  let gap = 0;
  for (let step = 0; step <= lastArrival + 2; step++) {
    for (const u of usage) {
      if (u.hour + u.lateness !== step) continue;
      const hour = hourAt(u.hour).toISOString();
      const slot = slots.get(key(u.dimension, hour)) ?? blankSlot(u.dimension, hour);
      slots.set(key(u.dimension, hour), { ...slot, quantity: slot.quantity.plus(quantityOf(u)) });
    }
    if (step === nextRun) {
      run(new Date(START + (step + 1) * HOUR_MS + 11 * 60_000));
      nextRun = step + (gaps[gap++ % gaps.length] ?? 1);
    }
  }
  // Hourly runs to the end, so every carry finds its event.
  for (let step = lastArrival + 3; step <= lastArrival + 5; step++) run(new Date(START + step * HOUR_MS + 11 * 60_000));
  return { billed, received, meters: [...meters.values()] };
}

const key = (dimension: string, hour: string) => `${dimension}|${hour}`;
const blankSlot = (dimension: string, hour: string): ReportingSlot => ({
  subscriptionId: 'sub-1',
  offerId: OFFER,
  dimension,
  hour,
  quantity: ZERO,
  accountedQuantity: ZERO,
  lateQuantity: ZERO,
  unreportableQuantity: ZERO,
  indexed: true,
  reportVersion: 0,
});

/** The allowance engine over the same usage, every hour rated on time: overage by dimension and term. */
function onTimeOverage(usage: readonly Usage[], subscription: Subscription): ByTerm {
  const history = planHistoryOf(subscription, catalog)?.history ?? [];
  const byTerm: ByTerm = new Map();
  const { hours } = rateUsage(
    history,
    usage.map((u) => ({ dimensionId: u.dimension, hour: hourAt(u.hour), quantity: quantityOf(u).toString() })),
  );
  for (const rated of hours) add(byTerm, rated.dimensionId, rated.termStart, rated.overage);
  return byTerm;
}

/** The charges engine's invoice preview, term by term (a monthly term is one billing period): overage lines. */
function invoicedOverage(usage: readonly Usage[], subscription: Subscription): ByTerm {
  const history = planHistoryOf(subscription, catalog)?.history ?? [];
  const byTerm: ByTerm = new Map();
  const hourUsage = usage.map((u) => ({
    dimensionId: u.dimension,
    hour: hourAt(u.hour),
    quantity: quantityOf(u).toString(),
  }));
  for (let term = termContaining(ANCHOR, 'P1M', hourAt(0)); term.start.getTime() < START + HOURS * HOUR_MS; ) {
    const preview = invoicePreview(
      { customer: { subscriptionId: subscription.id }, currency: 'USD', history, usage: hourUsage },
      { from: term.start, to: term.end },
    );
    for (const line of preview.periods.flatMap((period) => period.lines)) {
      if (line.kind === 'overage') add(byTerm, line.dimensionId, term.start, line.quantity);
    }
    term = termContaining(ANCHOR, 'P1M', term.end);
  }
  return byTerm;
}

describe('late usage is billed in its own term', () => {
  it('sends, per dimension and term, the overage of the usage rated on time and invoiced, whatever is late', () => {
    fc.assert(
      fc.property(
        fc.array(usageArbitrary, { maxLength: 60 }),
        changesArbitrary,
        gapsArbitrary,
        (usage, changes, gaps) => {
          const subscription = subscriptionWith(changes);
          const { billed, received, meters } = simulate(usage, subscription, gaps);

          const onTime = onTimeOverage(usage, subscription);
          expect(nonZero(billed)).toEqual(nonZero(onTime));
          expect(nonZero(invoicedOverage(usage, subscription))).toEqual(nonZero(onTime));
          // Microsoft received all of it: nothing waits in a carry, nothing was sent twice.
          expect(meters.every((meter) => !hasCarry(meter))).toBe(true);
          const total = [...onTime.values()].reduce((sum, q) => sum.plus(q), ZERO);
          expect(received.toString()).toBe(total.toString());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives every term the same bill whatever order the same usage arrives in', () => {
    fc.assert(
      fc.property(
        fc.array(usageArbitrary, { maxLength: 40 }).chain((usage) =>
          fc.tuple(
            fc.constant(usage),
            fc.array(fc.integer({ min: 0, max: MAX_USAGE_MAX_LATENESS_HOURS }), {
              minLength: usage.length,
              maxLength: usage.length,
            }),
          ),
        ),
        changesArbitrary,
        ([usage, otherLateness], changes) => {
          const subscription = subscriptionWith(changes);
          const reordered = usage.map((u, index) => ({ ...u, lateness: otherLateness[index] ?? 0 }));
          expect(nonZero(simulate(reordered, subscription, [1]).billed)).toEqual(
            nonZero(simulate(usage, subscription, [1]).billed),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps term records for at least as long as ingest accepts late usage', () => {
    // The horizon is the domain's copy of the largest USAGE_MAX_LATENESS_HOURS: raising that setting's maximum without
    // the horizon would drop the usage of a term that late usage can still reach.
    expect(LATE_USAGE_HORIZON_MS).toBeGreaterThanOrEqual(MAX_USAGE_MAX_LATENESS_HOURS * HOUR_MS);
  });
});
