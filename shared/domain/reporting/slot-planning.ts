/**
 * The reporter's decision for one slot (rules 2–8 of README.md): rate its delta in hour order, rate late usage in its
 * own hour's term and fold its overage forward with expired overage, or record it as unreportable. Pure: no I/O, no
 * clock (the instant is passed in).
 */
import { consumeHour, hourContext, type RatedHour, type ResolvedPlanPeriod } from '#shared/domain/allowance.ts';
import { Dec } from '#shared/domain/money.ts';
import { hasEnded, type Subscription, wasSubscribedDuring } from '#shared/domain/subscription.ts';
import { floorToUtcHour, HOUR_MS } from '#shared/domain/terms.ts';
import { isWithinSendWindow, METERING_WINDOW_MS, SEND_WINDOW_MARGIN_MS } from './report-schedule.ts';
import { hasCarry, type MeterState, type ReportingSlot, type SlotSubmission } from './slots.ts';
import { pruneTerms, segmentStartOf, type TermUsage, termOverage, termRecordsOf, withTermUsage } from './term-usage.ts';

const ZERO = new Dec(0);

/** What the reporter needs to decide about one slot. */
export interface SlotContext {
  readonly now: Date;
  /** The subscription; undefined when the store does not know it. */
  readonly subscription: Subscription | undefined;
  /** `planHistoryOf(subscription).resolved` (plan-history.ts); undefined when never Subscribed. */
  readonly history: readonly ResolvedPlanPeriod[] | undefined;
  /** Rate this slot even if its own delta is 0, to place the meter's carry in it (rule 8). */
  readonly placeCarry?: boolean;
}

/** The decision for one slot: what to write (in ONE transaction) and whether an event is owed. */
export type SlotPlan =
  /** Nothing to write (a pending submission is still resent by the caller). */
  | { readonly kind: 'none' }
  /** Fully accounted and final: drop it from the unreported index (condition: quantity unchanged). */
  | { readonly kind: 'clearIndex' }
  /**
   * Rule 5: the delta is rated in its own hour's term and its `overage` joins the meter's carried overage (or, for a
   * term whose usage is not recorded, the delta joins the carried usage: `carried: 'usage'`); the slot records it as
   * late.
   */
  | {
      readonly kind: 'late';
      readonly delta: Dec;
      readonly carried: 'overage' | 'usage';
      /** The overage the delta adds to its term (0 when carried as usage). */
      readonly overage: Dec;
      readonly meter: MeterState;
      readonly clearIndex: boolean;
    }
  /** Rule 7: the delta is recorded as unreportable; no allowance consumed, nothing sent. */
  | { readonly kind: 'unreportable'; readonly delta: Dec; readonly submission: SlotSubmission }
  /** The slot cannot be rated now (configuration problem): leave it, so it stays in the index and ages (alarm). */
  | { readonly kind: 'blocked'; readonly reason: string }
  /** Rated: the meter's tally moves to this hour; `submission.state` is pending (send), included or expiredFolded. */
  | {
      readonly kind: 'rated';
      readonly delta: Dec;
      readonly meter: MeterState;
      readonly submission: SlotSubmission;
      readonly rated: RatedHour;
    };

/**
 * Decides what to do with one slot (rules 2–7), given the meter state as read. Pure.
 * The caller writes the plan in one transaction (meter version + slot quantity and report version as conditions) and,
 * if the write loses a race, re-reads both and asks again.
 */
export function planSlot(meter: MeterState, slot: ReportingSlot, context: SlotContext): SlotPlan {
  const delta = slot.quantity.minus(slot.accountedQuantity);
  if (delta.isNegative() && !delta.isZero()) {
    // Quantities only grow; a smaller quantity is a manual edit or a bug. Never "un-report": leave it for an operator.
    return {
      kind: 'blocked',
      reason: `slot quantity ${slot.quantity} is below its accounted ${slot.accountedQuantity}`,
    };
  }
  const hour = new Date(slot.hour);
  const submission = slot.submission;
  const alreadyRated =
    (meter.tally !== undefined && hour.getTime() <= meter.tally.lastHour.getTime()) ||
    (submission !== undefined && submission.state !== 'unreportable');

  if (delta.isZero() && !(context.placeCarry && !alreadyRated)) {
    const final = submission === undefined || submission.state !== 'pending';
    return slot.indexed && final ? { kind: 'clearIndex' } : { kind: 'none' };
  }
  if (alreadyRated && delta.isZero()) return { kind: 'none' };
  const preparedAt = context.now.toISOString();
  const subscription = context.subscription;
  if (!subscription) return { kind: 'blocked', reason: `subscription ${slot.subscriptionId} is not in the store` };
  const subscribed =
    context.history !== undefined && wasSubscribedDuring(subscription, hour, new Date(hour.getTime() + HOUR_MS));
  // Rule 7 holds whenever the usage arrives: late usage of an hour that was never Subscribed is not billed either.
  if (!subscribed && (submission === undefined || submission.state === 'unreportable')) {
    return {
      kind: 'unreportable',
      delta,
      submission: submission ?? {
        state: 'unreportable',
        quantity: '0',
        effectiveStartTime: slot.hour,
        reason: 'notSubscribed',
        attempts: 0,
        preparedAt,
      },
    };
  }
  if (!context.history) return { kind: 'blocked', reason: `subscription ${slot.subscriptionId} has no plan history` };
  if (alreadyRated) return planLate(meter, slot, delta, context.history, context.now);
  let rating: ReturnType<typeof consumeHour>;
  let terms: ReturnType<typeof pruneTerms>;
  try {
    const hourRule = hourContext(context.history, slot.dimension, hour);
    const state = meter.tally ? { [slot.dimension]: meter.tally } : {};
    rating = consumeHour(state, hourRule, {
      dimensionId: slot.dimension,
      hour,
      quantity: delta.plus(meter.carryUsage),
    });
    const records = termRecordsOf(meter);
    const segment = segmentStartOf(context.history, hour, hourRule.termStart);
    terms = pruneTerms(
      withTermUsage(records.terms, hourRule.termStart, segment, rating.rated.usage),
      records.knownFrom,
      hour,
    );
  } catch (error) {
    return { kind: 'blocked', reason: error instanceof Error ? error.message : String(error) };
  }
  const { rated } = rating;
  const tally = rating.state[slot.dimension];
  const quantity = rated.overage.plus(meter.carryOverage);
  const base = {
    quantity: quantity.toString(),
    planId: rated.planId,
    effectiveStartTime: slot.hour,
    ratedUsage: rated.usage.toString(),
    consumedIncluded: rated.consumedIncluded.toString(),
    overage: rated.overage.toString(),
    carriedUsage: meter.carryUsage.toString(),
    carriedOverage: meter.carryOverage.toString(),
    termStart: rated.termStart.toISOString(),
    attempts: 0,
    preparedAt,
  };
  const rolled: MeterState = { ...withTerms(meter, terms), ...(tally ? { tally } : {}) };
  if (quantity.isZero()) {
    return {
      kind: 'rated',
      delta,
      meter: withCarry(rolled, { usage: ZERO, overage: ZERO }, context.now),
      submission: { ...base, state: 'included' },
      rated,
    };
  }
  if (!isWithinSendWindow(hour, context.now)) {
    // Rule 6, without a call: Microsoft would answer Expired. The usage consumed its own hour's allowance (right term);
    // only the overage moves on.
    return {
      kind: 'rated',
      delta,
      meter: withCarry(rolled, { usage: ZERO, overage: quantity }, context.now),
      submission: { ...base, state: 'expiredFolded', reason: 'outsideWindow' },
      rated,
    };
  }
  return {
    kind: 'rated',
    delta,
    meter: withCarry(rolled, { usage: ZERO, overage: ZERO }, context.now),
    submission: { ...base, state: 'pending' },
    rated,
  };
}

/**
 * Rule 5: a delta for an hour at or before the last rated one, rated in its own hour's term under the plan in force in
 * that hour. The overage it adds to the term is overage(term with it) − overage(term without it) (term-usage.ts), so
 * the term is billed exactly what it would have been with every usage on time, however late and in whatever order its
 * usage arrives, and no other term's allowance is touched. That overage is already rated: it joins `carryOverage`, to
 * be added on top of the next event without being rated again, as an Expired event's overage is (rule 6).
 */
function planLate(
  meter: MeterState,
  slot: ReportingSlot,
  delta: Dec,
  history: readonly ResolvedPlanPeriod[],
  now: Date,
): SlotPlan {
  const hour = new Date(slot.hour);
  const clearIndex = slot.submission?.state !== 'pending';
  let termStart: Date;
  let overage: Dec;
  let terms: readonly TermUsage[];
  const records = termRecordsOf(meter);
  try {
    termStart = hourContext(history, slot.dimension, hour).termStart;
    if (records.knownFrom && termStart.getTime() < records.knownFrom.getTime()) {
      // A term this meter kept no record of (stored before the records were kept): its usage so far is unknown, so
      // the delta is carried as usage and rated with the next hour, as before the records existed.
      return {
        kind: 'late',
        delta,
        carried: 'usage',
        overage: ZERO,
        meter: withCarry(meter, { usage: meter.carryUsage.plus(delta) }, now, { late: delta }),
        clearIndex,
      };
    }
    const segment = segmentStartOf(history, hour, termStart);
    const before = records.terms.find((t) => t.termStart.getTime() === termStart.getTime())?.segments ?? [];
    terms = withTermUsage(records.terms, termStart, segment, delta);
    const after = terms.find((t) => t.termStart.getTime() === termStart.getTime())?.segments ?? [];
    overage = termOverage(history, slot.dimension, after).minus(termOverage(history, slot.dimension, before));
  } catch (error) {
    return { kind: 'blocked', reason: error instanceof Error ? error.message : String(error) };
  }
  const tally =
    meter.tally && meter.tally.termStart.getTime() === termStart.getTime()
      ? { ...meter.tally, usageInTerm: meter.tally.usageInTerm.plus(delta) }
      : meter.tally;
  const rated: MeterState = {
    ...withTerms(meter, { terms, ...(records.knownFrom ? { knownFrom: records.knownFrom } : {}) }),
    ...(tally ? { tally } : {}),
  };
  return {
    kind: 'late',
    delta,
    carried: 'overage',
    overage,
    meter: withCarry(rated, { overage: meter.carryOverage.plus(overage) }, now, { late: delta }),
    clearIndex,
  };
}

/** The meter with its term records replaced. */
function withTerms(meter: MeterState, records: { terms: readonly TermUsage[]; knownFrom?: Date }): MeterState {
  const { termsKnownFrom: _dropped, ...rest } = meter;
  return { ...rest, terms: records.terms, ...(records.knownFrom ? { termsKnownFrom: records.knownFrom } : {}) };
}

/**
 * The meter with new carries. `carrySince` is set when the carry goes from nothing to something: to the hour before
 * the current one, so the next run's closed-hour query finds the meter, and its age measures how long the carry has
 * waited (never the age of the late usage itself, which may be days: ingest accepts late usage, see functions/usage-ingest/config.ts).
 */
function withCarry(
  meter: MeterState,
  carry: { usage?: Dec; overage?: Dec },
  now: Date,
  added: { late?: Dec } = {},
): MeterState {
  const next = {
    ...meter,
    carryUsage: carry.usage ?? meter.carryUsage,
    carryOverage: carry.overage ?? meter.carryOverage,
    lateTotal: added.late ? meter.lateTotal.plus(added.late) : meter.lateTotal,
  };
  if (!hasCarry(next)) {
    const { carrySince: _dropped, ...rest } = next;
    return rest;
  }
  return { ...next, carrySince: meter.carrySince ?? new Date(floorToUtcHour(now).getTime() - HOUR_MS).toISOString() };
}

/** The meter after an `Expired` answer (rule 6): the event's quantity waits to be added to the next event. */
export function withExpiredFold(meter: MeterState, quantity: Dec, now: Date): MeterState {
  return withCarry(meter, { overage: meter.carryOverage.plus(quantity) }, now);
}

/**
 * Where the meter's carry goes when no later slot of its own remains (rule 8): the latest hour in
 * (last rated hour, `lastHour`] that was Subscribed and can still be sent; `wait` when none is yet (e.g. suspended,
 * or the only closed hours are rated already) and the subscription may still be reported; `unreportable` when it
 * has ended and no such hour is left.
 */
export function carryTarget(
  meter: MeterState,
  subscription: Subscription | undefined,
  lastHour: Date,
  now: Date,
): { readonly kind: 'hour'; readonly hour: Date } | { readonly kind: 'wait' } | { readonly kind: 'unreportable' } {
  if (!hasCarry(meter) || !subscription) return { kind: 'wait' };
  const after = meter.tally?.lastHour.getTime() ?? Number.NEGATIVE_INFINITY;
  const oldest = now.getTime() - METERING_WINDOW_MS + SEND_WINDOW_MARGIN_MS;
  for (let t = floorToUtcHour(lastHour).getTime(); t > after && t >= oldest; t -= HOUR_MS) {
    if (wasSubscribedDuring(subscription, new Date(t), new Date(t + HOUR_MS)))
      return { kind: 'hour', hour: new Date(t) };
  }
  return hasEnded(subscription) ? { kind: 'unreportable' } : { kind: 'wait' };
}

/** The meter after its carry was found unreportable for good (rule 8). */
export function withUnreportableCarry(meter: MeterState): MeterState {
  const lost = meter.carryUsage.plus(meter.carryOverage);
  const { carrySince: _dropped, ...rest } = meter;
  return { ...rest, carryUsage: ZERO, carryOverage: ZERO, unreportableCarry: meter.unreportableCarry.plus(lost) };
}
