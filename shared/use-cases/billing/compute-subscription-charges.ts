import {
  addDays,
  addMonths,
  type DayKey,
  dayOf,
  dayPeriod,
  type MonthKey,
  monthOf,
  monthPeriod,
} from '#shared/domain/alerts/calendar.ts';
import type { MonthlyCharge } from '#shared/domain/alerts/credit.ts';
import type { DailyCharge } from '#shared/domain/alerts/rules.ts';
import { type HourUsage, planInForceAt, type ResolvedPlanPeriod } from '#shared/domain/allowance.ts';
import type { Catalog, CurrencyCode } from '#shared/domain/catalog.ts';
import { type ChargeInput, type Charges, chargesForWindows, forecastToPeriodEnd } from '#shared/domain/charges.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import { meteredDimensionsOf, planHistoryOf } from '#shared/domain/plan-history.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { floorToUtcHour, termContaining } from '#shared/domain/terms.ts';
import type { UsageSlot } from '#shared/domain/usage/usage-message.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { readUsageHours } from '#shared/use-cases/metering/read-usage-hours.ts';

/** Spike rules compare today and yesterday with each of the two days before: four local days. */
export const SPIKE_DAYS = 4;
/** The provisional credit and the month-start check look back six closed months (seeds/000_*: 過去半年). */
export const HISTORY_MONTHS = 6;

export interface ComputeSubscriptionChargesDeps {
  readonly ledger: Pick<UsageLedger, 'readDailyUsage' | 'readSlotQuantities'>;
  readonly catalog: Catalog;
}

export interface ComputeSubscriptionChargesInput {
  readonly subscription: Subscription;
  /** IANA zone whose calendar days and months the charges are grouped by (the budget's). */
  readonly timeZone: string;
  /** Every plan of the subscription's history must have a price in it. */
  readonly currency: CurrencyCode;
  readonly now: Date;
  /** Local days of usage charges to return, ending today (default `SPIKE_DAYS`; 0 for none). */
  readonly days?: number;
  /** Closed calendar months to return before the current one (default `HISTORY_MONTHS`; 0 for none). */
  readonly closedMonths?: number;
  /** Also forecast the current month's charges at its end (default false: it rates the usage a second time). */
  readonly forecast?: boolean;
}

/** Usage and overage of one dimension in one period. */
export interface DimensionCharges {
  readonly dimensionId: string;
  /** All usage in the period, exact decimal string (included and overage alike). */
  readonly quantity: string;
  /** The part above the included quantity of the term, which is billed. */
  readonly overageQuantity: string;
  /** Overage charges (rounded once per line, charges.ts). */
  readonly amount: Money;
}

/** The charges of one calendar month in the time zone: flat fees due in it plus overage of its hours. */
export interface MonthCharges {
  readonly month: MonthKey;
  readonly start: Date;
  /** Exclusive; for the current month, just after `asOf`. */
  readonly end: Date;
  /** False for the current month (still running) and for a month cut short by the cancellation. */
  readonly complete: boolean;
  readonly total: Money;
  readonly flatFees: Money;
  readonly usageCharges: Money;
  /** Dimensions with usage in the month, by id. */
  readonly dimensions: readonly DimensionCharges[];
}

export interface SubscriptionCharges {
  readonly subscriptionId: string;
  readonly currency: CurrencyCode;
  readonly timeZone: string;
  readonly asOf: Date;
  /** False when the subscription was never activated: everything below is zero or empty. */
  readonly active: boolean;
  readonly currentMonth: MonthCharges;
  /** Flat fees and usage charges from the start of the current month to `asOf`. */
  readonly monthToDate: Money;
  /** The current month's charges expected at its end (charges.ts FORECAST METHOD), when asked for. */
  readonly forecast?: Money;
  /**
   * With `forecast`: the elapsed part of the month whose usage it projects, from the later of the month start and the
   * activation to `asOf` (or to the cancellation, when the subscription ended this month). Empty (start = end) when
   * the subscription has no charges this month.
   */
  readonly forecastBasis?: { readonly start: Date; readonly end: Date };
  /** Closed months in which the subscription existed, oldest first, zero months included. */
  readonly closedMonths: readonly MonthCharges[];
  /** `closedMonths` as the credit rules take them, each marked whole or not (credit.ts `MonthlyCharge`). */
  readonly monthlyHistory: readonly MonthlyCharge[];
  /**
   * USAGE charges per local day, oldest first, ending with today so far; days before the subscription existed are
   * left out (the spike rule reads a missing day as "no data"). Flat fees are left out on purpose: a monthly fee
   * falling due on one day would otherwise be a spike every month (rules.ts).
   */
  readonly dailyUsageCharges: readonly DailyCharge[];
}

/**
 * The charges of one subscription for alerts and the usage view: month to date (and a forecast), the closed months
 * before it, and the usage charges of the last local days — from the ledger's hourly usage, rated by the rating
 * engine against the plan history (plan changes, seats, the anniversary of the term: DESIGN invariant 3).
 *
 * DynamoDB reads: the daily items with their hourly split (`readUsageHours`: one item per UTC day for every dimension,
 * in up to 4 range queries side by side), covering every window at once: from the start of the term in force at the
 * oldest window (the allowance is counted from there) to now; a day written before the daily items carried hours is
 * read from its slots. Nothing else is read here. Seven months of monthly terms: about 215 items, whatever the number
 * of dimensions (it was one slot per hour and dimension: ~15,000 for 3 dimensions, ~150,000 for 30).
 *
 * @throws {ValidationError} when the subscription's offer or plan is not in the catalog, or a plan has no price in
 *   `currency` (nothing can be rated).
 * @throws Error when the ledger cannot be read.
 */
export async function computeSubscriptionCharges(
  deps: ComputeSubscriptionChargesDeps,
  input: ComputeSubscriptionChargesInput,
): Promise<SubscriptionCharges> {
  const { subscription, timeZone, currency, now } = input;
  // Windows end just after `now`, so the hour running now and a fee due at this very instant are counted.
  const asOf = new Date(now.getTime() + 1);
  const month = monthOf(now, timeZone);
  const zero = Money.zero(currency);
  const emptyMonth = (key: MonthKey, start: Date, end: Date, complete: boolean): MonthCharges => ({
    month: key,
    start,
    end,
    complete,
    total: zero,
    flatFees: zero,
    usageCharges: zero,
    dimensions: [],
  });
  const base = { subscriptionId: subscription.id, currency, timeZone, asOf };
  const planHistory = planHistoryOf(subscription, deps.catalog);
  const firstEntry = planHistory?.history[0];
  if (!planHistory || !firstEntry) {
    return {
      ...base,
      active: false,
      currentMonth: emptyMonth(month.key, month.start, asOf, false),
      monthToDate: zero,
      ...(input.forecast ? { forecast: zero, forecastBasis: { start: asOf, end: asOf } } : {}),
      closedMonths: [],
      monthlyHistory: [],
      dailyUsageCharges: [],
    };
  }
  const startsAt = floorToUtcHour(firstEntry.from);
  const endsAt = planHistory.endsAt;
  const clipEnd = (end: Date) => new Date(Math.min(end.getTime(), asOf.getTime(), endsAt?.getTime() ?? Infinity));
  const existed = (start: Date, end: Date) => end.getTime() > startsAt.getTime() && start.getTime() < end.getTime();

  // The windows: closed months, the current month, the last local days.
  interface Window {
    readonly kind: 'month' | 'current' | 'day';
    readonly key: string;
    readonly start: Date;
    readonly end: Date;
    readonly complete: boolean;
  }
  const windows: Window[] = [];
  for (let k = input.closedMonths ?? HISTORY_MONTHS; k >= 1; k--) {
    const period = monthPeriod(addMonths(month.key, -k), timeZone);
    const end = clipEnd(period.end);
    if (existed(period.start, end)) {
      windows.push({ kind: 'month', key: period.key, start: period.start, end, complete: end >= period.end });
    }
  }
  const currentEnd = clipEnd(month.end);
  if (existed(month.start, currentEnd)) {
    windows.push({ kind: 'current', key: month.key, start: month.start, end: currentEnd, complete: false });
  }
  const today: DayKey = dayOf(now, timeZone).key;
  for (let k = (input.days ?? SPIKE_DAYS) - 1; k >= 0; k--) {
    const period = dayPeriod(addDays(today, -k), timeZone);
    const end = clipEnd(period.end);
    if (existed(period.start, end)) {
      windows.push({ kind: 'day', key: period.key, start: period.start, end, complete: end >= period.end });
    }
  }
  if (windows.length === 0) {
    return {
      ...base,
      active: true,
      currentMonth: emptyMonth(month.key, month.start, asOf, false),
      monthToDate: zero,
      ...(input.forecast ? { forecast: zero, forecastBasis: { start: asOf, end: asOf } } : {}),
      closedMonths: [],
      monthlyHistory: [],
      dailyUsageCharges: [],
    };
  }

  // One read of the hours all windows need: from the start of the term in force at the oldest window.
  const resolved = planHistory.resolved;
  const oldest = new Date(Math.max(Math.min(...windows.map((w) => w.start.getTime())), startsAt.getTime()));
  const entryAtOldest = planInForceAt(resolved, oldest) ?? resolved[0];
  const readFrom = entryAtOldest
    ? new Date(
        Math.max(
          termContaining(entryAtOldest.anchor, entryAtOldest.billingTerm.termUnit, oldest).start.getTime(),
          startsAt.getTime(),
        ),
      )
    : startsAt;
  const readTo = floorToUtcHour(clipEnd(asOf));
  const dimensions = meteredDimensionsOf(planHistory.history);
  const hours = await readUsageHours(deps.ledger, subscription.id, dimensions, readFrom, readTo);
  const usage = ratableUsage(hours, resolved, endsAt);

  const chargeInput: ChargeInput = {
    customer: { subscriptionId: subscription.id, tenantId: subscription.beneficiary.tenantId },
    currency,
    history: planHistory.history,
    usage,
    storeFeeRate: deps.catalog.storeFeeRate,
  };
  const charged = chargesForWindows(chargeInput, windows);
  const monthOfWindow = (window: Window, charges: Charges): MonthCharges => ({
    month: window.key,
    start: window.start,
    end: window.end,
    complete: window.complete,
    total: charges.total,
    flatFees: sumLines(charges, 'flatFee', currency),
    usageCharges: sumLines(charges, 'overage', currency),
    dimensions: dimensionCharges(charges, usage, window, currency),
  });

  const closedMonths: MonthCharges[] = [];
  const daily: DailyCharge[] = [];
  let currentMonth = emptyMonth(month.key, month.start, asOf, false);
  windows.forEach((window, index) => {
    const charges = charged[index] as Charges;
    if (window.kind === 'month') closedMonths.push(monthOfWindow(window, charges));
    else if (window.kind === 'current') currentMonth = monthOfWindow(window, charges);
    else daily.push({ day: window.key, amount: sumLines(charges, 'overage', currency) });
  });

  let forecast: { readonly amount: Money; readonly basis: { readonly start: Date; readonly end: Date } } | undefined;
  if (input.forecast) {
    // Time before the activation is not part of the run rate: the basis starts at the later of the two.
    const basisStart = new Date(Math.max(month.start.getTime(), startsAt.getTime()));
    if (endsAt !== undefined && endsAt.getTime() <= asOf.getTime()) {
      forecast = {
        amount: currentMonth.total,
        basis: { start: basisStart, end: new Date(Math.max(basisStart.getTime(), endsAt.getTime())) },
      };
    } else {
      const basisEnd = new Date(Math.max(asOf.getTime(), startsAt.getTime() + 1));
      forecast = {
        amount: forecastToPeriodEnd(chargeInput, {
          periodStart: basisStart,
          periodEnd: endsAt && endsAt < month.end ? endsAt : month.end,
          asOf: basisEnd,
        }).total,
        basis: { start: basisStart, end: basisEnd },
      };
    }
  }
  return {
    ...base,
    active: true,
    currentMonth,
    monthToDate: currentMonth.total,
    ...(forecast === undefined ? {} : { forecast: forecast.amount, forecastBasis: forecast.basis }),
    closedMonths,
    // A month is whole when the subscription was active from its first instant to its end (credit.ts: a first month
    // of one hour says nothing about a month's spending).
    monthlyHistory: closedMonths.map((m) => ({
      month: m.month,
      amount: m.total,
      wholeMonth: m.complete && startsAt.getTime() <= m.start.getTime(),
    })),
    dailyUsageCharges: daily,
  };
}

/**
 * Slots as the rating engine takes them, without those it cannot rate: usage before the activation or after the
 * cancellation (ingest refuses both, so these are manual edits), or of a dimension the plan in force at its hour
 * does not meter (a plan change that came in late). Such slots are not charged here; the reporter deals with them.
 */
export function ratableUsage(
  slots: readonly Pick<UsageSlot, 'dimension' | 'hour' | 'quantity'>[],
  resolved: readonly ResolvedPlanPeriod[],
  endsAt: Date | undefined,
): HourUsage[] {
  const usage: HourUsage[] = [];
  for (const slot of slots) {
    const hour = new Date(slot.hour);
    if (endsAt && hour.getTime() >= endsAt.getTime()) continue;
    const entry = planInForceAt(resolved, hour);
    if (!entry) continue;
    const metered =
      entry.plan.meteredDimensions.some((d) => d.dimensionId === slot.dimension) ||
      Object.hasOwn(entry.billingTerm.includedQuantities, slot.dimension);
    if (metered) usage.push({ dimensionId: slot.dimension, hour, quantity: slot.quantity });
  }
  return usage;
}

function sumLines(charges: Charges, kind: 'flatFee' | 'overage', currency: CurrencyCode): Money {
  return Money.sum(
    charges.lines.filter((line) => line.kind === kind).map((line) => line.amount),
    currency,
  );
}

function dimensionCharges(
  charges: Charges,
  usage: readonly HourUsage[],
  window: { readonly start: Date; readonly end: Date },
  currency: CurrencyCode,
): DimensionCharges[] {
  const byDimension = new Map<string, { quantity: Dec; overage: Dec; amount: Money }>();
  const entry = (id: string) => {
    let found = byDimension.get(id);
    if (!found) {
      found = { quantity: new Dec(0), overage: new Dec(0), amount: Money.zero(currency) };
      byDimension.set(id, found);
    }
    return found;
  };
  for (const record of usage) {
    const t = record.hour.getTime();
    if (t < window.start.getTime() || t >= window.end.getTime()) continue;
    const found = entry(record.dimensionId);
    found.quantity = found.quantity.plus(record.quantity);
  }
  for (const line of charges.lines) {
    if (line.kind !== 'overage') continue;
    const found = entry(line.dimensionId);
    found.overage = found.overage.plus(line.quantity);
    found.amount = found.amount.add(line.amount);
  }
  return [...byDimension.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dimensionId, totals]) => ({
      dimensionId,
      quantity: totals.quantity.toFixed(),
      overageQuantity: totals.overage.toFixed(),
      amount: totals.amount,
    }));
}
