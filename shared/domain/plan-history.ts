/**
 * THE plan history of a subscription: which plan, billing term, seats and term anchor were in force from when. The one
 * source for what Microsoft is billed (the usage reporter) and for what the customer is shown (charges, entitlement,
 * usage views, alerts), so the two can never differ by construction (DESIGN invariant 9).
 *
 * Rules:
 * - The timeline is `timelineOf` (subscription.ts): a record without one has been in its current state forever.
 * - The history starts at the first period in which the subscription is `Subscribed` (activation): nothing is billed
 *   or reported while the purchase waits for activation (`PendingFulfillmentStart`, marketplace-api.md §1.4).
 * - Suspension does not change the plan: Microsoft keeps the subscription and its term; the history only changes when
 *   the plan or the seats change. `Unsubscribed` ends it: `endsAt` says from when nothing is billed.
 * - Changes within one UTC hour collapse into the last of them (keeping the first one's instant): one plan per hour,
 *   and the plan in force at the end of the hour is one Microsoft accepts for that hour too.
 * - Billing term: `billingTermFor` (one choice for everyone).
 * - Term anchor: Microsoft's `term.startDate` describes the CURRENT term only. It anchors the run of entries that sold
 *   the current term's unit without interruption up to now, through `termSeriesAnchor` from the day that run began
 *   (the activation, when the unit never changed: then every entry shares the series recovered from `startDate`).
 *   Earlier entries follow the allowance engine's defaults (allowance.ts): a new term on the day of a change of unit,
 *   the previous entry's anchor otherwise.
 */

import {
  type PlanHistory,
  type PlanInForce,
  type ResolvedPlanPeriod,
  resolvePlanHistory,
} from '#shared/domain/allowance.ts';
import type { BillingTerm, Catalog, Plan, TermUnit } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { type Subscription, timelineOf } from '#shared/domain/subscription.ts';
import { addMonthsClamped, floorToUtcHour, monthsSinceAnchor, termUnitMonths } from '#shared/domain/terms.ts';

const DAY_MS = 86_400_000;

/** A subscription's plan history, resolved for the allowance engine, and when its charges end (cancellation). */
export interface SubscriptionPlanHistory {
  /** The entries, oldest first, with the term anchors of the module rules filled in where they apply. */
  readonly history: PlanHistory;
  /** The same entries with their effective hours, ends and anchors worked out (`resolvePlanHistory`). */
  readonly resolved: readonly ResolvedPlanPeriod[];
  /** The instant the subscription became `Unsubscribed`, if it did: nothing is charged or reported from then on. */
  readonly endsAt?: Date;
}

/**
 * The plan history of a subscription, from its activation on; undefined when it was never `Subscribed`.
 * @throws {NotFoundError} when the offer or a plan of the timeline is not in the catalog.
 * @throws {ValidationError} when a plan has no billing term, the timeline is not in time order, or Microsoft reports a
 *   term unit this system does not rate (`unratedTermUnit`, e.g. `PAY`): it is never rated as another unit.
 */
export function planHistoryOf(subscription: Subscription, catalog: Catalog): SubscriptionPlanHistory | undefined {
  if (subscription.unratedTermUnit !== undefined && !subscription.term) {
    throw new ValidationError(
      `subscription ${subscription.id} has term unit "${subscription.unratedTermUnit}", which this system does not rate`,
      'term.termUnit',
    );
  }
  const timeline = timelineOf(subscription);
  const entries: PlanInForce[] = [];
  let activated = false;
  let endsAt: Date | undefined;
  for (const period of timeline) {
    if (period.status === 'Unsubscribed') {
      if (activated) endsAt = new Date(period.from);
      break;
    }
    if (!activated && period.status !== 'Subscribed') continue;
    activated = true;
    const last = entries.at(-1);
    if (last && last.plan.id === period.planId && last.quantity === period.quantity) continue;
    const plan = findPlan(catalog, subscription.offerId, period.planId);
    const entry: PlanInForce = {
      from: new Date(period.from),
      plan,
      billingTerm: billingTermFor(plan, subscription.term?.termUnit),
      ...(period.quantity === undefined ? {} : { quantity: period.quantity }),
    };
    if (last && floorToUtcHour(last.from).getTime() === floorToUtcHour(entry.from).getTime()) {
      entries[entries.length - 1] = { ...entry, from: last.from };
    } else {
      entries.push(entry);
    }
  }
  if (entries.length === 0) return undefined;
  const history = withCurrentTermAnchor(entries, subscription.term);
  return { history, resolved: resolvePlanHistory(history), ...(endsAt === undefined ? {} : { endsAt }) };
}

/** The entries with the current term's series anchoring the run of current-unit entries that reaches the present. */
function withCurrentTermAnchor(entries: PlanInForce[], term: Subscription['term']): PlanInForce[] {
  if (!term) return entries;
  let runStart = entries.length;
  while (runStart > 0 && entries[runStart - 1]?.billingTerm.termUnit === term.termUnit) runStart -= 1;
  const first = entries[runStart];
  if (!first) return entries;
  const runStartDay = new Date(Math.floor(first.from.getTime() / DAY_MS) * DAY_MS);
  const anchored = [...entries];
  anchored[runStart] = { ...first, termAnchor: termSeriesAnchor(term, runStartDay) };
  return anchored;
}

/**
 * The anchor of a subscription's series of terms: the day its allowance resets on, every term. Microsoft's
 * `term.startDate` moves forward at each renewal, so the series is recovered from it and the activation day:
 * - `startDate` at or before the activation day (the first term, or a term bought before activation): `startDate`;
 * - `startDate` on the activation day's anniversary series (after renewals, month-end clamping included: activated on
 *   31 January, the next monthly term starts on 28 February): the activation day;
 * - otherwise (clocks disagreeing about the activation day): `startDate` moved back by whole terms to at or before
 *   the activation day.
 * The reporter (what is billed) and the charges, entitlement and alerts (what is shown) use this one rule, so they
 * always agree on when the included quantities reset. A `startDate` that is not a date gives the activation day.
 */
export function termSeriesAnchor(
  term: { readonly startDate: string; readonly termUnit: TermUnit },
  activationDay: Date,
) {
  const parsed = Date.parse(term.startDate.length === 10 ? `${term.startDate}T00:00:00.000Z` : term.startDate);
  if (Number.isNaN(parsed)) return activationDay;
  const start = new Date(Math.floor(parsed / DAY_MS) * DAY_MS);
  const months = termUnitMonths(term.termUnit);
  if (start.getTime() >= activationDay.getTime()) {
    const k = Math.round(monthsSinceAnchor(activationDay, start) / months);
    if (addMonthsClamped(activationDay, k * months).getTime() === start.getTime()) return activationDay;
  }
  let anchor = start;
  for (let k = 1; anchor.getTime() > activationDay.getTime(); k++) {
    anchor = addMonthsClamped(start, -k * months);
  }
  return anchor;
}

/**
 * THE billing term a subscription on `plan` is rated and shown with: the plan's term of the subscription's term unit
 * (`term.termUnit`); when the plan sells that unit both billed monthly and up front, the monthly one (the Fulfillment
 * API does not say which frequency was bought, and monthly never bills more in a month than the customer actually
 * pays); a plan without that unit uses its first billing term.
 * @throws {ValidationError} when the plan has no billing term at all.
 */
export function billingTermFor(plan: Plan, termUnit: TermUnit | undefined): BillingTerm {
  const ofUnit = plan.billingTerms.filter((term) => term.termUnit === termUnit);
  const chosen = ofUnit.find((term) => term.billingFrequency === 'monthly') ?? ofUnit[0] ?? plan.billingTerms[0];
  if (!chosen) throw new ValidationError(`plan "${plan.id}" has no billing term`, 'billingTerms');
  return chosen;
}

/** The dimensions metered on any plan of a history: the only ones whose usage can be charged. */
export function meteredDimensionsOf(history: PlanHistory): string[] {
  const ids = new Set<string>();
  for (const entry of history) {
    for (const dimension of entry.plan.meteredDimensions) ids.add(dimension.dimensionId);
    for (const id of Object.keys(entry.billingTerm.includedQuantities)) ids.add(id);
  }
  return [...ids].sort();
}
