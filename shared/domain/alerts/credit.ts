/**
 * Reseller credit (seeds/000_*, Cloud-All, パートナー様向け): the provisional credit of a customer, its credit status
 * against the three levels a partner sets, and what that status means for a plan or quantity change.
 *
 * Comparisons follow the seed's words: levels and the provisional credit are *exceeded* (上回った / 超えた / 超過),
 * i.e. strictly greater; an amount equal to a level is still below it.
 */

import { addMonths, type MonthKey } from '#shared/domain/alerts/calendar.ts';
import {
  CREDIT_LEVEL_NAMES,
  type CreditLevelName,
  type CreditLevels,
  type PurchaseApproval,
} from '#shared/domain/alerts/settings.ts';
import type { Money } from '#shared/domain/money.ts';

/** The charges of one closed calendar month (in the customer's time zone). */
export interface MonthlyCharge {
  readonly month: MonthKey;
  readonly amount: Money;
}

/** How many closed months the provisional credit and the month-start check look back (seed: 過去半年). */
export const CREDIT_LOOKBACK_MONTHS = 6;

/** The largest monthly charge of the six months before `month`, with the month it happened in. */
export interface LargestMonth {
  readonly month: MonthKey;
  readonly amount: Money;
}

/**
 * The largest monthly charge among the six calendar months before `month` (`month` itself excluded: it is not over).
 * Undefined when the history has no month in that window. On a tie, the most recent month is named.
 * @throws {CurrencyMismatchError} when amounts of the window are in different currencies.
 */
export function largestMonthlyCharge(history: readonly MonthlyCharge[], month: MonthKey): LargestMonth | undefined {
  const from = addMonths(month, -CREDIT_LOOKBACK_MONTHS);
  let largest: LargestMonth | undefined;
  for (const entry of history) {
    if (entry.month < from || entry.month >= month) continue;
    const order = largest === undefined ? 1 : entry.amount.compare(largest.amount);
    if (order > 0 || (order === 0 && largest !== undefined && entry.month > largest.month)) {
      largest = { month: entry.month, amount: entry.amount };
    }
  }
  return largest;
}

/** The provisional credit (仮与信金額) of a customer in a month, and what it is based on. */
export interface ProvisionalCredit {
  readonly amount: Money;
  readonly basis: 'planned' | 'sixMonthMax';
  /** For `sixMonthMax`: the month whose charge it is. */
  readonly month?: MonthKey;
}

/**
 * The provisional credit (仮与信金額) for `month`. Seed: "初期はユーザー様の利用予定金額設定値、次月以降は過去半年の最大利用月額":
 * at first the customer's planned monthly amount; from the following month on, the largest monthly charge of the
 * past six months.
 *
 * Read here as: when the history holds at least one of the six closed months before `month`, the credit is the
 * largest of their charges (whatever the planned amount; a month with a small partial first month yields a small
 * credit, as the seed says); otherwise (the customer's first month, or no charges recorded for half a year) it is the
 * planned amount, or undefined when there is none. Being a function of `month`, it is recomputed at each month start.
 *
 * `history` lists the closed months in which the subscription existed, zero-charge months included.
 * @throws {CurrencyMismatchError} when amounts of the window are in different currencies.
 */
export function provisionalCredit(
  history: readonly MonthlyCharge[],
  plannedAmount: Money | undefined,
  month: MonthKey,
): ProvisionalCredit | undefined {
  const largest = largestMonthlyCharge(history, month);
  if (largest) return { amount: largest.amount, basis: 'sixMonthMax', month: largest.month };
  return plannedAmount === undefined ? undefined : { amount: plannedAmount, basis: 'planned' };
}

/** `ok`, or the most severe credit level exceeded. */
export type CreditStatus = 'ok' | CreditLevelName;

/**
 * The most severe level exceeded by the customer's charges or its planned amount (seed: 警告/要承認/購入不可の設定値を、
 * ユーザー様の利用料金及び利用予定額が上回った時). The planned amount counts too, so a customer who plans to spend beyond
 * its credit is held back before the charges get there.
 * @throws {CurrencyMismatchError} when the amounts and the levels are in different currencies.
 */
export function creditStatus(levels: CreditLevels, charges: Money, plannedAmount?: Money): CreditStatus {
  return highestLevelExceeded(levels, plannedAmount === undefined ? charges : charges.max(plannedAmount)) ?? 'ok';
}

/**
 * The most severe level that `amount` exceeds, if any.
 * @throws {CurrencyMismatchError} when the amount and the levels are in different currencies.
 */
export function highestLevelExceeded(levels: CreditLevels, amount: Money): CreditLevelName | undefined {
  let highest: CreditLevelName | undefined;
  for (const name of CREDIT_LEVEL_NAMES) {
    if (amount.compare(levels[name]) > 0) highest = name;
  }
  return highest;
}

/** A requested plan or quantity change (marketplace ChangePlan / ChangeQuantity, or one made in the portal). */
export interface PurchaseChange {
  readonly subscriptionId: string;
  /** The plan after the change (the current plan for a quantity change). */
  readonly planId: string;
  /** Seats after the change, for per-user plans. */
  readonly quantity?: number;
}

export interface PurchaseChangeInput {
  readonly status: CreditStatus;
  /** Monthly-equivalent price now and after the change, in one currency. */
  readonly currentPrice: Money;
  readonly newPrice: Money;
  readonly change: PurchaseChange;
  /** The partner's approvals for this subscription (expired ones are ignored). */
  readonly approvals?: readonly PurchaseApproval[];
  readonly now: Date;
}

export type PurchaseDecision =
  | { readonly decision: 'accept'; readonly approvalId?: string }
  | {
      readonly decision: 'reject';
      readonly reason: 'approvalRequired' | 'purchaseBlocked';
      /** Says what happened and what to do; fit for the marketplace operation's failure and for the partner. */
      readonly message: string;
    };

/**
 * Whether a plan or quantity change may go ahead under the customer's credit status (DESIGN "Alerts": at approval
 * required, plan or quantity increases need the partner's approval; at purchase blocked, they are refused).
 * - a change that does not raise the price (lower or equal) is always accepted: it reduces the exposure;
 * - `ok` and `warning` accept;
 * - `approvalRequired` accepts only with an unexpired approval for this subscription whose plan (if set) is the
 *   requested plan and whose `maxQuantity` (if set) is not below the requested seats;
 * - `purchaseBlocked` rejects.
 * @throws {CurrencyMismatchError} when the two prices are in different currencies.
 */
export function decidePurchaseChange(input: PurchaseChangeInput): PurchaseDecision {
  const { status, currentPrice, newPrice, change, now } = input;
  if (newPrice.compare(currentPrice) <= 0) return { decision: 'accept' };
  switch (status) {
    case 'ok':
    case 'warning':
      return { decision: 'accept' };
    case 'purchaseBlocked':
      return {
        decision: 'reject',
        reason: 'purchaseBlocked',
        message:
          'The reseller has blocked purchases that raise the price of this subscription (credit limit reached). ' +
          'Ask your reseller partner to raise the credit level, or choose a change that does not raise the price.',
      };
    case 'approvalRequired': {
      const approval = (input.approvals ?? []).find((candidate) => approvalCovers(candidate, change, now));
      if (approval) return { decision: 'accept', approvalId: approval.id };
      return {
        decision: 'reject',
        reason: 'approvalRequired',
        message:
          'This change raises the price and needs your reseller partner’s approval (credit level: approval required). ' +
          'Ask the partner to approve this plan or quantity, then make the change again.',
      };
    }
  }
}

/** Whether an approval covers a change at `now`. */
export function approvalCovers(approval: PurchaseApproval, change: PurchaseChange, now: Date): boolean {
  return (
    approval.subscriptionId === change.subscriptionId &&
    now.getTime() < approval.expiresAt.getTime() &&
    (approval.planId === undefined || approval.planId === change.planId) &&
    (approval.maxQuantity === undefined || (change.quantity ?? 1) <= approval.maxQuantity)
  );
}
