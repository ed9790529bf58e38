/**
 * Included quantities and overage (invariant 3 of DESIGN.md): usage of each dimension is counted against the
 * plan's included quantity for the current term, in time order, and only what lies above it is overage (the only
 * usage ever reported to the Metering API; an "unlimited" dimension is never reported — marketplace-api.md §4.3).
 *
 * Rules:
 * - The allowance of a term is counted from the term start and resets at each term start (the anniversary, see
 *   terms.ts), never at calendar months. Annual terms: once the yearly allowance is used up, all further usage in
 *   that year is overage.
 * - Usage is aggregated per (dimension, UTC hour) before it is rated, so the order of events inside an hour cannot
 *   change the result; hours are rated in increasing order.
 * - The plan in force for an hour is the latest history entry whose `from`, floored to its UTC hour, is at or before
 *   that hour: a plan change applies the new plan's allowance and prices from the hour of the change.
 * - PLAN CHANGE RULE: usage already counted in the current term counts against the new plan's allowance:
 *   remaining = max(0, newIncluded − usageSoFarInTerm), where usageSoFarInTerm is ALL usage of the dimension since
 *   the term start (included and overage alike). Why: the included quantity is an allowance per term counted from
 *   `term.startDate` (Microsoft, §4.3), not per plan, so switching plans must neither hand out a fresh allowance
 *   (an upgrade-and-back loop would otherwise make usage free) nor take back what was consumed; overage already
 *   billed stays billed (usage-billed charges are not refundable) and is not turned into allowance afterwards.
 *   A downgrade below what was already used leaves nothing included for the rest of the term.
 * - A plan change keeps the term (same anchor) when the billing term unit is unchanged; a change to another term
 *   unit starts a new term on the UTC day of the change, unless the history entry gives its `termAnchor`
 *   (pass Microsoft's `term.startDate` there whenever it is known). The tally resets whenever the term start changes.
 */
import type { BillingTerm, IncludedQuantity, Plan } from '#shared/domain/catalog.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { Dec, type DecimalInput, toDec } from '#shared/domain/money.ts';
import { floorToUtcHour, isUtcHourStart, type Term, termContaining } from '#shared/domain/terms.ts';

const DAY_MS = 86_400_000;
const ZERO = new Dec(0);

/** One entry of a subscription's plan history: from `from` on, this plan and billing term are in force. */
export interface PlanInForce {
  /** When the plan took effect (activation, or the ChangePlan / ChangeQuantity / Renew that set it). */
  readonly from: Date;
  readonly plan: Plan;
  /** The billing term purchased on that plan (one of `plan.billingTerms`). */
  readonly billingTerm: BillingTerm;
  /** Seats, for a per-user plan (default 1). */
  readonly quantity?: number;
  /** Start of the term series (Microsoft's `term.startDate` of the term in force); see the rules above for defaults. */
  readonly termAnchor?: Date;
}

/** A subscription's plan history, oldest first. */
export type PlanHistory = readonly PlanInForce[];

/** A history entry with its effective hour, end and term anchor worked out. */
export interface ResolvedPlanPeriod extends PlanInForce {
  /** `from` floored to the UTC hour: the first hour rated on this plan. */
  readonly effectiveFrom: Date;
  /** Exclusive: the next entry's `effectiveFrom`, or undefined for the plan in force now. */
  readonly until: Date | undefined;
  readonly anchor: Date;
}

/** Usage of one dimension in one UTC hour (several records for the same slot are added up). */
export interface HourUsage {
  readonly dimensionId: string;
  /** Start of the UTC hour. */
  readonly hour: Date;
  readonly quantity: DecimalInput;
}

/** What the allowance engine needs to rate one hour of one dimension. */
export interface HourContext {
  readonly planId: string;
  readonly termStart: Date;
  readonly included: IncludedQuantity;
}

/** The running tally of one dimension within its current term. */
export interface DimensionTally {
  readonly termStart: Date;
  /** All usage of the dimension since the term start (included and overage). */
  readonly usageInTerm: Dec;
  /** The last hour rated; later calls must rate later hours. */
  readonly lastHour: Date;
}

/** Tallies per dimension id: the state an incremental caller (the usage reporter) stores between runs. */
export type AllowanceState = Readonly<Record<string, DimensionTally>>;

export const EMPTY_ALLOWANCE_STATE: AllowanceState = Object.freeze({});

/** The rating of one (dimension, hour): usage = consumedIncluded + overage. */
export interface RatedHour {
  readonly dimensionId: string;
  readonly hour: Date;
  readonly planId: string;
  readonly termStart: Date;
  readonly usage: Dec;
  readonly consumedIncluded: Dec;
  /** The quantity to report to the Metering API for this slot (0: report nothing). */
  readonly overage: Dec;
}

/**
 * Validates a plan history and works out each entry's effective hour, end and term anchor.
 * @throws {ValidationError} when the history is empty or its entries are not in strictly increasing hours.
 */
export function resolvePlanHistory(history: PlanHistory): ResolvedPlanPeriod[] {
  if (history.length === 0) {
    throw new ValidationError('a plan history needs at least one entry', 'history');
  }
  const resolved: ResolvedPlanPeriod[] = [];
  history.forEach((entry, i) => {
    if (Number.isNaN(entry.from.getTime())) {
      throw new ValidationError('from is not a valid date', `history[${i}].from`);
    }
    const effectiveFrom = floorToUtcHour(entry.from);
    const previous = resolved[i - 1];
    if (previous && effectiveFrom.getTime() <= previous.effectiveFrom.getTime()) {
      throw new ValidationError(
        'plan history entries must be in strictly increasing UTC hours (one plan per hour)',
        `history[${i}].from`,
      );
    }
    const keepsTerm = previous !== undefined && previous.billingTerm.termUnit === entry.billingTerm.termUnit;
    // Microsoft's term.startDate is a day; a new term starts on the day of the activation or change.
    const anchor =
      entry.termAnchor ?? (keepsTerm ? previous.anchor : new Date(Math.floor(entry.from.getTime() / DAY_MS) * DAY_MS));
    if (anchor.getTime() > effectiveFrom.getTime()) {
      throw new ValidationError('termAnchor must not be after the hour the plan takes effect', `history[${i}]`);
    }
    resolved.push({ ...entry, effectiveFrom, until: undefined, anchor });
    if (previous) {
      resolved[i - 1] = { ...previous, until: effectiveFrom };
    }
  });
  return resolved;
}

/** The entry in force at instant `at`, or undefined before the first one. */
export function planInForceAt(resolved: readonly ResolvedPlanPeriod[], at: Date): ResolvedPlanPeriod | undefined {
  let found: ResolvedPlanPeriod | undefined;
  for (const entry of resolved) {
    if (entry.effectiveFrom.getTime() > at.getTime()) break;
    found = entry;
  }
  return found;
}

/**
 * The plan, term start and included quantity that apply to `dimensionId` in `hour`.
 * @throws {ValidationError} when no plan is in force at that hour or the dimension is not enabled on the plan.
 */
export function hourContext(resolved: readonly ResolvedPlanPeriod[], dimensionId: string, hour: Date): HourContext {
  const entry = planInForceAt(resolved, hour);
  if (!entry) {
    throw new ValidationError(`no plan is in force at ${hour.toISOString()}`, 'hour');
  }
  return contextOf(entry, dimensionId, termContaining(entry.anchor, entry.billingTerm.termUnit, hour).start);
}

function contextOf(entry: ResolvedPlanPeriod, dimensionId: string, termStart: Date): HourContext {
  const enabled =
    entry.plan.meteredDimensions.some((d) => d.dimensionId === dimensionId) ||
    Object.hasOwn(entry.billingTerm.includedQuantities, dimensionId);
  if (!enabled) {
    // Microsoft rejects such events as InvalidDimension; rating them would invent overage.
    throw new ValidationError(`dimension ${dimensionId} is not enabled on plan ${entry.plan.id}`, 'dimensionId');
  }
  return {
    planId: entry.plan.id,
    termStart,
    // A dimension absent from the term's included quantities includes 0 (catalog.ts).
    included: Object.hasOwn(entry.billingTerm.includedQuantities, dimensionId)
      ? (entry.billingTerm.includedQuantities[dimensionId] ?? '0')
      : '0',
  };
}

/**
 * Rates one (dimension, hour) against the allowance left in its term and returns the new state. Pure: the caller
 * stores the returned state (e.g. beside its reporting cursor) and passes it to the next call.
 * @throws {ValidationError} when the hour is not the start of a UTC hour, the usage is negative or not a decimal,
 *   or the included quantity is invalid.
 * @throws {ConflictError} when the hour is not after the last hour already rated for that dimension (late usage is
 *   folded into a later hour by the reporter, never rated twice).
 */
export function consumeHour(
  state: AllowanceState,
  context: HourContext,
  usage: HourUsage,
): { state: AllowanceState; rated: RatedHour } {
  const previous = Object.hasOwn(state, usage.dimensionId) ? state[usage.dimensionId] : undefined;
  const { tally, rated } = rateOne(
    previous,
    context,
    parseIncluded(context.included),
    usage.dimensionId,
    usage.hour,
    parseUsage(usage.quantity),
  );
  return { state: { ...state, [usage.dimensionId]: tally }, rated };
}

/**
 * Folds many usage records through the allowance: aggregates them per (dimension, UTC hour), rates the hours in
 * time order under the plan in force at each hour, and returns one `RatedHour` per slot (ordered by hour, then
 * dimension id) and the final state.
 * @throws {ValidationError} as `resolvePlanHistory`, `hourContext` and `consumeHour`.
 * @throws {ConflictError} when a slot is not after the last hour of `initialState` for its dimension.
 */
export function rateUsage(
  history: PlanHistory | readonly ResolvedPlanPeriod[],
  usage: readonly HourUsage[],
  initialState: AllowanceState = EMPTY_ALLOWANCE_STATE,
): { hours: RatedHour[]; state: AllowanceState } {
  const resolved = isResolved(history) ? history : resolvePlanHistory(history);
  const slots = aggregateByHour(usage);
  const tallies = new Map<string, DimensionTally>(Object.entries(initialState));
  const hours: RatedHour[] = [];
  // Slots come in hour order, so the plan entry and term found for one hour serve the following ones until the
  // hour leaves them; contexts are cached per (entry, term, dimension). Same results as hourContext, much less work.
  let entry: ResolvedPlanPeriod | undefined;
  let term: Term | undefined;
  let contexts = new Map<string, { context: HourContext; included: Dec | undefined }>();
  for (const slot of slots) {
    const t = slot.hour.getTime();
    if (!entry || !term || t >= term.end.getTime() || (entry.until !== undefined && t >= entry.until.getTime())) {
      entry = planInForceAt(resolved, slot.hour);
      if (!entry) {
        throw new ValidationError(`no plan is in force at ${slot.hour.toISOString()}`, 'hour');
      }
      term = termContaining(entry.anchor, entry.billingTerm.termUnit, slot.hour);
      contexts = new Map();
    }
    let cached = contexts.get(slot.dimensionId);
    if (!cached) {
      const context = contextOf(entry, slot.dimensionId, term.start);
      cached = { context, included: parseIncluded(context.included) };
      contexts.set(slot.dimensionId, cached);
    }
    const previous = tallies.get(slot.dimensionId);
    const { tally, rated } = rateOne(
      previous,
      cached.context,
      cached.included,
      slot.dimensionId,
      slot.hour,
      slot.usage,
    );
    tallies.set(slot.dimensionId, tally);
    hours.push(rated);
  }
  return { hours, state: Object.fromEntries(tallies) };
}

/**
 * Adds up usage per (dimension, UTC hour), ordered by hour then dimension id.
 * @throws {ValidationError} when an hour is not the start of a UTC hour or a quantity is negative.
 */
export function aggregateByHour(usage: readonly HourUsage[]): { dimensionId: string; hour: Date; usage: Dec }[] {
  const byHour = new Map<number, Map<string, { dimensionId: string; hour: Date; usage: Dec }>>();
  for (const record of usage) {
    assertHourStart(record.hour);
    const quantity = parseUsage(record.quantity);
    const t = record.hour.getTime();
    let slots = byHour.get(t);
    if (!slots) {
      slots = new Map();
      byHour.set(t, slots);
    }
    const slot = slots.get(record.dimensionId);
    if (slot) {
      slot.usage = slot.usage.plus(quantity);
    } else {
      slots.set(record.dimensionId, { dimensionId: record.dimensionId, hour: record.hour, usage: quantity });
    }
  }
  const ordered: { dimensionId: string; hour: Date; usage: Dec }[] = [];
  for (const t of [...byHour.keys()].sort((a, b) => a - b)) {
    const slots = byHour.get(t);
    if (!slots) continue;
    for (const id of [...slots.keys()].sort()) {
      const slot = slots.get(id);
      if (slot) ordered.push(slot);
    }
  }
  return ordered;
}

/**
 * Parses an included quantity: undefined for unlimited, otherwise a non-negative decimal.
 * @throws {ValidationError} when it is neither "unlimited" nor a non-negative decimal.
 */
export function parseIncluded(included: IncludedQuantity): Dec | undefined {
  if (included === 'unlimited') return undefined;
  const value = toDec(included, 'includedQuantity');
  if (value.isNegative() && !value.isZero()) {
    throw new ValidationError(`included quantity ${included} cannot be negative`, 'includedQuantity');
  }
  return value;
}

function rateOne(
  previous: DimensionTally | undefined,
  context: HourContext,
  included: Dec | undefined,
  dimensionId: string,
  hour: Date,
  usage: Dec,
): { tally: DimensionTally; rated: RatedHour } {
  assertHourStart(hour);
  if (previous && hour.getTime() <= previous.lastHour.getTime()) {
    throw new ConflictError(
      `${dimensionId} at ${hour.toISOString()} is not after the last rated hour ${previous.lastHour.toISOString()}`,
    );
  }
  // The allowance resets at each term start (anniversary): a tally of another term is not carried over.
  const sameTerm = previous !== undefined && previous.termStart.getTime() === context.termStart.getTime();
  const usedBefore = sameTerm ? previous.usageInTerm : ZERO;
  let consumedIncluded: Dec;
  if (included === undefined) {
    consumedIncluded = usage; // unlimited: never overage, never reported
  } else {
    const remaining = Dec.max(0, included.minus(usedBefore));
    consumedIncluded = Dec.min(usage, remaining);
  }
  const overage = usage.minus(consumedIncluded);
  return {
    tally: { termStart: context.termStart, usageInTerm: usedBefore.plus(usage), lastHour: hour },
    rated: {
      dimensionId,
      hour,
      planId: context.planId,
      termStart: context.termStart,
      usage,
      consumedIncluded,
      overage,
    },
  };
}

function parseUsage(quantity: DecimalInput): Dec {
  const value = toDec(quantity, 'quantity');
  if (value.isNegative() && !value.isZero()) {
    throw new ValidationError(`usage quantity ${value.toString()} cannot be negative`, 'quantity');
  }
  return value;
}

function assertHourStart(hour: Date): void {
  if (Number.isNaN(hour.getTime()) || !isUtcHourStart(hour)) {
    throw new ValidationError('usage hour must be the start of a UTC hour (minute 0)', 'hour');
  }
}

function isResolved(history: PlanHistory | readonly ResolvedPlanPeriod[]): history is readonly ResolvedPlanPeriod[] {
  return history.length > 0 && history.every((entry) => 'effectiveFrom' in entry && 'anchor' in entry);
}
