/**
 * Reporting metered usage to the Marketplace Metering API: which hours may be reported, how each hourly slot is
 * accounted exactly once, how late usage and `Expired` answers are folded forward, which event is built for a slot,
 * and what each answer of the batch call means. Pure: no I/O, no clock (the instant is passed in).
 *
 * THE RULES (DESIGN invariants 1–4 and 6; reference/marketplace-api.md §4.3, §4.4, §6 items 7–9):
 *
 * 1. CLOSED HOURS. An hour H is reportable once H + 1 h + grace ≤ now (grace default 10 min, setting
 *    `USAGE_REPORT_GRACE_MINUTES`): usage posted at 09:59:59 still has to pass the queue and the aggregator before
 *    the 09:00 slot is final. A run handles every closed hour it finds (catch-up), oldest first.
 * 2. ONE EVENT PER (subscription, dimension, UTC hour), EVER. Each slot carries at most one submission. Its content
 *    (quantity, planId, effectiveStartTime) is fixed BEFORE the call (write-ahead) and never changes; a resubmission
 *    after a crash or a 5xx sends exactly the same event, which Microsoft answers `Duplicate` if the first one went
 *    through (crash healing, §6.7).
 * 3. ACCOUNTING. A slot's `quantity` only grows (aggregator ADDs). `accountedQuantity` is how much of it the reporter
 *    has dealt with; `delta = quantity − accountedQuantity` is what arrived since. Each delta is accounted once, in
 *    the same transaction that records what became of it, conditional on `quantity` still being what was read.
 * 4. RATING IN HOUR ORDER. Per (subscription, dimension) hours are rated strictly in increasing order by the allowance
 *    engine (`allowance.ts`: included quantity per term, reset at the term anniversary from `term.startDate`, never at
 *    calendar months; the plan change rule stated there) under the plan in force in that hour. Only
 *    `overage > 0` is reported; an unlimited dimension never is.
 * 5. LATE USAGE. A delta for an hour at or before the last rated hour (its hour was already rated or reported) is never
 *    sent for that hour again: it joins the meter's `carryUsage` and is recorded on its slot as `lateQuantity`. The
 *    carried usage is rated together with the next reportable hour of the same subscription and dimension (Microsoft:
 *    usage that missed its hour "may be added to a later event", §4.3), so it counts against the allowance of the
 *    term of THAT hour.
 * 6. EXPIRED. An `Expired` answer (or an hour already outside the 24 h window when it is rated) folds the event's
 *    quantity into the meter's `carryOverage`: overage already rated, added on top of the next reportable hour's
 *    event without being rated again (re-rating would let a new term's allowance swallow billable overage).
 *    Microsoft's outage guidance: "fold the quantity into the next hour's event" (§4.3).
 * 7. STATUS. An hour in which the subscription was never Subscribed (not at any instant of the hour) is not reported:
 *    its usage is recorded on the slot as `unreportableQuantity` with the reason, and consumes no allowance. An hour
 *    that was Subscribed for part of its length stays reportable (usage before a suspension or cancellation, §4.3).
 * 8. CARRY WITH NOWHERE TO GO. When a meter holds carry and no later slot of its own exists, the carry is put into a
 *    slot of the latest closed hour after the last rated one in which the subscription was Subscribed and that is
 *    still inside the 24 h window (the slot is created if needed). If there is none and the subscription has ended
 *    (Unsubscribed), the carry can never be reported: it is recorded as `unreportableCarry` and alarmed.
 * 9. ANSWERS (§4.1, §4.4): Accepted, or Duplicate with our quantity → `accepted` (usageEventId kept); Duplicate with
 *    another quantity → `duplicateMismatch` (Microsoft's quantity kept, alarm); Expired → rule 6;
 *    ResourceNotActive / ResourceNotFound → `unreportable` + the subscription flagged + the publisher alerted;
 *    InvalidDimension / InvalidQuantity / BadArgument / ResourceNotAuthorized → `rejected` (a configuration bug:
 *    alarm); Error, an unknown status, 429, 5xx, timeouts → the submission stays `pending` and is resent by the next
 *    run, unchanged.
 * 10. EXACT NUMBERS. Quantities are decimals (`Dec`) from end to end; only the wire value of the event is a JSON
 *    number, because the Metering API's `quantity` is a double.
 */

import {
  consumeHour,
  type DimensionTally,
  hourContext,
  type PlanInForce,
  type RatedHour,
  type ResolvedPlanPeriod,
  resolvePlanHistory,
} from './allowance.ts';
import type { Catalog } from './catalog.ts';
import { findPlan } from './catalog-rules.ts';
import { ValidationError } from './errors.ts';
import { Dec } from './money.ts';
import { termSeriesAnchor } from './plan-history.ts';
import type { Subscription, SubscriptionPeriod } from './subscription.ts';
import { addMonthsClamped, floorToUtcHour, HOUR_MS, monthsSinceAnchor, termUnitMonths } from './terms.ts';

const DAY_MS = 86_400_000;
const ZERO = new Dec(0);

/** Default grace after an hour closes before it is reported (rule 1). */
export const DEFAULT_REPORT_GRACE_MINUTES = 10;
/** Microsoft accepts an event whose effectiveStartTime lies at most 24 h in the past (§4.3). */
export const METERING_WINDOW_MS = 24 * HOUR_MS;
/**
 * Margin kept inside the 24 h window when deciding whether an hour can still be sent: the batch may wait for a free
 * slot of the send pool and the HTTP client retries for up to 30 s, so an hour 23 h 55 min old could expire on the
 * way. Sending it would only earn an `Expired`, which is folded the same way anyway.
 */
export const SEND_WINDOW_MARGIN_MS = 10 * 60_000;
/** Default age (hours) of the oldest unreported slot above which the operator is alarmed: well before 24 h. */
export const DEFAULT_UNREPORTED_ALARM_HOURS = 20;

/** What became of a slot's one submission. `pending` is the only state that is not final. */
export type SubmissionState =
  | 'pending'
  | 'included'
  | 'accepted'
  | 'duplicateMismatch'
  | 'expiredFolded'
  | 'unreportable'
  | 'rejected';

export const FINAL_SUBMISSION_STATES: readonly SubmissionState[] = [
  'included',
  'accepted',
  'duplicateMismatch',
  'expiredFolded',
  'unreportable',
  'rejected',
];

/** Why usage cannot be reported (rule 7, rule 8, rule 9). */
export type UnreportableReason = 'notSubscribed' | 'subscriptionEnded' | 'ResourceNotActive' | 'ResourceNotFound';

/**
 * The one submission of a slot. Quantities are exact decimal strings. `quantity`, `planId` and
 * `effectiveStartTime` are fixed when the submission is written ahead and never change afterwards.
 */
export interface SlotSubmission {
  readonly state: SubmissionState;
  /** The event's quantity: overage of the hour plus carried overage; `0` when nothing is sent. */
  readonly quantity: string;
  /** The plan in force in the hour (the event's planId); absent when the hour was not rated. */
  readonly planId?: string;
  /** Start of the UTC hour, ISO 8601 with `Z` (§6.8). */
  readonly effectiveStartTime: string;
  /** Usage rated in this hour: the slot's delta plus carried (late) usage. */
  readonly ratedUsage?: string;
  /** The part of `ratedUsage` covered by the term's included quantity. */
  readonly consumedIncluded?: string;
  /** The overage of `ratedUsage` (= `quantity` − `carriedOverage`). */
  readonly overage?: string;
  /** Late usage of earlier hours rated here (rule 5). */
  readonly carriedUsage?: string;
  /** Overage of earlier hours added here (rule 6). */
  readonly carriedOverage?: string;
  /** Start of the term the hour was rated in. */
  readonly termStart?: string;
  /** Microsoft's id of the accepted event (Accepted, or the original behind a Duplicate). */
  readonly usageEventId?: string;
  /** The quantity Microsoft holds for the slot (Accepted: ours; Duplicate: the original's). */
  readonly acceptedQuantity?: string;
  /** The status Microsoft answered last (raw, for the record). */
  readonly answer?: string;
  /** Why the slot ended unreportable, rejected or folded. */
  readonly reason?: string;
  /** Calls that carried this event without a final answer before the current one. */
  readonly attempts: number;
  readonly preparedAt: string;
  readonly answeredAt?: string;
}

/** A slot as the reporter sees it: the aggregator's sums plus the reporter's accounting. */
export interface ReportingSlot {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly dimension: string;
  /** Start of the UTC hour, ISO with milliseconds (`Date.toISOString()`). */
  readonly hour: string;
  /** Everything aggregated into the slot so far (exact). `0` for a slot that does not exist yet. */
  readonly quantity: Dec;
  readonly accountedQuantity: Dec;
  /** Usage that arrived after the hour was rated and was folded forward (rule 5). */
  readonly lateQuantity: Dec;
  /** Usage of the slot that can never be reported (rule 7). */
  readonly unreportableQuantity: Dec;
  readonly submission?: SlotSubmission;
  /** Whether the slot is in the "unreported" index. */
  readonly indexed: boolean;
  /** Incremented by every reporter write to the slot: guards read-decide-write against a concurrent reporter. */
  readonly reportVersion: number;
}

/** Per (subscription, dimension): the allowance tally and what is waiting to be folded forward. */
export interface MeterState {
  readonly subscriptionId: string;
  readonly dimension: string;
  /** 0 before the first write; every write increments it (optimistic concurrency). */
  readonly version: number;
  /** The allowance tally of `allowance.ts` (term start, usage in term, last rated hour); absent before the first. */
  readonly tally?: DimensionTally;
  /** Late usage waiting to be rated with the next reportable hour (rule 5). */
  readonly carryUsage: Dec;
  /** Rated overage waiting to be added to the next event (rule 6). */
  readonly carryOverage: Dec;
  /** Hour (ISO) from which the carry has been waiting: its age is what the unreported-age alarm watches. */
  readonly carrySince?: string;
  /** Total late usage ever folded forward (for the record and metrics). */
  readonly lateTotal: Dec;
  /** Carry that could never be reported (rule 8). */
  readonly unreportableCarry: Dec;
}

/** A meter before its first write. */
export function emptyMeter(subscriptionId: string, dimension: string): MeterState {
  return {
    subscriptionId,
    dimension,
    version: 0,
    carryUsage: ZERO,
    carryOverage: ZERO,
    lateTotal: ZERO,
    unreportableCarry: ZERO,
  };
}

/** Whether the meter holds anything to fold forward. */
export function hasCarry(meter: MeterState): boolean {
  return meter.carryUsage.greaterThan(0) || meter.carryOverage.greaterThan(0);
}

/**
 * The last closed hour at `now` (rule 1): the latest H with H + 1 h + grace ≤ now.
 * @throws RangeError for a negative grace.
 */
export function lastClosedHour(now: Date, graceMinutes: number): Date {
  if (!(graceMinutes >= 0)) throw new RangeError(`grace must be ≥ 0 minutes, got ${graceMinutes}`);
  return new Date(floorToUtcHour(new Date(now.getTime() - graceMinutes * 60_000)).getTime() - HOUR_MS);
}

/**
 * The last hour a flush at cancellation time `until` reports: the hour containing the last Subscribed instant
 * (an `until` exactly on an hour boundary ends the previous hour), never after the current hour.
 */
export function lastFlushHour(until: Date, now: Date): Date {
  const last = floorToUtcHour(new Date(until.getTime() - 1));
  const current = floorToUtcHour(now);
  return last.getTime() > current.getTime() ? current : last;
}

/** Whether an event for `hour` can still be sent at `now` (24 h window minus `SEND_WINDOW_MARGIN_MS`). */
export function isWithinSendWindow(hour: Date, now: Date): boolean {
  return (
    hour.getTime() <= now.getTime() && hour.getTime() >= now.getTime() - METERING_WINDOW_MS + SEND_WINDOW_MARGIN_MS
  );
}

/** Age in hours of something waiting since `since` (0 when in the future). */
export function ageHours(since: Date, now: Date): number {
  return Math.max(0, (now.getTime() - since.getTime()) / HOUR_MS);
}

function timelineOf(subscription: Subscription): readonly SubscriptionPeriod[] {
  return subscription.timeline && subscription.timeline.length > 0
    ? subscription.timeline
    : [{ from: new Date(0).toISOString(), status: subscription.status, planId: subscription.planId }];
}

/**
 * Whether the subscription was Subscribed at some instant of [from, to) (rule 7; the emulator and Microsoft accept
 * usage of an hour that was partly Subscribed: hours before a suspension or cancellation stay reportable).
 */
export function wasSubscribedDuring(subscription: Subscription, from: Date, to: Date): boolean {
  const timeline = timelineOf(subscription);
  return timeline.some((period, index) => {
    if (period.status !== 'Subscribed') return false;
    const start = Date.parse(period.from);
    const next = timeline[index + 1];
    const end = next ? Date.parse(next.from) : Number.POSITIVE_INFINITY;
    return start < to.getTime() && end > from.getTime();
  });
}

/** Whether the subscription's life has ended (Unsubscribed is terminal, §1.4). */
export function hasEnded(subscription: Subscription): boolean {
  const timeline = timelineOf(subscription);
  return timeline[timeline.length - 1]?.status === 'Unsubscribed';
}

/**
 * The plan history the allowance engine rates a subscription's hours with, from its timeline and the catalog;
 * undefined when it was never Subscribed (nothing of it can be rated).
 *
 * - It starts at the first Subscribed period (activation): earlier hours are never reportable.
 * - One entry per plan change; several changes in one UTC hour keep the last (the plan in force at the end of the hour
 *   is the one Microsoft accepts for it too, since it was in force during the hour).
 * - Billing term of each plan: the one of the subscription's current term unit when the plan has it, else the plan's
 *   first (the store keeps the current term only, not the units of past terms).
 * - Term anchor: Microsoft's `term.startDate` moves at each renewal, so the series anchor is recovered from it: the
 *   activation day when `startDate` lies on its anniversary series (exact, clamping included), else `startDate`
 *   moved back by whole terms to at or before the activation day. Entries on the current term unit get that anchor;
 *   entries on another unit get the allowance engine's default (a new term on the day of the change).
 * @throws NotFoundError (from the catalog) when a plan of the timeline is not in the catalog.
 * @throws ValidationError when a plan has no billing term, or (from `resolvePlanHistory`) the timeline is not in
 *   time order.
 */
export function planHistoryOf(subscription: Subscription, catalog: Catalog): ResolvedPlanPeriod[] | undefined {
  const timeline = timelineOf(subscription);
  const firstIndex = timeline.findIndex((period) => period.status === 'Subscribed');
  const first = timeline[firstIndex];
  if (!first) return undefined;
  const activation = new Date(first.from);
  const activationDay = new Date(Math.floor(activation.getTime() / DAY_MS) * DAY_MS);
  const unit = subscription.term?.termUnit;
  const anchor = subscription.term ? termSeriesAnchor(subscription.term, activationDay) : activationDay;

  const changes: { from: Date; planId: string }[] = [];
  for (const period of timeline.slice(firstIndex)) {
    const last = changes[changes.length - 1];
    if (last && last.planId === period.planId) continue;
    const from = new Date(period.from);
    if (last && floorToUtcHour(from).getTime() === floorToUtcHour(last.from).getTime()) {
      changes[changes.length - 1] = { from: last.from, planId: period.planId };
    } else {
      changes.push({ from, planId: period.planId });
    }
  }
  const entries: PlanInForce[] = changes.map((change) => {
    const plan = findPlan(catalog, subscription.offerId, change.planId);
    const billingTerm = plan.billingTerms.find((term) => term.termUnit === unit) ?? plan.billingTerms[0];
    if (!billingTerm) {
      throw new ValidationError(`plan ${plan.id} has no billing term to rate with`, 'billingTerms');
    }
    const sameUnit = unit === undefined || billingTerm.termUnit === unit;
    return { from: change.from, plan, billingTerm, ...(sameUnit ? { termAnchor: anchor } : {}) };
  });
  return resolvePlanHistory(entries);
}

/** What the reporter needs to decide about one slot. */
export interface SlotContext {
  readonly now: Date;
  /** The subscription; undefined when the store does not know it. */
  readonly subscription: Subscription | undefined;
  /** `planHistoryOf(subscription)`; undefined when never Subscribed. */
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
  /** Rule 5: the delta joins the meter's carry; the slot records it as late. */
  | { readonly kind: 'late'; readonly delta: Dec; readonly meter: MeterState; readonly clearIndex: boolean }
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
  if (alreadyRated) {
    if (delta.isZero()) return { kind: 'none' };
    return {
      kind: 'late',
      delta,
      meter: withCarry(meter, { usage: meter.carryUsage.plus(delta) }, context.now, { late: delta }),
      clearIndex: submission?.state !== 'pending',
    };
  }
  const preparedAt = context.now.toISOString();
  const subscription = context.subscription;
  if (!subscription) return { kind: 'blocked', reason: `subscription ${slot.subscriptionId} is not in the store` };
  if (!context.history || !wasSubscribedDuring(subscription, hour, new Date(hour.getTime() + HOUR_MS))) {
    return {
      kind: 'unreportable',
      delta,
      submission: {
        state: 'unreportable',
        quantity: '0',
        effectiveStartTime: slot.hour,
        reason: 'notSubscribed',
        attempts: 0,
        preparedAt,
      },
    };
  }
  let rating: ReturnType<typeof consumeHour>;
  try {
    const hourRule = hourContext(context.history, slot.dimension, hour);
    const state = meter.tally ? { [slot.dimension]: meter.tally } : {};
    rating = consumeHour(state, hourRule, {
      dimensionId: slot.dimension,
      hour,
      quantity: delta.plus(meter.carryUsage),
    });
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
  const rolled: MeterState = { ...meter, ...(tally ? { tally } : {}) };
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
 * The meter with new carries. `carrySince` is set when the carry goes from nothing to something: to the hour before
 * the current one, so the next run's closed-hour query finds the meter, and its age measures how long the carry has
 * waited (never the age of the late usage itself, which may be days: ingest accepts late usage, see shared/config.ts).
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

/** The Metering API event of a pending submission (§4.1). */
export interface MeteringEvent {
  readonly resourceId: string;
  readonly quantity: number;
  readonly dimension: string;
  readonly effectiveStartTime: string;
  readonly planId: string;
}

/**
 * The event to send for a slot's submission: resourceId = the SaaS subscription id (§6.10), the hour start with `Z`
 * (§6.8), the plan in force in that hour (DESIGN invariant 2).
 * @throws RangeError when the submission has no plan or no quantity (only rated pending submissions are sent).
 */
export function usageEventOf(subscriptionId: string, dimension: string, submission: SlotSubmission): MeteringEvent {
  if (!submission.planId || !new Dec(submission.quantity).greaterThan(0)) {
    throw new RangeError(
      `submission of ${subscriptionId}/${dimension}/${submission.effectiveStartTime} is not sendable`,
    );
  }
  return {
    resourceId: subscriptionId,
    quantity: wireQuantity(submission.quantity),
    dimension,
    effectiveStartTime: submission.effectiveStartTime,
    planId: submission.planId,
  };
}

/**
 * The JSON number sent for an exact quantity. The Metering API's `quantity` is a double (§4.1); a slot's quantity has at
 * most 6 decimals, so up to 9 integer digits it survives the conversion exactly (see `MAX_QUANTITY_DECIMALS`).
 */
export function wireQuantity(quantity: string): number {
  return Number(quantity);
}

/** One answer of the batch call, reduced to what the decision needs (the port's `UsageEventResult` fits). */
export interface MeteringAnswer {
  readonly status: string;
  readonly usageEventId?: string;
  readonly quantity?: number;
  readonly acceptedMessage?: { readonly usageEventId?: string; readonly quantity?: number };
}

/** What to record for a slot after an answer (rule 9). */
export type AnswerDecision =
  | { readonly kind: 'accepted'; readonly submission: SlotSubmission }
  | { readonly kind: 'duplicateMismatch'; readonly submission: SlotSubmission }
  | { readonly kind: 'expiredFolded'; readonly submission: SlotSubmission; readonly foldOverage: Dec }
  | { readonly kind: 'unreportable'; readonly submission: SlotSubmission; readonly reason: UnreportableReason }
  | { readonly kind: 'rejected'; readonly submission: SlotSubmission }
  | { readonly kind: 'retry'; readonly submission: SlotSubmission };

/** The kinds of `AnswerDecision`, e.g. for metrics by answer. */
export type AnswerKind = AnswerDecision['kind'];

/**
 * Decides what an answer means for a pending submission (rule 9). `undefined` answer = the call failed as a whole
 * (429, 5xx, timeout after the client's retries): retry.
 */
export function decideAnswer(submission: SlotSubmission, answer: MeteringAnswer | undefined, at: Date): AnswerDecision {
  const answeredAt = at.toISOString();
  if (!answer) {
    return { kind: 'retry', submission: { ...submission, attempts: submission.attempts + 1, reason: 'callFailed' } };
  }
  const status = answer.status.trim();
  const done = { ...submission, answer: status, answeredAt };
  switch (status) {
    case 'Accepted':
      return {
        kind: 'accepted',
        submission: {
          ...done,
          state: 'accepted',
          acceptedQuantity: submission.quantity,
          ...(answer.usageEventId ? { usageEventId: answer.usageEventId } : {}),
        },
      };
    case 'Duplicate': {
      const original = answer.acceptedMessage;
      const theirs = original?.quantity;
      const ids = original?.usageEventId ? { usageEventId: original.usageEventId } : {};
      // Microsoft keeps the quantity as a double: compare it with the double we sent for the same decimal.
      if (theirs !== undefined && theirs === wireQuantity(submission.quantity)) {
        return {
          kind: 'accepted',
          submission: { ...done, state: 'accepted', acceptedQuantity: submission.quantity, ...ids },
        };
      }
      return {
        kind: 'duplicateMismatch',
        submission: {
          ...done,
          state: 'duplicateMismatch',
          ...(theirs === undefined ? {} : { acceptedQuantity: decimalOf(theirs) }),
          ...ids,
          reason:
            theirs === undefined
              ? 'Duplicate without the accepted event'
              : `Microsoft holds ${decimalOf(theirs)} for this hour, we computed ${submission.quantity}`,
        },
      };
    }
    case 'Expired':
      return {
        kind: 'expiredFolded',
        submission: { ...done, state: 'expiredFolded', reason: 'Expired' },
        foldOverage: new Dec(submission.quantity),
      };
    case 'ResourceNotActive':
    case 'ResourceNotFound':
      return {
        kind: 'unreportable',
        reason: status,
        submission: { ...done, state: 'unreportable', reason: status },
      };
    case 'InvalidDimension':
    case 'InvalidQuantity':
    case 'BadArgument':
    case 'ResourceNotAuthorized':
      return { kind: 'rejected', submission: { ...done, state: 'rejected', reason: status } };
    default:
      // `Error` and any status Microsoft adds later: the same event is sent again by the next run; a copy that did go
      // through answers Duplicate then.
      return {
        kind: 'retry',
        submission: { ...submission, attempts: submission.attempts + 1, answer: status, reason: status },
      };
  }
}

/** A double from Microsoft as a plain decimal string (its shortest round-trip form). */
function decimalOf(value: number): string {
  return new Dec(String(value)).toString();
}
