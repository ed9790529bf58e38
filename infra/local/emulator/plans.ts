/**
 * The catalog seen through the Fulfillment API: plan lookups, who may buy a plan, the List Available Plans payload
 * (reference §1.2 "List available plans") and term dates (§1.3, §1.4 Renew).
 */
import type { BillingTerm, Catalog, CustomerPrice, Offer, Plan, TermUnit } from '#shared/domain/catalog.ts';
import type { SubscriptionRecord } from './state.ts';

/** Seat ceiling reported by the live API when a per-seat plan sets none (§1.2, observed). */
export const DEFAULT_MAX_SEATS = 1_000_000;

export function findOffer(catalog: Catalog, offerId: string): Offer | undefined {
  return catalog.offers.find((offer) => offer.id === offerId);
}

export function findPlan(offer: Offer | undefined, planId: string): Plan | undefined {
  return offer?.plans.find((plan) => plan.id === planId);
}

export function seatLimits(plan: Plan): { min: number; max: number } {
  return { min: plan.minQuantity ?? 1, max: plan.maxQuantity ?? DEFAULT_MAX_SEATS };
}

/**
 * Whether a customer may be on this plan: public plans for everyone, private plans only for the tenants (or
 * subscriptions) of their audience (§1.2: "A private plan must list the customer's tenant in its audience"), and
 * only plans priced in the subscription's currency, since the list "is limited to the same geography" (§1.2).
 */
export function isPlanAvailable(
  plan: Plan,
  customer: { tenantId: string; subscriptionId?: string; currency: string },
): boolean {
  if (plan.visibility === 'private') {
    const audience = plan.audience;
    const inAudience =
      audience !== undefined &&
      (audience.tenantIds.includes(customer.tenantId) ||
        (customer.subscriptionId !== undefined && audience.subscriptionIds.includes(customer.subscriptionId)));
    if (!inAudience) return false;
  }
  return plan.billingTerms.some((term) => term.price[customer.currency] !== undefined);
}

/** Microsoft's `termDescription` wording. */
const TERM_DESCRIPTIONS: Record<string, string> = {
  P1M: '1 month',
  P1Y: '1 year',
  P2Y: '2 years',
  P3Y: '3 years',
  P4Y: '4 years',
  P5Y: '5 years',
};

/** Months in a term unit (`P1M` → 1, `P3Y` → 36). */
export function termMonths(termUnit: TermUnit | string): number {
  const match = /^P(\d+)([MY])$/.exec(termUnit);
  if (!match) throw new RangeError(`unknown term unit ${termUnit}`);
  const count = Number(match[1]);
  return match[2] === 'Y' ? count * 12 : count;
}

/** Adds calendar months in UTC, clamping to the last day of the month (Jan 31 + 1 month = Feb 28/29). */
export function addMonthsUtc(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(date.getUTCDate(), lastDay),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ),
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/**
 * A term starting on `start`'s UTC day: `endDate` is the last valid day, the day before the anniversary (§1.3:
 * "endDate = last valid day; auto-renew happens the next day"). Activated Jan 6 → Jan 6 … Feb 5 (§4.3 example).
 */
export function termFrom(start: Date, termUnit: TermUnit | string): { startDate: Date; endDate: Date } {
  const startDate = startOfUtcDay(start);
  const anniversary = addMonthsUtc(startDate, termMonths(termUnit));
  return { startDate, endDate: new Date(anniversary.getTime() - DAY_MS) };
}

/** The day after `endDate`: when the next term starts. */
export function nextTermStart(endDate: Date): Date {
  return new Date(startOfUtcDay(endDate).getTime() + DAY_MS);
}

/** `P1M` when the term's price is charged monthly, the term itself when paid up front. */
export function chargeDurationOf(term: BillingTerm): string {
  return term.billingFrequency === 'monthly' ? 'P1M' : term.termUnit;
}

function customerPriceFor(plan: Plan, tenantId: string, subscriptionId: string): CustomerPrice | undefined {
  const prices = plan.customerPrices ?? [];
  return (
    prices.find((price) => price.subscriptionId === subscriptionId) ??
    prices.find((price) => price.tenantId !== undefined && price.tenantId === tenantId)
  );
}

/**
 * One plan of the List Available Plans response (§1.2): `recurrentBillingTerms` has one entry per term in the
 * subscription's currency with the included quantities, `meteringDimensions` one entry per dimension with its unit
 * price; negotiated prices of a private plan replace the list prices for the customer they were agreed with.
 */
export function availablePlanJson(offer: Offer, plan: Plan, subscription: SubscriptionRecord): Record<string, unknown> {
  const currency = subscription.currency;
  const custom = customerPriceFor(plan, subscription.beneficiary.tenantId, subscription.id);
  const perSeat = plan.pricingModel === 'perUser';
  const recurrentBillingTerms = plan.billingTerms
    .filter((term) => term.price[currency] !== undefined)
    .map((term) => {
      const override = custom?.terms?.find(
        (candidate) => candidate.termUnit === term.termUnit && candidate.billingFrequency === term.billingFrequency,
      );
      return {
        currency,
        price: Number(override?.price[currency] ?? term.price[currency]),
        termUnit: term.termUnit,
        termDescription: TERM_DESCRIPTIONS[term.termUnit] ?? term.termUnit,
        meteredQuantityIncluded: plan.meteredDimensions.map((dimension) => {
          const included = term.includedQuantities[dimension.dimensionId] ?? '0';
          return { dimensionId: dimension.dimensionId, units: included === 'unlimited' ? 'Unlimited' : included };
        }),
      };
    });
  const meteringDimensions = plan.meteredDimensions
    .filter((dimension) => dimension.pricePerUnit[currency] !== undefined)
    .map((dimension) => {
      const described = offer.dimensions.find((candidate) => candidate.id === dimension.dimensionId);
      const price = custom?.dimensionPrices?.[dimension.dimensionId]?.[currency] ?? dimension.pricePerUnit[currency];
      return {
        id: dimension.dimensionId,
        currency,
        pricePerUnit: Number(price),
        unitOfMeasure: described?.unitOfMeasure ?? 'unit',
        displayName: described?.displayName ?? dimension.dimensionId,
      };
    });
  return {
    planId: plan.id,
    displayName: plan.displayName,
    isPrivate: plan.visibility === 'private',
    description: plan.description ?? '',
    // The API sends 0 for plans that are not per seat.
    minQuantity: perSeat ? seatLimits(plan).min : 0,
    maxQuantity: perSeat ? seatLimits(plan).max : 0,
    hasFreeTrials: plan.freeTrial,
    isPricePerSeat: perSeat,
    isStopSell: false,
    market: subscription.market,
    planComponents: { recurrentBillingTerms, meteringDimensions },
  };
}

/**
 * Why `plan` cannot replace the subscription's plan under the same-term rule, or undefined when it can. Since
 * 2026-07-31 a plan change is allowed only to a plan sold with the same term and billing frequency
 * (marketplace-2026.md): the target plan must offer the subscription's term unit charged the same way.
 */
export function termChangeRefusal(plan: Plan, subscription: SubscriptionRecord): string | undefined {
  const sameTerm = plan.billingTerms.some(
    (term) => term.termUnit === subscription.termUnit && chargeDurationOf(term) === subscription.chargeDuration,
  );
  if (sameTerm) return undefined;
  const billed = subscription.chargeDuration === 'P1M' ? 'monthly' : 'upfront';
  return (
    `Plan ${plan.id} is not sold with the subscription's term ${subscription.termUnit} billed ${billed}: ` +
    'a plan can be changed only to a plan with the same term and billing frequency.'
  );
}
