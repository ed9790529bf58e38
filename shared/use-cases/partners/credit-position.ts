import { type CalendarPeriod, type MonthKey, monthOf } from '#shared/domain/alerts/calendar.ts';
import {
  type CreditStatus,
  creditStatus,
  type MonthStartCheck,
  monthStartCheck,
  type ProvisionalCredit,
  type PurchaseBlock,
  provisionalCredit,
  purchaseBlockOf,
} from '#shared/domain/alerts/credit.ts';
import { type BudgetSettings, type CreditLink, type Partner, partnerTimeZone } from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import type { Money } from '#shared/domain/money.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { readBudgetTolerantly } from '#shared/use-cases/alerts/read-budget-tolerantly.ts';
import { computeSubscriptionCharges, HISTORY_MONTHS } from '#shared/use-cases/billing/compute-subscription-charges.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

export interface CreditPositionDeps {
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly partners: Pick<PartnerStore, 'getPartner'>;
  readonly ledger: Pick<UsageLedger, 'readDailyUsage' | 'readSlotQuantities'>;
  readonly catalog: Catalog;
  /** The publisher's time zone (setting `PUBLISHER_TIME_ZONE`): the months of partners without their own. */
  readonly publisherTimeZone?: string;
}

/** Where a linked customer stands with its reseller now, in the partner's months. */
export interface CreditPosition {
  readonly partner?: Partner;
  readonly budget?: BudgetSettings;
  /** The partner's time zone (its own, else the publisher's). */
  readonly timeZone: string;
  readonly month: CalendarPeriod<MonthKey>;
  readonly monthToDate: Money;
  /** The budget's planned amount, when it is in the levels' currency. */
  readonly plannedAmount?: Money;
  /** This month's month-start (or current-status) check. */
  readonly check: MonthStartCheck;
  /** The purchase block in force, if any (credit.ts `purchaseBlockOf`). */
  readonly block?: PurchaseBlock;
  /** The credit status the change policy decides by: purchase blocked whenever a block is in force. */
  readonly status: CreditStatus;
  /** The provisional credit (仮与信金額) of this month, when the planned amount or a spending month gives one. */
  readonly provisionalCredit?: ProvisionalCredit;
}

/**
 * The credit position of a linked customer at `now`: the same months, charges and checks the partner's alerts use
 * (rules.ts), so what the partner is told, what the marketplace and the publisher API are answered and what the
 * entitlement reports agree.
 *
 * Reads: the budget and the partner (together), then one slot query per metered dimension of the subscription's
 * plans covering the current month and the six closed months before it (`computeSubscriptionCharges`).
 * @throws ValidationError when the subscription's plan is not in the catalog or not priced in the levels' currency.
 * @throws Error when a store or the ledger cannot be read.
 */
export async function creditPositionOf(
  deps: CreditPositionDeps,
  subscription: Subscription,
  link: CreditLink,
  now: Date,
): Promise<CreditPosition> {
  const [budget, partner] = await Promise.all([
    readBudgetTolerantly(deps.budgets, subscription.id).then((read) => read.budget),
    deps.partners.getPartner(link.partnerId),
  ]);
  const currency = link.levels.warning.currency;
  const timeZone = partnerTimeZone(partner, deps.publisherTimeZone);
  const charges = await computeSubscriptionCharges(deps, {
    subscription,
    timeZone,
    currency,
    now,
    days: 0,
    closedMonths: HISTORY_MONTHS,
  });
  const month = monthOf(now, timeZone);
  const plannedAmount =
    budget && budget.plannedMonthlyAmount.currency === currency ? budget.plannedMonthlyAmount : undefined;
  const check = monthStartCheck(link, charges.monthlyHistory, month);
  const block = purchaseBlockOf({
    check,
    monthToDate: charges.monthToDate,
    ...(plannedAmount ? { plannedAmount } : {}),
    month,
  });
  return {
    ...(partner ? { partner } : {}),
    ...(budget ? { budget } : {}),
    timeZone,
    month,
    monthToDate: charges.monthToDate,
    ...(plannedAmount ? { plannedAmount } : {}),
    check,
    ...(block ? { block } : {}),
    status: block ? 'purchaseBlocked' : creditStatus(link.levels, charges.monthToDate, plannedAmount),
    ...optional('provisionalCredit', provisionalCredit(charges.monthlyHistory, plannedAmount, month.key)),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
