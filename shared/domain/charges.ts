/**
 * Charges of a subscription: flat fees by billing period and overage by dimension, as exact Money. Prices come from
 * plan-pricing.ts. (Over 400 lines on purpose: the windows, the forecast and the invoice preview share the private
 * slicing of billing periods into plan runs; split apart, that slicing would have to be exported and kept in step.)
 *
 * Rules:
 * - Every term is billed in monthly billing periods (terms.ts, anniversary rule). The flat fee of a period is due at
 *   its start, under the plan in force then (Microsoft bills in advance):
 *   - billed monthly: the term price is spread evenly over the term's months. So that the periods of a term add up
 *     to the term price exactly, period i of n is charged round(P·(i+1)/n) − round(P·i/n), where P is the term price
 *     × seats (e.g. $100/year → 8.33, 8.34, 8.33, 8.34, …; twelve lines sum to 100.00). Each line is still one
 *     rounding of an unrounded amount, by THE ROUNDING RULE (money.ts).
 *   - billed up front: the whole term price × seats in the first period of the term, nothing in the others.
 *   - per-user plans multiply by the seats (`quantity`) of the history entry in force; flat-rate plans by 1.
 * - Free trial (SaaS: one month, DESIGN.md): no flat fee falls due before the first anchor + 1 month on a plan with
 *   `freeTrial`; such periods get a zero line marked `freeTrial`.
 * - Overage: overage quantity (allowance.ts) × price per unit of the plan in force in that hour. One line per
 *   dimension and unit price (a plan change can change the price), rounded once.
 * - Prices: a private plan's `CustomerPrice` is matched by subscription id first, then by tenant id; anything it does
 *   not override falls back to the plan's own price (catalog.ts).
 * - Store fee: each invoice (billing period) is split with `splitStoreFee`; totals over several periods add up the
 *   per-period splits, so payout + fee = price holds at every level.
 * - FORECAST METHOD: flat fees due in the period are known in full from the plan history (the plan in force now is
 *   assumed to continue); overage is projected at its run-rate: overage amount so far ÷ elapsed hours × hours in the
 *   period, never below the actual. A run-rate on overage (not on usage) ignores allowance that is still left, so it
 *   under-forecasts a dimension that will exhaust its allowance later in the period; that is the stated trade-off for
 *   a simple, explainable number.
 * - Not modelled (Microsoft's proration of plan or seat changes in the middle of a billing period is not documented
 *   in the stored sources): a change applies its flat price from the next billing period it starts or from the new
 *   term it starts; overage prices switch at the hour of the change.
 */

import {
  type AllowanceState,
  type HourUsage,
  type PlanHistory,
  planInForceAt,
  type RatedHour,
  type ResolvedPlanPeriod,
  rateUsage,
  resolvePlanHistory,
} from '#shared/domain/allowance.ts';
import type { CurrencyCode } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import { type ChargeCustomer, effectiveTermPrice, effectiveUnitPrice } from '#shared/domain/plan-pricing.ts';
import { STANDARD_STORE_FEE_RATE, type StoreFeeSplit, splitStoreFee } from '#shared/domain/store-fee.ts';
import {
  addMonthsClamped,
  type BillingPeriod,
  billingPeriodAt,
  HOUR_MS,
  monthsSinceAnchor,
  termUnitMonths,
} from '#shared/domain/terms.ts';

/** Everything the charge functions need about one subscription. */
export interface ChargeInput {
  readonly customer: ChargeCustomer;
  readonly currency: CurrencyCode;
  readonly history: PlanHistory;
  /**
   * Usage since the start of the earliest term that overlaps the period asked for (or since activation), so the
   * allowance is counted from the term start; usage after the period is ignored.
   */
  readonly usage: readonly HourUsage[];
  /** Allowance tallies before the first usage record given (default: none). */
  readonly allowanceState?: AllowanceState;
  /** `Catalog.storeFeeRate` (default "0.03"). */
  readonly storeFeeRate?: string;
}

export interface FlatFeeLine {
  readonly kind: 'flatFee';
  readonly planId: string;
  readonly billingPeriod: BillingPeriod;
  /** Seats (1 for a flat-rate plan). */
  readonly quantity: Dec;
  /** Unrounded price of one seat for this period (term price ÷ months, or the whole term price up front). */
  readonly unitPrice: Money;
  /** Rounded once: see the allocation rule at the top of this file. */
  readonly amount: Money;
  /** True when the fee is waived by the free trial (amount 0). */
  readonly freeTrial: boolean;
}

export interface OverageLine {
  readonly kind: 'overage';
  readonly planId: string;
  readonly dimensionId: string;
  /** Overage units (usage above the included quantity). */
  readonly quantity: Dec;
  readonly unitPrice: Money;
  /** quantity × unitPrice, rounded once. */
  readonly amount: Money;
}

export type ChargeLine = FlatFeeLine | OverageLine;

/** Charges of one window: lines, total and its store fee split. */
export interface Charges {
  readonly periodStart: Date;
  /** Exclusive. */
  readonly periodEnd: Date;
  readonly lines: readonly ChargeLine[];
  readonly total: Money;
  readonly split: StoreFeeSplit;
}

export interface ForecastLine {
  readonly kind: 'flatFee' | 'overage';
  /** The dimension of an overage line. */
  readonly dimensionId?: string;
  /** Charged so far (rounded). */
  readonly actual: Money;
  /** Expected by the period end (rounded); never below `actual`. */
  readonly forecast: Money;
}

export interface Forecast {
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly asOf: Date;
  readonly actual: Charges;
  readonly lines: readonly ForecastLine[];
  readonly total: Money;
  readonly split: StoreFeeSplit;
}

export interface InvoicePeriod {
  readonly billingPeriod: BillingPeriod;
  /** The part of the billing period inside the preview window and inside its plan run. */
  readonly start: Date;
  readonly end: Date;
  readonly lines: readonly ChargeLine[];
  readonly subtotal: Money;
  readonly split: StoreFeeSplit;
}

export interface InvoicePreview {
  readonly from: Date;
  readonly to: Date;
  readonly periods: readonly InvoicePeriod[];
  readonly total: Money;
  /** Sum of the per-period splits. */
  readonly split: StoreFeeSplit;
}

/**
 * Month-to-date (or any window-to-date) charges: flat fees due in [periodStart, asOf) and overage of the hours
 * starting in [periodStart, asOf). The calendar month in the customer's time zone is decided by the caller.
 * @throws {ValidationError} when the window is empty or inverted, or as `rateUsage` and the price lookups.
 */
export function monthToDateCharges(input: ChargeInput, window: { periodStart: Date; asOf: Date }): Charges {
  assertWindow(window.periodStart, window.asOf, 'asOf');
  const resolved = resolvePlanHistory(input.history);
  const rated = rateUsage(resolved, input.usage, input.allowanceState).hours;
  return chargesBetween(input, resolved, rated, window.periodStart, window.asOf);
}

/**
 * The charges of several windows at once, each as `monthToDateCharges` would give it for [start, end), with the usage
 * rated once: what a caller needs for many calendar days and months of one subscription (alerts, the usage view)
 * without rating the whole term again per window.
 * @throws {ValidationError} when a window is empty or inverted, or as `rateUsage` and the price lookups.
 */
export function chargesForWindows(
  input: ChargeInput,
  windows: readonly { readonly start: Date; readonly end: Date }[],
): Charges[] {
  for (const window of windows) assertWindow(window.start, window.end, 'end');
  const resolved = resolvePlanHistory(input.history);
  const rated = rateUsage(resolved, input.usage, input.allowanceState).hours;
  return windows.map((window) => chargesBetween(input, resolved, rated, window.start, window.end));
}

/**
 * Forecast of the charges of [periodStart, periodEnd) as of `asOf`, by the FORECAST METHOD at the top of this file.
 * @throws {ValidationError} when asOf is not inside (periodStart, periodEnd], or as `monthToDateCharges`.
 */
export function forecastToPeriodEnd(
  input: ChargeInput,
  window: { periodStart: Date; periodEnd: Date; asOf: Date },
): Forecast {
  const { periodStart, periodEnd, asOf } = window;
  assertWindow(periodStart, periodEnd, 'periodEnd');
  if (asOf.getTime() <= periodStart.getTime() || asOf.getTime() > periodEnd.getTime()) {
    throw new ValidationError('asOf must be after periodStart and not after periodEnd', 'asOf');
  }
  const resolved = resolvePlanHistory(input.history);
  const rated = rateUsage(resolved, input.usage, input.allowanceState).hours;
  const actual = chargesBetween(input, resolved, rated, periodStart, asOf);
  const currency = input.currency;

  const flatActual = Money.sum(
    flatLines(actual.lines).map((l) => l.amount),
    currency,
  );
  const flatForecast = Money.sum(
    flatFeeLines(input, resolved, periodStart, periodEnd).map((l) => l.amount),
    currency,
  ).max(flatActual);
  const lines: ForecastLine[] = [{ kind: 'flatFee', actual: flatActual, forecast: flatForecast }];

  // Run-rate on the unrounded overage amount, rounded once per dimension line.
  const elapsedHours = new Dec(asOf.getTime() - periodStart.getTime()).dividedBy(HOUR_MS);
  const totalHours = new Dec(periodEnd.getTime() - periodStart.getTime()).dividedBy(HOUR_MS);
  const unroundedByDimension = new Map<string, Money>();
  const actualByDimension = new Map<string, Money>();
  for (const line of actual.lines) {
    if (line.kind !== 'overage') continue;
    const unrounded = line.unitPrice.multiply(line.quantity);
    unroundedByDimension.set(
      line.dimensionId,
      (unroundedByDimension.get(line.dimensionId) ?? Money.zero(currency)).add(unrounded),
    );
    actualByDimension.set(
      line.dimensionId,
      (actualByDimension.get(line.dimensionId) ?? Money.zero(currency)).add(line.amount),
    );
  }
  for (const [dimensionId, unrounded] of [...unroundedByDimension].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const actualAmount = actualByDimension.get(dimensionId) ?? Money.zero(currency);
    const projected = unrounded.multiply(totalHours).divide(elapsedHours).roundToMinorUnit();
    lines.push({ kind: 'overage', dimensionId, actual: actualAmount, forecast: projected.max(actualAmount) });
  }
  const total = Money.sum(
    lines.map((l) => l.forecast),
    currency,
  );
  return {
    periodStart,
    periodEnd,
    asOf,
    actual,
    lines,
    total,
    split: splitStoreFee(total, input.storeFeeRate ?? STANDARD_STORE_FEE_RATE),
  };
}

/**
 * An invoice preview of [from, to): one entry per billing period overlapping the window, each with its flat fee line
 * and one overage line per dimension (and unit price) for the hours of that period, its subtotal and store fee split.
 * Microsoft invoices overage in the billing cycle after the usage; the preview groups it by the period it was used in.
 * @throws {ValidationError} when the window is empty or inverted, or as `rateUsage` and the price lookups.
 */
export function invoicePreview(input: ChargeInput, window: { from: Date; to: Date }): InvoicePreview {
  assertWindow(window.from, window.to, 'to');
  const resolved = resolvePlanHistory(input.history);
  const rated = rateUsage(resolved, input.usage, input.allowanceState).hours;
  const rate = input.storeFeeRate ?? STANDARD_STORE_FEE_RATE;
  const periods: InvoicePeriod[] = [];
  for (const slice of periodSlices(resolved, window.from, window.to)) {
    const charges = chargesBetween(input, resolved, rated, slice.start, slice.end);
    periods.push({
      billingPeriod: slice.period,
      start: slice.start,
      end: slice.end,
      lines: charges.lines,
      subtotal: charges.total,
      split: charges.split,
    });
  }
  const sum = (pick: (p: InvoicePeriod) => Money) => Money.sum(periods.map(pick), input.currency);
  return {
    from: window.from,
    to: window.to,
    periods,
    total: sum((p) => p.subtotal),
    split:
      periods.length === 0
        ? splitStoreFee(Money.zero(input.currency), rate)
        : {
            customerPrice: sum((p) => p.split.customerPrice),
            storeFee: sum((p) => p.split.storeFee),
            publisherPayout: sum((p) => p.split.publisherPayout),
          },
  };
}

/** A billing period clipped to a window and to the run of history entries sharing its anchor. */
interface PeriodSlice {
  readonly period: BillingPeriod;
  readonly start: Date;
  readonly end: Date;
  /** When the flat fee of this slice falls due (the clipped start of the whole period, not of the window). */
  readonly dueAt: Date;
  readonly entry: ResolvedPlanPeriod;
}

/**
 * Billing periods overlapping [from, to). Consecutive history entries with the same anchor share their periods;
 * an entry with a new anchor (a new term) cuts the current period short and starts its own periods.
 */
function periodSlices(resolved: readonly ResolvedPlanPeriod[], from: Date, to: Date): PeriodSlice[] {
  const slices: PeriodSlice[] = [];
  const runs: { anchor: Date; start: Date; end: Date | undefined }[] = [];
  for (const entry of resolved) {
    const last = runs.at(-1);
    if (last && last.anchor.getTime() === entry.anchor.getTime()) {
      last.end = entry.until;
    } else {
      runs.push({ anchor: entry.anchor, start: entry.effectiveFrom, end: entry.until });
    }
  }
  for (const run of runs) {
    const lo = Math.max(run.start.getTime(), from.getTime());
    const hi = Math.min(run.end?.getTime() ?? Number.POSITIVE_INFINITY, to.getTime());
    if (lo >= hi) continue;
    for (let n = monthsSinceAnchor(run.anchor, new Date(lo)); addMonthsClamped(run.anchor, n).getTime() < hi; n++) {
      const nominalStart = addMonthsClamped(run.anchor, n);
      const dueAt = new Date(Math.max(nominalStart.getTime(), run.start.getTime()));
      const entry = planInForceAt(resolved, dueAt);
      if (!entry) continue;
      const period = billingPeriodAt(run.anchor, entry.billingTerm.termUnit, n);
      const start = new Date(Math.max(dueAt.getTime(), lo));
      const end = new Date(Math.min(period.end.getTime(), hi));
      slices.push({ period, start, end, dueAt, entry });
    }
  }
  return slices;
}

/** Flat fee lines of the periods whose fee falls due in [from, to). */
function flatFeeLines(
  input: ChargeInput,
  resolved: readonly ResolvedPlanPeriod[],
  from: Date,
  to: Date,
): FlatFeeLine[] {
  const first = resolved[0];
  if (!first) return [];
  const trialEnd = addMonthsClamped(first.anchor, 1);
  const lines: FlatFeeLine[] = [];
  for (const slice of periodSlices(resolved, from, to)) {
    if (slice.dueAt.getTime() < from.getTime()) continue; // due before the window: charged in an earlier one
    const { entry, period } = slice;
    const months = termUnitMonths(entry.billingTerm.termUnit);
    const upfront = entry.billingTerm.billingFrequency === 'upfront';
    if (upfront && period.indexInTerm !== 0) continue;
    const seats = new Dec(entry.plan.pricingModel === 'perUser' ? (entry.quantity ?? 1) : 1);
    const termPrice = effectiveTermPrice(entry.plan, entry.billingTerm, input.customer, input.currency);
    const unitPrice = upfront ? termPrice : termPrice.divide(new Dec(months));
    const inTrial = entry.plan.freeTrial && slice.dueAt.getTime() < trialEnd.getTime();
    const whole = termPrice.multiply(seats);
    const amount = inTrial
      ? Money.zero(input.currency)
      : upfront
        ? whole.roundToMinorUnit()
        : whole
            .multiply(new Dec(period.indexInTerm + 1))
            .divide(new Dec(months))
            .roundToMinorUnit()
            .subtract(whole.multiply(new Dec(period.indexInTerm)).divide(new Dec(months)).roundToMinorUnit());
    lines.push({
      kind: 'flatFee',
      planId: entry.plan.id,
      billingPeriod: period,
      quantity: seats,
      unitPrice,
      amount,
      freeTrial: inTrial,
    });
  }
  return lines;
}

function chargesBetween(
  input: ChargeInput,
  resolved: readonly ResolvedPlanPeriod[],
  rated: readonly RatedHour[],
  from: Date,
  to: Date,
): Charges {
  const lines: ChargeLine[] = [
    ...flatFeeLines(input, resolved, from, to),
    ...overageLines(input, resolved, rated, from, to),
  ];
  const total = Money.sum(
    lines.map((l) => l.amount),
    input.currency,
  );
  return {
    periodStart: from,
    periodEnd: to,
    lines,
    total,
    split: splitStoreFee(total, input.storeFeeRate ?? STANDARD_STORE_FEE_RATE),
  };
}

/** One overage line per (dimension, plan, unit price) over the hours starting in [from, to). */
function overageLines(
  input: ChargeInput,
  resolved: readonly ResolvedPlanPeriod[],
  rated: readonly RatedHour[],
  from: Date,
  to: Date,
): OverageLine[] {
  const groups = new Map<string, { planId: string; dimensionId: string; unitPrice: Money; quantity: Dec }>();
  for (const hour of rated) {
    const t = hour.hour.getTime();
    if (t < from.getTime() || t >= to.getTime() || hour.overage.isZero()) continue;
    const entry = planInForceAt(resolved, hour.hour);
    if (!entry) continue;
    const unitPrice = effectiveUnitPrice(entry.plan, hour.dimensionId, input.customer, input.currency);
    const key = `${hour.dimensionId}\u0000${entry.plan.id}\u0000${unitPrice.amount.toString()}`;
    const group = groups.get(key);
    if (group) {
      group.quantity = group.quantity.plus(hour.overage);
    } else {
      groups.set(key, { planId: entry.plan.id, dimensionId: hour.dimensionId, unitPrice, quantity: hour.overage });
    }
  }
  return [...groups.values()]
    .sort((a, b) => (a.dimensionId < b.dimensionId ? -1 : a.dimensionId > b.dimensionId ? 1 : 0))
    .map((g) => ({
      kind: 'overage' as const,
      planId: g.planId,
      dimensionId: g.dimensionId,
      quantity: g.quantity,
      unitPrice: g.unitPrice,
      amount: g.unitPrice.multiply(g.quantity).roundToMinorUnit(),
    }));
}

function flatLines(lines: readonly ChargeLine[]): FlatFeeLine[] {
  return lines.filter((l): l is FlatFeeLine => l.kind === 'flatFee');
}

function assertWindow(start: Date, end: Date, field: string): void {
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() <= start.getTime()) {
    throw new ValidationError('the period end must be a valid date after its start', field);
  }
}
