/**
 * The alert rules of seeds/000_* (Otsuka Shokai Cloud-All, "CCP 与信とアラート"), as pure functions of charges that
 * the rating engine computed (charges.ts) and of the settings. Each returns candidates; the alert log decides which
 * are new (invariant 7), so evaluating again, earlier or later, never sends an alert twice.
 *
 * Customer side (エンドユーザー様向け):
 * - budget: month-to-date charges *reach* (達した, ≥) each threshold of the planned monthly amount; one alert per
 *   threshold reached, per month. Optionally, the forecast to the month end *exceeds* (>) the planned amount, once
 *   the forecast rests on enough usage (THE FORECAST EVIDENCE RULE, `FORECAST_MIN_BASIS_DAYS`).
 * - spike: "過去2日間のいずれかの利用金額より倍以上" — a day's charges are at least double (≥ 2×) those of EITHER of the
 *   two previous days, read as: ≥ 2 × (day − 1) OR ≥ 2 × (day − 2). A previous day without data (before the
 *   subscription existed) does not count; a previous day with zero charges does. The day must reach the budget's
 *   spike minimum (and be above zero), so that ¥3 after ¥1 does not alert. Evaluated on today's charges so far
 *   (intraday: the alert fires as soon as the partial day crosses) and on yesterday's complete charges (day close);
 *   both carry the day as period, so a day alerts at most once.
 *   Spike amounts are USAGE charges only: a monthly flat fee falling due on one day would otherwise be a spike
 *   every month.
 * Partner side (パートナー様向け), for the partner linked to the customer's subscription, in the PARTNER'S months (its
 * time zone, else the publisher's: settings.ts `partnerTimeZone`):
 * - charges exceed the provisional credit (credit.ts `provisionalCredit`, 仮与信金額);
 * - the month-start check (credit.ts `monthStartCheck`, 月初、最大利用額が購入不可金額を超過): the largest monthly charge
 *   of the six closed months exceeds the purchase-blocked level. `monthStartBlocked`, once per month, when the level
 *   was in force at the month start: the first evaluation of the month makes it, which the hourly schedule brings to
 *   within the hour of 00:00 in the partner's time zone (a missed run is caught up by the next one, with the same
 *   result: its inputs, closed months and the level, stay as they were). `currentStatusBlocked`, once per setting, when
 *   the link was made or the level changed during the month: the partner learns the current status, not a month-start
 *   one;
 * - the customer's charges, or its planned amount, exceed the warning / approval-required / purchase-blocked level:
 *   one alert for the most severe level exceeded (two separate rules for charges and planned amount). Lower levels
 *   passed at the same time are not announced separately: the most severe one says what now applies.
 *
 * Time and amounts are inputs; months and days are calendar periods in a time zone (calendar.ts): the budget's for the
 * customer's rules, the partner's for the partner's.
 */

import {
  type AlertCandidate,
  type AlertRecipient,
  type AlertSeverity,
  creditLevelSeverity,
} from '#shared/domain/alerts/alert.ts';
import {
  addDays,
  type CalendarPeriod,
  type DayKey,
  DEFAULT_TIME_ZONE,
  dayOf,
  type MonthKey,
  monthOf,
} from '#shared/domain/alerts/calendar.ts';
import {
  type CreditStatus,
  highestLevelExceeded,
  type MonthlyCharge,
  monthStartCheck,
  type PurchaseChange,
  provisionalCredit,
} from '#shared/domain/alerts/credit.ts';
import type { BudgetSettings, CreditLink } from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, type Money } from '#shared/domain/money.ts';

/** The usage charges of one calendar day (in the budget's time zone); today's are the charges so far. */
export interface DailyCharge {
  readonly day: DayKey;
  readonly amount: Money;
}

const customer = (id: string): AlertRecipient => ({ kind: 'customer', id });
const partner = (id: string): AlertRecipient => ({ kind: 'partner', id });

/** The time zone whose months and days alerts follow: the budget's, else UTC. */
export function alertTimeZone(budget: BudgetSettings | undefined): string {
  return budget?.timeZone ?? DEFAULT_TIME_ZONE;
}

/** Severity of a budget threshold: informative below 80%, a warning below 100%, critical at or past the plan. */
export function budgetSeverity(threshold: string): AlertSeverity {
  const t = new Dec(threshold);
  if (t.gte(1)) return 'critical';
  return t.gte('0.8') ? 'warning' : 'info';
}

/**
 * One candidate per threshold that month-to-date charges have reached (≥ planned × threshold) in `month`.
 * @throws {CurrencyMismatchError} when the charges are not in the planned amount's currency.
 */
export function budgetThresholdAlerts(budget: BudgetSettings, monthToDate: Money, month: MonthKey): AlertCandidate[] {
  const candidates: AlertCandidate[] = [];
  for (const threshold of budget.thresholds) {
    const limit = budget.plannedMonthlyAmount.multiply(threshold);
    if (monthToDate.compare(limit) < 0) continue;
    candidates.push({
      recipient: customer(budget.customerId),
      rule: 'budgetThreshold',
      threshold,
      periodKey: month,
      severity: budgetSeverity(threshold),
      subscriptionId: budget.subscriptionId,
      customerId: budget.customerId,
      facts: { monthToDate, planned: budget.plannedMonthlyAmount },
    });
  }
  return candidates;
}

/**
 * THE FORECAST EVIDENCE RULE: a forecast alert needs at least this many whole days (of 24 hours) of usage in the
 * month, counted from the later of the month start and the subscription's activation to now.
 *
 * Why: the forecast carries the run rate of the elapsed part of the month to its end (charges.ts FORECAST METHOD), so
 * it multiplies whatever that part holds by the month's length over its own: one hour after activation, by about 720.
 * A new customer's first test burst then "forecasts" tens of thousands of dollars (issue 12: $50,728.81 one minute
 * after activation). Seven days hold one whole weekly cycle, weekdays and weekend, the commonest rhythm of business
 * usage, and scale the run rate by at most about 4.4. Until then the threshold alerts, on actual charges, still
 * protect the budget. The price: a subscription activated in the last seven days of a month gets no forecast alert
 * that month (its first whole month will).
 */
export const FORECAST_MIN_BASIS_DAYS = 7;

const DAY_MS = 86_400_000;

/** A forecast to the month end and the usage it rests on. */
export interface ForecastInput {
  readonly amount: Money;
  /**
   * The elapsed part of the month whose usage the forecast projects: from the later of the month start and the
   * activation, to now (end exclusive).
   */
  readonly basis: { readonly start: Date; readonly end: Date };
}

/**
 * A candidate when the budget asks for forecast alerts, the forecast rests on at least `FORECAST_MIN_BASIS_DAYS` of
 * usage (THE FORECAST EVIDENCE RULE) and it exceeds the planned amount. The candidate says what the forecast is based
 * on: the local days of `timeZone` the basis spans and how many whole days it covers.
 * @throws {CurrencyMismatchError} when the amounts are not in the planned amount's currency.
 */
export function budgetForecastAlert(
  budget: BudgetSettings,
  amounts: { readonly monthToDate: Money; readonly forecast: ForecastInput },
  month: MonthKey,
  timeZone: string = alertTimeZone(budget),
): AlertCandidate[] {
  const { amount, basis } = amounts.forecast;
  const basisMs = basis.end.getTime() - basis.start.getTime();
  if (!budget.forecastAlert || basisMs < FORECAST_MIN_BASIS_DAYS * DAY_MS) return [];
  if (amount.compare(budget.plannedMonthlyAmount) <= 0) return [];
  return [
    {
      recipient: customer(budget.customerId),
      rule: 'budgetForecast',
      periodKey: month,
      severity: 'warning',
      subscriptionId: budget.subscriptionId,
      customerId: budget.customerId,
      facts: {
        monthToDate: amounts.monthToDate,
        forecast: amount,
        planned: budget.plannedMonthlyAmount,
        basisFrom: dayOf(basis.start, timeZone).key,
        // The end is exclusive: the last day is that of the last instant the basis covers.
        basisTo: dayOf(new Date(basis.end.getTime() - 1), timeZone).key,
        basisDays: String(Math.floor(basisMs / DAY_MS)),
      },
    },
  ];
}

/**
 * A spike candidate for `day` when its charges reach the spike minimum, are above zero, and are at least double the
 * charges of the day before OR of the day before that (see the module comment). Previous days are looked up in
 * `dailyCharges`; a day not listed has no data and is not compared against.
 * @param partialDay the day is still running (intraday evaluation).
 * @throws {CurrencyMismatchError} when the charges are not in the budget's currency.
 */
export function spikeAlert(
  budget: BudgetSettings,
  dailyCharges: readonly DailyCharge[],
  day: DayKey,
  partialDay: boolean,
): AlertCandidate[] {
  const byDay = new Map(dailyCharges.map((entry) => [entry.day, entry.amount]));
  const amount = byDay.get(day);
  if (!amount || amount.isZero() || amount.isNegative() || amount.compare(budget.spikeMinimumAmount) < 0) return [];
  // Of the previous days it doubled, name the one it exceeds most (the smaller amount; the nearer day on a tie).
  let compared: { day: DayKey; amount: Money } | undefined;
  for (const previousDay of [addDays(day, -1), addDays(day, -2)]) {
    const previous = byDay.get(previousDay);
    if (!previous || amount.compare(previous.multiply('2')) < 0) continue;
    if (!compared || previous.compare(compared.amount) < 0) compared = { day: previousDay, amount: previous };
  }
  if (!compared) return [];
  return [
    {
      recipient: customer(budget.customerId),
      rule: 'spike',
      periodKey: day,
      severity: 'warning',
      subscriptionId: budget.subscriptionId,
      customerId: budget.customerId,
      facts: { dayAmount: amount, comparedDay: compared.day, comparedAmount: compared.amount, partialDay },
    },
  ];
}

export interface PartnerRuleInput {
  readonly link: CreditLink;
  /** The current calendar month in the partner's time zone. */
  readonly month: CalendarPeriod<MonthKey>;
  /** The customer's charges so far in `month`. */
  readonly monthToDate: Money;
  /** The customer's planned monthly amount, when it set a budget. */
  readonly plannedAmount?: Money;
  /** Closed months in which the subscription existed, zero-charge months included. */
  readonly history: readonly MonthlyCharge[];
}

/**
 * The partner's candidates for one customer subscription in `month`: provisional credit exceeded, the month-start
 * (or current-status) check, and the most severe credit level exceeded by the charges and by the planned amount.
 * @throws {CurrencyMismatchError} when amounts and levels are in different currencies.
 */
export function partnerCreditAlerts(input: PartnerRuleInput): AlertCandidate[] {
  const { link, month, monthToDate, plannedAmount, history } = input;
  const base = {
    recipient: partner(link.partnerId),
    periodKey: month.key,
    subscriptionId: link.subscriptionId,
    customerId: link.customerId,
  };
  const candidates: AlertCandidate[] = [];

  const credit = provisionalCredit(history, plannedAmount, month.key);
  if (credit && monthToDate.compare(credit.amount) > 0) {
    candidates.push({
      ...base,
      rule: 'provisionalCreditExceeded',
      severity: 'warning',
      facts: { monthToDate, provisionalCredit: credit.amount, basis: credit.basis },
    });
  }

  const check = monthStartCheck(link, history, month);
  if (check.blocked && check.largest) {
    const facts = {
      largestMonthlyCharge: check.largest.amount,
      largestMonth: check.largest.month,
      purchaseBlocked: check.purchaseBlockedLevel,
    };
    candidates.push(
      check.kind === 'monthStart'
        ? { ...base, rule: 'monthStartBlocked', severity: 'critical', facts }
        : { ...base, rule: 'currentStatusBlocked', periodKey: check.at.toISOString(), severity: 'critical', facts },
    );
  }

  const chargesLevel = highestLevelExceeded(link.levels, monthToDate);
  if (chargesLevel) {
    candidates.push({
      ...base,
      rule: 'chargesOverCreditLevel',
      threshold: chargesLevel,
      severity: creditLevelSeverity(chargesLevel),
      facts: { monthToDate, levelAmount: link.levels[chargesLevel] },
    });
  }

  const plannedLevel = plannedAmount === undefined ? undefined : highestLevelExceeded(link.levels, plannedAmount);
  if (plannedAmount !== undefined && plannedLevel) {
    candidates.push({
      ...base,
      rule: 'plannedOverCreditLevel',
      threshold: plannedLevel,
      severity: creditLevelSeverity(plannedLevel),
      facts: { planned: plannedAmount, levelAmount: link.levels[plannedLevel] },
    });
  }
  return candidates;
}

/**
 * The partner's notice that a customer's plan or quantity change was refused by the credit policy. Its period is the
 * marketplace operation id, so each refused operation is told once, however often the webhook is redelivered.
 */
export function purchaseChangeRejectedAlert(input: {
  readonly link: CreditLink;
  readonly operationId: string;
  readonly status: Extract<CreditStatus, 'approvalRequired' | 'purchaseBlocked'>;
  readonly currentPlanId: string;
  readonly change: PurchaseChange;
  readonly currentPrice: Money;
  readonly newPrice: Money;
}): AlertCandidate {
  return {
    recipient: partner(input.link.partnerId),
    rule: 'purchaseChangeRejected',
    threshold: input.status,
    periodKey: input.operationId,
    severity: 'warning',
    subscriptionId: input.link.subscriptionId,
    customerId: input.link.customerId,
    facts: {
      currentPlanId: input.currentPlanId,
      requestedPlanId: input.change.planId,
      requestedQuantity: input.change.quantity === undefined ? '' : String(input.change.quantity),
      currentPrice: input.currentPrice,
      newPrice: input.newPrice,
    },
  };
}

/** Everything known about one subscription at one instant. */
export interface AlertEvaluationInput {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly now: Date;
  /** The customer's budget for this subscription; without one, no customer alerts (nobody to send them to). */
  readonly budget?: BudgetSettings;
  /** The partner link and credit levels; without one, no partner alerts. */
  readonly creditLink?: CreditLink;
  /**
   * Charges (flat fees and usage) from the start of the month containing `now` to `now`: in the budget's time zone
   * (`alertTimeZone`), or in the partner's when there is no budget.
   */
  readonly monthToDate: Money;
  /** Forecast of the month's charges at its end and the usage it rests on; needed only for the forecast alert. */
  readonly forecast?: ForecastInput;
  /**
   * Usage charges per day, for spikes: at least today (so far), yesterday and the two days before; list zero days too
   * (an unlisted day counts as "no data", before the subscription existed).
   */
  readonly dailyCharges: readonly DailyCharge[];
  /** Charges of the closed months (at least the six before the current one), zero months included. */
  readonly monthlyHistory: readonly MonthlyCharge[];
  /**
   * The partner's time zone (settings.ts `partnerTimeZone`), whose months the partner's rules follow. Default: the
   * budget's time zone, else UTC.
   */
  readonly partnerTimeZone?: string;
  /**
   * Month to date and closed months in the partner's months; required when `partnerTimeZone` differs from the
   * budget's time zone (the amounts above are then the budget's), else `monthToDate` and `monthlyHistory` serve both.
   */
  readonly partnerCharges?: { readonly monthToDate: Money; readonly monthlyHistory: readonly MonthlyCharge[] };
}

/**
 * Every candidate alert for one subscription at `now`: budget thresholds and forecast, spikes of today (intraday)
 * and yesterday (day close), and the partner's credit alerts. Deterministic: the same input gives the same
 * candidates in the same order.
 * @throws {ValidationError} when the budget or credit link belongs to another subscription or customer.
 * @throws {CurrencyMismatchError} when amounts are in different currencies.
 */
export function evaluateAlerts(input: AlertEvaluationInput): AlertCandidate[] {
  const { budget, creditLink } = input;
  for (const [owner, field] of [
    [budget, 'budget'],
    [creditLink, 'creditLink'],
  ] as const) {
    if (owner && (owner.subscriptionId !== input.subscriptionId || owner.customerId !== input.customerId)) {
      // Invariant 7: an alert must reach only its own customer or partner, so settings of another one are a bug.
      throw new ValidationError(
        `the ${field} belongs to subscription ${owner.subscriptionId} of customer ${owner.customerId}, ` +
          `not to subscription ${input.subscriptionId} of customer ${input.customerId}`,
        field,
      );
    }
  }
  const timeZone = alertTimeZone(budget);
  const month = monthOf(input.now, timeZone).key;
  const today = dayOf(input.now, timeZone).key;
  const candidates: AlertCandidate[] = [];
  if (budget) {
    candidates.push(...budgetThresholdAlerts(budget, input.monthToDate, month));
    if (input.forecast) {
      candidates.push(
        ...budgetForecastAlert(budget, { monthToDate: input.monthToDate, forecast: input.forecast }, month, timeZone),
      );
    }
    candidates.push(...spikeAlert(budget, input.dailyCharges, addDays(today, -1), false));
    candidates.push(...spikeAlert(budget, input.dailyCharges, today, true));
  }
  if (creditLink) {
    const partnerZone = input.partnerTimeZone ?? timeZone;
    const charges = input.partnerCharges ?? { monthToDate: input.monthToDate, monthlyHistory: input.monthlyHistory };
    // Without a budget the amounts above are the partner's: they were computed in its months.
    if (budget && partnerZone !== timeZone && !input.partnerCharges) {
      throw new ValidationError(
        `the partner's months (${partnerZone}) are not the budget's (${timeZone}): give the charges in the partner's months`,
        'partnerCharges',
      );
    }
    candidates.push(
      ...partnerCreditAlerts({
        link: creditLink,
        month: monthOf(input.now, partnerZone),
        monthToDate: charges.monthToDate,
        plannedAmount: budget?.plannedMonthlyAmount,
        history: charges.monthlyHistory,
      }),
    );
  }
  return candidates;
}
