/**
 * The bridge between a stored marketplace subscription (its timeline of status, plan and seats) and the rating
 * engine's plan history (allowance.ts `PlanHistory`): which plan, billing term and seats were in force from when.
 *
 * Rules:
 * - Charges start at the first period in which the subscription is `Subscribed` (activation): nothing is billed while
 *   the purchase waits for activation (`PendingFulfillmentStart`, reference/marketplace-api.md §1.4).
 * - Suspension does not change the plan: Microsoft keeps the subscription and its term; the history only changes
 *   when the plan or the seats change. `Unsubscribed` ends the charges: `endsAt` says from when nothing is billed.
 * - The billing term of each plan is the one whose term unit is the subscription's (`term.termUnit`); when the plan
 *   offers that unit both billed monthly and up front, monthly is taken (the Fulfillment API does not say which was
 *   bought, and monthly never bills more in a month than the customer actually pays); a plan without that unit
 *   uses its first billing term.
 * - The term anchor of the first entry is Microsoft's `term.startDate` when it is not after the activation, so the
 *   allowance resets on the anniversary (DESIGN invariant 3); later entries keep that series (allowance.ts rules).
 * - Changes within one UTC hour collapse into the last of them: the rating engine applies one plan per hour.
 * - A subscription stored without a timeline is taken to have had its current plan since its term started.
 */

import type { PlanHistory, PlanInForce } from '#shared/domain/allowance.ts';
import type { BillingTerm, Catalog, CurrencyCode, Plan, TermUnit } from '#shared/domain/catalog.ts';
import { effectiveTermPrice } from '#shared/domain/charges.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, type Money } from '#shared/domain/money.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { addMonthsClamped, floorToUtcHour, monthsSinceAnchor, termUnitMonths } from '#shared/domain/terms.ts';

const DAY_MS = 86_400_000;

/** A subscription's plan history for the rating engine, and when its charges end (cancellation). */
export interface SubscriptionPlanHistory {
  readonly history: PlanHistory;
  /** The instant the subscription became `Unsubscribed`, if it did: nothing is charged from then on. */
  readonly endsAt?: Date;
}

/**
 * The plan history of a subscription, from its activation on; undefined when it was never `Subscribed`.
 * @throws {ValidationError} when the offer or a plan of the timeline is not in the catalog.
 */
export function planHistoryOf(subscription: Subscription, catalog: Catalog): SubscriptionPlanHistory | undefined {
  const timeline =
    subscription.timeline && subscription.timeline.length > 0
      ? [...subscription.timeline].sort((a, b) => Date.parse(a.from) - Date.parse(b.from))
      : [
          {
            from: subscription.term
              ? startOfTerm(subscription.term.startDate).toISOString()
              : new Date(0).toISOString(),
            // Without a timeline there is no activation instant: a suspended subscription was active before.
            status: subscription.status === 'Suspended' ? ('Subscribed' as const) : subscription.status,
            planId: subscription.planId,
            quantity: subscription.quantity,
          },
        ];
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
    const plan = planOf(catalog, subscription.offerId, period.planId);
    const entry: PlanInForce = {
      from: new Date(period.from),
      plan,
      billingTerm: billingTermFor(plan, subscription.term?.termUnit),
      ...(period.quantity === undefined ? {} : { quantity: period.quantity }),
    };
    if (last && floorToUtcHour(last.from).getTime() === floorToUtcHour(entry.from).getTime()) {
      entries[entries.length - 1] = { ...entry, from: last.from, ...anchorOf(last) };
    } else {
      entries.push(entry);
    }
  }
  const first = entries[0];
  if (!first) return undefined;
  // Like the reporter: the term's series anchors only a billing term of the term's own unit; another unit starts its
  // own terms on the day of the change (allowance.ts).
  if (subscription.term && first.billingTerm.termUnit === subscription.term.termUnit) {
    const activationDay = new Date(Math.floor(first.from.getTime() / DAY_MS) * DAY_MS);
    entries[0] = { ...first, termAnchor: termSeriesAnchor(subscription.term, activationDay) };
  }
  return { history: entries, ...(endsAt === undefined ? {} : { endsAt }) };
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
 * The plan of an offer in the catalog.
 * @throws {ValidationError} when the offer or the plan is not there.
 */
export function planOf(catalog: Catalog, offerId: string, planId: string): Plan {
  const offer = catalog.offers.find((candidate) => candidate.id === offerId);
  if (!offer) throw new ValidationError(`offer "${offerId}" is not in the plan catalog`, 'offerId');
  const plan = offer.plans.find((candidate) => candidate.id === planId);
  if (!plan) throw new ValidationError(`plan "${planId}" is not in the catalog of offer "${offerId}"`, 'planId');
  return plan;
}

/**
 * The billing term of `plan` for a subscription term unit (see the module rules).
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

/**
 * The flat price of a plan per month for a customer: the term price (of the billing term for `termUnit`) × seats ÷
 * the term's months, unrounded. What "a change raises the price" compares (seeds/000_*: plan or quantity increases),
 * whatever the term length or billing frequency of the two plans.
 * @throws {ValidationError} when the plan has no price in `currency` (or no billing term).
 */
export function monthlyEquivalentPrice(
  plan: Plan,
  termUnit: TermUnit | undefined,
  quantity: number | undefined,
  customer: { readonly subscriptionId: string; readonly tenantId?: string },
  currency: CurrencyCode,
): Money {
  const term = billingTermFor(plan, termUnit);
  const seats = plan.pricingModel === 'perUser' ? (quantity ?? 1) : 1;
  return effectiveTermPrice(plan, term, customer, currency)
    .multiply(new Dec(seats))
    .divide(new Dec(termUnitMonths(term.termUnit)));
}

/** The currencies every given plan has a price in (for its billing term of `termUnit`), in the first plan's order. */
export function commonCurrencies(plans: readonly Plan[], termUnit: TermUnit | undefined): CurrencyCode[] {
  const [first, ...others] = plans;
  if (!first) return [];
  return Object.keys(billingTermFor(first, termUnit).price).filter((currency) =>
    others.every((plan) => Object.hasOwn(billingTermFor(plan, termUnit).price, currency)),
  );
}

function anchorOf(entry: PlanInForce): Partial<PlanInForce> {
  return entry.termAnchor === undefined ? {} : { termAnchor: entry.termAnchor };
}

/** Microsoft's `term.startDate`: a UTC day (`YYYY-MM-DD`) or an instant; the term starts at 00:00 UTC of that day. */
function startOfTerm(startDate: string): Date {
  const parsed = new Date(startDate.length === 10 ? `${startDate}T00:00:00.000Z` : startDate);
  if (Number.isNaN(parsed.getTime())) {
    throw new ValidationError(`term.startDate "${startDate}" is not a date`, 'term.startDate');
  }
  return new Date(Date.UTC(parsed.getUTCFullYear(), parsed.getUTCMonth(), parsed.getUTCDate()));
}
