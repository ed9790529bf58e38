/**
 * Which currencies a subscription's plan is priced in, as a rule for settings that name an amount (a budget's planned
 * amount, a partner's credit levels): an amount in a currency the plan has no price in could never be compared with
 * the subscription's charges, so alerts on it would never fire.
 *
 * Beside `plan-history.ts` rather than in it: that module builds the plans in force over time, this one only asks the
 * catalog about the plan in force now, through its `planOf` and `billingTermFor`.
 */
import type { Catalog, CurrencyCode } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { billingTermFor, planOf } from '#shared/domain/plan-history.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

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
  const plan = planOf(catalog, subscription.offerId, subscription.planId);
  const term = billingTermFor(plan, subscription.term?.termUnit);
  if (!Object.hasOwn(term.price, currency)) {
    throw new ValidationError(
      `plan "${plan.id}" is not priced in ${currency}; use one of ${Object.keys(term.price).join(', ')}`,
      field,
    );
  }
}
