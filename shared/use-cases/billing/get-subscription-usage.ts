import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import { isValidTimeZone } from '#shared/domain/alerts/calendar.ts';
import { alertTimeZone, FORECAST_MIN_BASIS_DAYS } from '#shared/domain/alerts/rules.ts';
import type { Catalog, CurrencyCode } from '#shared/domain/catalog.ts';
import { planIn } from '#shared/domain/catalog-rules.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { Money } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { commonCurrencies } from '#shared/domain/plan-pricing.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { readBudgetTolerantly } from '#shared/use-cases/alerts/read-budget-tolerantly.ts';
import {
  computeSubscriptionCharges,
  type MonthCharges,
} from '#shared/use-cases/billing/compute-subscription-charges.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface GetSubscriptionUsageDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly partners: Pick<PartnerStore, 'getCreditLink'>;
  readonly ledger: Pick<UsageLedger, 'readDailyUsage' | 'readSlotQuantities'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
}

export interface SubscriptionUsageInput {
  readonly subscriptionId: string;
  /** Calendar months to show, the current one included (1 to 13; default 6). */
  readonly months?: number;
  /** Default: the budget's currency, else the credit levels', else the first currency the plans are priced in. */
  readonly currency?: CurrencyCode;
  /** Default: the budget's time zone, else UTC. */
  readonly timeZone?: string;
}

export interface DimensionUsageView {
  readonly dimensionId: string;
  readonly displayName: string;
  readonly unitOfMeasure: string;
  readonly quantity: string;
  readonly overageQuantity: string;
  readonly amount: Money;
}

export interface MonthUsageView {
  readonly month: string;
  readonly complete: boolean;
  readonly total: Money;
  readonly flatFees: Money;
  readonly usageCharges: Money;
  readonly dimensions: readonly DimensionUsageView[];
}

export interface SubscriptionUsage {
  readonly subscriptionId: string;
  readonly currency: CurrencyCode;
  /** The currencies the usage can be shown and budgeted in: those every plan the subscription has been on is priced in. */
  readonly currencies: readonly CurrencyCode[];
  readonly timeZone: string;
  readonly asOf: string;
  readonly monthToDate: Money;
  /**
   * The month-end charges projected from this month's usage so far; absent until that usage spans
   * `FORECAST_MIN_BASIS_DAYS` days (the forecast alert's evidence rule).
   */
  readonly forecast?: Money;
  /** The part of the month the forecast projects from (ISO instants), with the forecast. */
  readonly forecastBasis?: { readonly start: string; readonly end: string };
  /** Oldest first, ending with the current month so far. */
  readonly months: readonly MonthUsageView[];
}

export const MAX_USAGE_MONTHS = 13;
export const DEFAULT_USAGE_MONTHS = 6;

/**
 * "How much is used now, month by month, by category" (DESIGN "Alerts", seeds/000_*): the month-to-date charges and
 * their forecast, and per calendar month the total, the flat fees and, per dimension, the usage and what it costs —
 * for the subscription's publisher, partner and customer.
 *
 * Reads: the subscription, the budget and the credit link (3 items), then one slot query per metered dimension
 * (`computeSubscriptionCharges`).
 * @throws NotFoundError for an unknown subscription.
 * @throws ForbiddenError for another customer's or partner's subscription.
 * @throws ValidationError for months outside 1–13, an unknown time zone or a currency the plans are not priced in.
 */
export async function getSubscriptionUsage(
  deps: GetSubscriptionUsageDeps,
  caller: Principal,
  input: SubscriptionUsageInput,
): Promise<SubscriptionUsage> {
  const months = input.months ?? DEFAULT_USAGE_MONTHS;
  if (!Number.isInteger(months) || months < 1 || months > MAX_USAGE_MONTHS) {
    throw new ValidationError(`months must be a whole number from 1 to ${MAX_USAGE_MONTHS}`, 'months');
  }
  if (input.timeZone !== undefined && !isValidTimeZone(input.timeZone)) {
    throw new ValidationError(`"${input.timeZone}" is not an IANA time zone such as "Asia/Tokyo"`, 'timeZone');
  }
  const subscription = await deps.subscriptions.get(input.subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const [budget, link] = await Promise.all([
    readBudgetTolerantly(deps.budgets, subscription.id).then((read) => read.budget),
    deps.partners.getCreditLink(subscription.id),
  ]);
  const currency = usageCurrency(deps.catalog, subscription, input.currency, budget, link);
  const charges = await computeSubscriptionCharges(deps, {
    subscription,
    timeZone: input.timeZone ?? alertTimeZone(budget),
    currency,
    now: deps.clock.now(),
    days: 0,
    closedMonths: months - 1,
    forecast: true,
  });
  const offer = deps.catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  const describe = (month: MonthCharges): MonthUsageView => ({
    month: month.month,
    complete: month.complete,
    total: month.total,
    flatFees: month.flatFees,
    usageCharges: month.usageCharges,
    dimensions: month.dimensions.map((d) => {
      const known = offer?.dimensions.find((candidate) => candidate.id === d.dimensionId);
      return {
        ...d,
        displayName: known?.displayName ?? d.dimensionId,
        unitOfMeasure: known?.unitOfMeasure ?? '',
      };
    }),
  });
  return {
    subscriptionId: subscription.id,
    currency,
    currencies: pricedCurrencies(deps.catalog, subscription),
    timeZone: charges.timeZone,
    asOf: charges.asOf.toISOString(),
    monthToDate: charges.monthToDate,
    // The same evidence rule as the forecast alert: a projection from a few hours of usage (a month's first day, or
    // a subscription bought yesterday) would show a customer a month-end figure nothing supports.
    ...(charges.forecast && charges.forecastBasis && restsOnEnoughUsage(charges.forecastBasis)
      ? { forecast: charges.forecast, forecastBasis: basisView(charges.forecastBasis) }
      : {}),
    months: [...charges.closedMonths, ...(charges.active ? [charges.currentMonth] : [])].map(describe),
  };
}

/**
 * The currency a usage view is shown in: the one asked for, else the budget's, else the credit levels', else the first
 * currency the plans are priced in. A budget's or credit levels' currency the plans are no longer all priced in (the
 * plan changed to one priced otherwise) is passed over rather than refused: the customer's page would otherwise not
 * load at all, where it can show the usage in a currency it has and let the budget be set again in it.
 * @throws ValidationError when the plans are not all priced in the currency asked for.
 */
export function usageCurrency(
  catalog: Catalog,
  subscription: Subscription,
  requested: CurrencyCode | undefined,
  budget: { readonly plannedMonthlyAmount: Money } | undefined,
  link: { readonly levels: { readonly warning: Money } } | undefined,
): CurrencyCode {
  const available = pricedCurrencies(catalog, subscription);
  const currency =
    requested ??
    [budget?.plannedMonthlyAmount.currency, link?.levels.warning.currency].find(
      (saved): saved is CurrencyCode => saved !== undefined && available.includes(saved),
    ) ??
    defaultCurrency(catalog, subscription);
  if (!available.includes(currency)) {
    throw new ValidationError(
      `the plans of this subscription are not all priced in ${currency}; use one of ${available.join(', ') || '(none)'}`,
      'currency',
    );
  }
  return currency;
}

/** Currencies every plan the subscription has been on is priced in. */
function pricedCurrencies(catalog: Catalog, subscription: Subscription): CurrencyCode[] {
  const history = planHistoryOf(subscription, catalog)?.history;
  const plans = history?.map((entry) => entry.plan) ?? [];
  if (plans.length === 0) {
    const plan = planIn(catalog, subscription.offerId, subscription.planId);
    return plan ? commonCurrencies([plan], subscription.term?.termUnit) : [];
  }
  return commonCurrencies(plans, subscription.term?.termUnit);
}

function defaultCurrency(catalog: Catalog, subscription: Subscription): CurrencyCode {
  const available = pricedCurrencies(catalog, subscription);
  return available[0] ?? 'USD';
}

const DAY_MS = 86_400_000;

function restsOnEnoughUsage(basis: { readonly start: Date; readonly end: Date }): boolean {
  return basis.end.getTime() - basis.start.getTime() >= FORECAST_MIN_BASIS_DAYS * DAY_MS;
}

function basisView(basis: { readonly start: Date; readonly end: Date }) {
  return { start: basis.start.toISOString(), end: basis.end.toISOString() };
}
