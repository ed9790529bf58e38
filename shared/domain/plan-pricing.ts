/**
 * A plan's prices as the rules compare them: its monthly-equivalent flat price (what "a change raises the price"
 * compares), the currencies plans share, and which currencies a subscription's plan is priced in, as a rule for settings that name an amount (a budget's planned
 * amount, a partner's credit levels): an amount in a currency the plan has no price in could never be compared with
 * the subscription's charges, so alerts on it would never fire.
 *
 * Beside `plan-history.ts` rather than in it: that module builds the plans in force over time, this one only asks the
 * catalog about a plan's prices, through its one billing-term choice (`billingTermFor`).
 */
import type {
  BillingTerm,
  Catalog,
  CurrencyCode,
  CustomerPrice,
  Plan,
  PriceList,
  TermUnit,
} from '#shared/domain/catalog.ts';
import { planIn } from '#shared/domain/catalog-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, Money } from '#shared/domain/money.ts';
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
  const plan = planIn(catalog, subscription.offerId, subscription.planId);
  // A setting that names an amount is input to check, so an unknown plan is refused as invalid input (400).
  if (!plan) {
    throw new ValidationError(
      `the subscription's plan "${subscription.planId}" is not in the catalog of offer "${subscription.offerId}"`,
      field,
    );
  }
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

/** Who is being charged: used to find the customer-specific prices of a private plan. */
export interface ChargeCustomer {
  readonly subscriptionId: string;
  readonly tenantId?: string;
}

/**
 * The customer price entry of a private plan for this customer: by subscription id first, then by tenant id.
 */
export function findCustomerPrice(plan: Plan, customer: ChargeCustomer): CustomerPrice | undefined {
  const prices = plan.customerPrices ?? [];
  return (
    prices.find((p) => p.subscriptionId !== undefined && p.subscriptionId === customer.subscriptionId) ??
    prices.find((p) => p.tenantId !== undefined && customer.tenantId !== undefined && p.tenantId === customer.tenantId)
  );
}

/**
 * The price of one term (one seat) of `billingTerm` for this customer, in `currency`.
 * @throws {ValidationError} when neither the customer price nor the plan has a price in that currency.
 */
export function effectiveTermPrice(
  plan: Plan,
  billingTerm: BillingTerm,
  customer: ChargeCustomer,
  currency: CurrencyCode,
): Money {
  const override = findCustomerPrice(plan, customer)?.terms?.find(
    (t) => t.termUnit === billingTerm.termUnit && t.billingFrequency === billingTerm.billingFrequency,
  );
  return priceIn(override?.price ?? billingTerm.price, currency, `plans[${plan.id}].billingTerms.price`);
}

/**
 * The price per overage unit of `dimensionId` for this customer, in `currency`.
 * @throws {ValidationError} when the dimension is not enabled on the plan or has no price in that currency.
 */
export function effectiveUnitPrice(
  plan: Plan,
  dimensionId: string,
  customer: ChargeCustomer,
  currency: CurrencyCode,
): Money {
  const dimension = plan.meteredDimensions.find((d) => d.dimensionId === dimensionId);
  const override = findCustomerPrice(plan, customer)?.dimensionPrices?.[dimensionId];
  const list = override ?? dimension?.pricePerUnit;
  if (!list) {
    throw new ValidationError(`dimension ${dimensionId} has no price on plan ${plan.id}`, 'dimensionId');
  }
  return priceIn(list, currency, `plans[${plan.id}].meteredDimensions[${dimensionId}].pricePerUnit`);
}

function priceIn(list: PriceList, currency: CurrencyCode, field: string): Money {
  const amount = Object.hasOwn(list, currency) ? list[currency] : undefined;
  if (amount === undefined) {
    throw new ValidationError(`no ${currency} price`, field);
  }
  const price = Money.of(amount, currency);
  if (price.isNegative()) {
    throw new ValidationError(`price ${price.toString()} cannot be negative`, field);
  }
  return price;
}
