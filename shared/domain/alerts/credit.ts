/**
 * Reseller credit (seeds/000_*, Cloud-All, パートナー様向け): the provisional credit of a customer, the month-start
 * check, its credit status against the three levels a partner sets, the purchase block that follows, and what they
 * mean for a plan or quantity change.
 *
 * Comparisons follow the seed's words: levels and the provisional credit are *exceeded* (上回った / 超えた / 超過),
 * i.e. strictly greater; an amount equal to a level is still below it.
 */

import { addMonths, type CalendarPeriod, type MonthKey } from '#shared/domain/alerts/calendar.ts';
import {
  CREDIT_LEVEL_NAMES,
  type CreditLevelName,
  type CreditLevels,
  type CreditLink,
  type PurchaseApproval,
  type PurchaseBlockRelease,
} from '#shared/domain/alerts/settings.ts';
import type { Money } from '#shared/domain/money.ts';

/** The charges of one closed calendar month (in the partner's time zone). */
export interface MonthlyCharge {
  readonly month: MonthKey;
  readonly amount: Money;
  /**
   * The subscription existed for the whole month: active before its first instant, not cancelled before its end. A
   * first month of one hour, or a month cut short by the cancellation, is not whole: its charge does not show what
   * the customer spends in a month.
   */
  readonly wholeMonth: boolean;
}

/** How many closed months the provisional credit and the month-start check look back (seed: 過去半年). */
export const CREDIT_LOOKBACK_MONTHS = 6;

/** The largest monthly charge of the six months before `month`, with the month it happened in. */
export interface LargestMonth {
  readonly month: MonthKey;
  readonly amount: Money;
}

/** The entries of `history` among the six calendar months before `month` (`month` itself excluded: not over). */
function lookbackWindow(history: readonly MonthlyCharge[], month: MonthKey): MonthlyCharge[] {
  const from = addMonths(month, -CREDIT_LOOKBACK_MONTHS);
  return history.filter((entry) => entry.month >= from && entry.month < month);
}

/**
 * The largest monthly charge among the six calendar months before `month` (`month` itself excluded: it is not over).
 * Undefined when the history has no month in that window. On a tie, the most recent month is named.
 * @throws {CurrencyMismatchError} when amounts of the window are in different currencies.
 */
export function largestMonthlyCharge(history: readonly MonthlyCharge[], month: MonthKey): LargestMonth | undefined {
  let largest: LargestMonth | undefined;
  for (const entry of lookbackWindow(history, month)) {
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
 * THE PROVISIONAL CREDIT RULE (仮与信金額), seeds/000_* "CCP 与信とアラート(パートナー様向け)":
 * 「初期はユーザー様の利用予定金額設定値 / 次月移行は過去半年の最大利用月額」 (移行 as printed, for 以降) — at first
 * the customer's planned monthly amount; from the following month on, the largest monthly charge of the past six
 * months.
 *
 * - "At first" lasts until one of the six closed months before `month` is a WHOLE month with charges (above zero).
 *   Until then the credit is the planned amount: in the first month, after a first month of one hour, after a
 *   free-trial month (¥0), after months without usage. A month without charges says nothing about what the customer
 *   can pay, and a credit of zero would alert the partner at the first yen.
 * - "From the following month on": the largest monthly charge of those six months, partial months included (what
 *   was charged was charged), even when it is below the planned amount (the seed's credit is what the customer has
 *   shown it spends). As soon as the six months hold no whole month with charges again (half a year without
 *   usage), it is the planned amount again; so the credit is never zero when a planned amount is set.
 * - Without a planned amount (no budget), undefined wherever the planned amount would apply.
 *
 * Being a function of `month`, it is recomputed at each month start.
 * @throws {CurrencyMismatchError} when amounts of the window are in different currencies.
 */
export function provisionalCredit(
  history: readonly MonthlyCharge[],
  plannedAmount: Money | undefined,
  month: MonthKey,
): ProvisionalCredit | undefined {
  const window = lookbackWindow(history, month);
  const hasSpendingMonth = window.some(
    (entry) => entry.wholeMonth && !entry.amount.isZero() && !entry.amount.isNegative(),
  );
  const largest = hasSpendingMonth ? largestMonthlyCharge(window, month) : undefined;
  if (largest) return { amount: largest.amount, basis: 'sixMonthMax', month: largest.month };
  return plannedAmount === undefined ? undefined : { amount: plannedAmount, basis: 'planned' };
}

/**
 * The month-start check (seed: 「月初、最大利用額が購入不可金額を超過している時」): at the start of a month, the largest
 * monthly charge of the six closed months before it is compared with the purchase-blocked level.
 *
 * - `monthStart`: the purchase-blocked level was in force at the month start; the check stands for the month start
 *   (the first evaluation of the month makes it, the hourly schedule within the hour of 00:00 in the partner's time
 *   zone) and its result holds for the whole month: its inputs, the closed months and the level, stay as they were
 *   (usage of the last month that arrives late counts when it arrives).
 * - `currentStatus`: the link was made or the purchase-blocked level changed during the month. The check is made
 *   for that instant, and named the current status: it is not a month-start result, and a partner who links a
 *   customer on the 20th is not told on the 20th that the month started badly.
 *
 * A blocked check blocks price-raising changes until the next month-start check (`until`) or the partner's explicit
 * release, whichever is first; a release counts only for the check it was given after (a later level change makes a
 * new check).
 */
export interface MonthStartCheck {
  readonly kind: 'monthStart' | 'currentStatus';
  readonly month: MonthKey;
  /** The instant the check stands for: the month start, or the setting of the purchase-blocked level. */
  readonly at: Date;
  /** The next month start, when the next check replaces this one. */
  readonly until: Date;
  /** The largest month of the six before `month`; undefined when none of them is known. */
  readonly largest?: LargestMonth;
  readonly purchaseBlockedLevel: Money;
  /** The largest monthly charge exceeds (>) the purchase-blocked level. */
  readonly blocked: boolean;
  /** The partner's release that lifts this check's block, if any. */
  readonly release?: PurchaseBlockRelease;
}

/**
 * The month-start check (see `MonthStartCheck`) of `month` (a calendar month in the partner's time zone).
 * @throws {CurrencyMismatchError} when amounts of the window and the level are in different currencies.
 */
export function monthStartCheck(
  link: CreditLink,
  history: readonly MonthlyCharge[],
  month: CalendarPeriod<MonthKey>,
): MonthStartCheck {
  const setAt = link.purchaseBlockedLevelSetAt;
  const duringMonth = setAt !== undefined && setAt.getTime() > month.start.getTime();
  const at = duringMonth ? setAt : month.start;
  const largest = largestMonthlyCharge(history, month.key);
  const level = link.levels.purchaseBlocked;
  const blocked = largest !== undefined && largest.amount.compare(level) > 0;
  const release = link.purchaseBlockRelease;
  return {
    kind: duringMonth ? 'currentStatus' : 'monthStart',
    month: month.key,
    at,
    until: month.end,
    ...(largest ? { largest } : {}),
    purchaseBlockedLevel: level,
    blocked,
    ...(blocked && release && release.at.getTime() >= at.getTime() ? { release } : {}),
  };
}

/**
 * Why price-raising changes are refused: a month-start check (or the current-status check of a level set during
 * the month) that found the largest month above the purchase-blocked level, or this month's charges or the
 * planned amount above it now.
 */
export type PurchaseBlockReason =
  | 'monthStartCheck'
  | 'currentStatusCheck'
  | 'chargesOverLevel'
  | 'plannedAmountOverLevel';

/** A purchase block in force: why, the amount above the level, and for how long. */
export interface PurchaseBlock {
  readonly reason: PurchaseBlockReason;
  /** The amount that exceeds the level: the largest month, this month's charges, or the planned amount. */
  readonly amount: Money;
  readonly purchaseBlockedLevel: Money;
  /** The largest month (check reasons) or the current month (charges). */
  readonly month?: MonthKey;
  /**
   * Since when: the month start or the level change for the check reasons. Absent for the live reasons: they are
   * computed afresh at every request and hold while the amount stays above the level.
   */
  readonly since?: Date;
  /**
   * Until when at the latest: the next month-start check (check reasons; the partner may release it sooner), or the
   * month end for this month's charges (the next month's start from zero). Absent for the planned amount: until the
   * budget or the level changes.
   */
  readonly until?: Date;
}

/**
 * The purchase block in force, if any, the month-start check first (it names since when), then this month's
 * charges, then the planned amount (seed: 「警告/要承認/購入不可の設定値を、ユーザー様の利用料金及び利用予定額が上回った時」).
 * @throws {CurrencyMismatchError} when the amounts and the level are in different currencies.
 */
export function purchaseBlockOf(input: {
  readonly check: MonthStartCheck;
  readonly monthToDate: Money;
  readonly plannedAmount?: Money;
  readonly month: CalendarPeriod<MonthKey>;
}): PurchaseBlock | undefined {
  const { check, monthToDate, plannedAmount, month } = input;
  const level = check.purchaseBlockedLevel;
  if (check.blocked && !check.release && check.largest) {
    return {
      reason: check.kind === 'monthStart' ? 'monthStartCheck' : 'currentStatusCheck',
      amount: check.largest.amount,
      purchaseBlockedLevel: level,
      month: check.largest.month,
      since: check.at,
      until: check.until,
    };
  }
  if (monthToDate.compare(level) > 0) {
    return {
      reason: 'chargesOverLevel',
      amount: monthToDate,
      purchaseBlockedLevel: level,
      month: month.key,
      until: month.end,
    };
  }
  if (plannedAmount !== undefined && plannedAmount.compare(level) > 0) {
    return { reason: 'plannedAmountOverLevel', amount: plannedAmount, purchaseBlockedLevel: level };
  }
  return undefined;
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
  /**
   * The purchase block in force (`purchaseBlockOf`), if any: the customer is then at purchase blocked whatever
   * `status` says (a month-start check blocks with charges back at zero), and the refusal says why and until when.
   */
  readonly block?: PurchaseBlock;
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
  const { currentPrice, newPrice, change, now, block } = input;
  if (newPrice.compare(currentPrice) <= 0) return { decision: 'accept' };
  const status: CreditStatus = block ? 'purchaseBlocked' : input.status;
  switch (status) {
    case 'ok':
    case 'warning':
      return { decision: 'accept' };
    case 'purchaseBlocked':
      return { decision: 'reject', reason: 'purchaseBlocked', message: blockedMessage(block) };
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

/** The refusal of a price-raising change at purchase blocked: why, until when, and what to do. */
function blockedMessage(block: PurchaseBlock | undefined): string {
  const advice = 'Ask your reseller partner, or choose a change that does not raise the price.';
  const level = block
    ? ` (${block.amount.toString()} above the purchase-blocked level ${block.purchaseBlockedLevel.toString()})`
    : '';
  switch (block?.reason) {
    case 'monthStartCheck':
    case 'currentStatusCheck':
      return (
        `The reseller's ${block.reason === 'monthStartCheck' ? 'month-start' : 'current-status'} credit check found ` +
        `the largest monthly charge of the past six months (${block.month})${level}, so purchases that raise the ` +
        `price of this subscription are blocked until the next month-start check (${block.until?.toISOString()}) ` +
        `or the reseller releases them. ${advice}`
      );
    case 'chargesOverLevel':
      return (
        `This month's charges are above the reseller's purchase-blocked level${level}, so purchases that raise the ` +
        `price of this subscription are blocked. ${advice}`
      );
    case 'plannedAmountOverLevel':
      return (
        `The customer's planned monthly amount is above the reseller's purchase-blocked level${level}, so ` +
        `purchases that raise the price of this subscription are blocked. ${advice}`
      );
    default:
      return (
        'The reseller has blocked purchases that raise the price of this subscription (credit limit reached). ' +
        'Ask your reseller partner to raise the credit level, or choose a change that does not raise the price.'
      );
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
