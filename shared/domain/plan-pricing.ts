/**
 * A plan's prices as the rules compare them: its monthly-equivalent flat price (what "a change raises the price"
 * compares), the currencies plans share, and which currencies a subscription's plan is priced in, as a rule for settings that name an amount (a budget's planned
 * amount, a partner's credit levels): an amount in a currency the plan has no price in could never be compared with
 * the subscription's charges, so alerts on it would never fire.
 *
 * Beside `plan-history.ts` rather than in it: that module builds the plans in force over time, this one only asks the
 * catalog about a plan's prices, through its one billing-term choice (`billingTermFor`).
 */
import type { Catalog, CurrencyCode, Plan, TermUnit } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { effectiveTermPrice } from '#shared/domain/charges.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, type Money } from '#shared/domain/money.ts';
import { billingTermFor } from '#shared/domain/plan-history.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { termUnitMonths } from '#shared/domain/terms.ts';

/**
 * Checks that the subscription's current plan (its billing term for the subscription's term unit) has a price in
 * `currency`.
 * @param field the input field the caller named the currency in, for the error.
 * @throws ValidationError naming `field` and the currencies the plan is priced in; or when the offer or plan is not in
 *   the catalog.
 */
export function requirePlanPricedIn(
  catalog: Catalog,
  subscription: Subscription,
  currency: CurrencyCode,
  field: string,
): void {
  const plan = findPlan(catalog, subscription.offerId, subscription.planId);
  const term = billingTermFor(plan, subscription.term?.termUnit);
  if (!Object.hasOwn(term.price, currency)) {
    throw new ValidationError(
      `plan "${plan.id}" is not priced in ${currency}; use one of ${Object.keys(term.price).join(', ')}`,
      field,
    );
  }
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
