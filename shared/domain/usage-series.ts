/**
 * Usage series (issue 13 point 5): usage and its charge per hour, local day or local month, for the portal's graphs.
 *
 * Rules:
 * - Buckets: UTC hours; or calendar days / months of the requested time zone (23 or 25 hours across a daylight-saving
 *   change), from the one containing `from` to the one containing the instant before `to`.
 * - Spans: at most 31 days of hours, 400 days of days, 36 months of months (a graph, not an export).
 * - A point's quantity is all usage of its hours (included and overage alike); its amount is the usage charge
 *   attributable to it: the overage of its hours (allowance.ts: in hour order through the term, at the plan in force
 *   in each hour) at that plan's price.
 * - ALLOCATION RULE: the usage view (`GET /v1/subscriptions/{id}/usage`) rounds once per calendar month and line
 *   (dimension, plan, unit price; charges.ts). So that a month's points add up to exactly that month's amount, a point
 *   is given round(C_after) − round(C_before), where C is the unrounded running amount of its line since the start of
 *   its calendar month. Rounding never drifts, and a month's points telescope to round(C_month), the line's amount.
 */
import { addDays, addMonths, dayOf, dayPeriod, monthOf, monthPeriod } from '#shared/domain/alerts/calendar.ts';
import { planInForceAt, type RatedHour, type ResolvedPlanPeriod } from '#shared/domain/allowance.ts';
import type { CurrencyCode } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import { type ChargeCustomer, effectiveUnitPrice } from '#shared/domain/plan-pricing.ts';
import { floorToUtcHour, HOUR_MS } from '#shared/domain/terms.ts';
import { QuantitySum } from '#shared/domain/usage/quantity-sum.ts';

export type SeriesGranularity = 'hour' | 'day' | 'month';

/** The longest span each granularity answers (its number of points stays small enough to draw). */
export const MAX_SERIES_SPAN = { hourDays: 31, dayDays: 400, monthMonths: 36 } as const;

const DAY_MS = 86_400_000;

/** One point's time range [start, end). */
export interface SeriesBucket {
  readonly start: Date;
  readonly end: Date;
}

/**
 * The range a graph shows when the caller gives none: the last 48 hours (the current one included); the first day of
 * the previous month to now; the last 12 calendar months including the current one.
 */
export function defaultSeriesRange(
  granularity: SeriesGranularity,
  now: Date,
  timeZone: string,
): { readonly from: Date; readonly to: Date } {
  const to = new Date(floorToUtcHour(now).getTime() + HOUR_MS);
  switch (granularity) {
    case 'hour':
      return { from: new Date(to.getTime() - 48 * HOUR_MS), to };
    case 'day':
      return { from: monthPeriod(addMonths(monthOf(now, timeZone).key, -1), timeZone).start, to };
    case 'month':
      return { from: monthPeriod(addMonths(monthOf(now, timeZone).key, -11), timeZone).start, to };
  }
}

/**
 * Checks a requested range before anything is read.
 * @throws {ValidationError} naming the field, when `from` is not before `to` or the span is longer than allowed.
 */
export function assertSeriesRange(granularity: SeriesGranularity, from: Date, to: Date, timeZone: string): void {
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError(`from (${from.toISOString()}) must be before to (${to.toISOString()})`, 'from');
  }
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (granularity === 'hour' && days > MAX_SERIES_SPAN.hourDays) {
    throw new ValidationError(
      `an hourly series spans at most ${MAX_SERIES_SPAN.hourDays} days; ask for granularity=day for longer ranges`,
      'to',
    );
  }
  if (granularity === 'day' && days > MAX_SERIES_SPAN.dayDays) {
    throw new ValidationError(
      `a daily series spans at most ${MAX_SERIES_SPAN.dayDays} days; ask for granularity=month for longer ranges`,
      'to',
    );
  }
  if (granularity === 'month') {
    const first = monthOf(from, timeZone).key;
    const last = monthOf(new Date(to.getTime() - 1), timeZone).key;
    const months = monthIndex(last) - monthIndex(first) + 1;
    if (months > MAX_SERIES_SPAN.monthMonths) {
      throw new ValidationError(`a monthly series spans at most ${MAX_SERIES_SPAN.monthMonths} months`, 'to');
    }
  }
}

/** The buckets covering [from, to): whole hours, local days or local months (the first and last ones whole). */
export function seriesBuckets(granularity: SeriesGranularity, from: Date, to: Date, timeZone: string): SeriesBucket[] {
  const buckets: SeriesBucket[] = [];
  if (granularity === 'hour') {
    for (let t = floorToUtcHour(from).getTime(); t < to.getTime(); t += HOUR_MS) {
      buckets.push({ start: new Date(t), end: new Date(t + HOUR_MS) });
    }
    return buckets;
  }
  if (granularity === 'day') {
    for (let key = dayOf(from, timeZone).key; ; key = addDays(key, 1)) {
      const period = dayPeriod(key, timeZone);
      if (period.start.getTime() >= to.getTime()) break;
      buckets.push({ start: period.start, end: period.end });
    }
    return buckets;
  }
  for (let key = monthOf(from, timeZone).key; ; key = addMonths(key, 1)) {
    const period = monthPeriod(key, timeZone);
    if (period.start.getTime() >= to.getTime()) break;
    buckets.push({ start: period.start, end: period.end });
  }
  return buckets;
}

/** A point of one dimension: its usage and the charge attributable to it. */
export interface SeriesPoint {
  readonly start: Date;
  readonly quantity: Dec;
  readonly amount: Money;
}

export interface AttributeSeriesInput {
  /** Rated hours in hour order, from at least the start of the calendar month of the first bucket. */
  readonly rated: readonly RatedHour[];
  readonly resolved: readonly ResolvedPlanPeriod[];
  readonly customer: ChargeCustomer;
  readonly currency: CurrencyCode;
  /** The zone whose calendar months the usage view rounds by (ALLOCATION RULE). */
  readonly timeZone: string;
  readonly buckets: readonly SeriesBucket[];
  /** Every dimension to answer, with zero points where nothing was used (a graph needs the gaps). */
  readonly dimensionIds: readonly string[];
}

/**
 * Points per dimension, one per bucket, by the rules at the top of this file. Hours before the first bucket only
 * feed the running amounts of their month; hours after the last one are ignored.
 * @throws {ValidationError} when an hour with overage has no plan in force or its dimension no price.
 */
export function attributeSeries(input: AttributeSeriesInput): Map<string, SeriesPoint[]> {
  const { buckets, currency } = input;
  const zero = Money.zero(currency);
  const quantities = new Map<string, Dec[]>();
  const amounts = new Map<string, Money[]>();
  for (const id of input.dimensionIds) {
    quantities.set(
      id,
      buckets.map(() => new Dec(0)),
    );
    amounts.set(
      id,
      buckets.map(() => zero),
    );
  }
  const first = buckets[0];
  const last = buckets.at(-1);
  const running = new Map<string, Money>();
  let month: { key: string; end: number } | undefined;
  let bucketIndex = 0;
  const prices = new Map<string, Money>();
  for (const hour of input.rated) {
    const t = hour.hour.getTime();
    if (last && t >= last.end.getTime()) break;
    // Find the bucket of this hour (hours arrive in order, so the index only moves forward).
    let index = -1;
    if (first && t >= first.start.getTime()) {
      while (bucketIndex < buckets.length && t >= (buckets[bucketIndex] as SeriesBucket).end.getTime()) bucketIndex++;
      index = bucketIndex;
    }
    if (index >= 0) {
      const list = quantities.get(hour.dimensionId);
      if (list) list[index] = (list[index] as Dec).plus(hour.usage);
    }
    if (hour.overage.isZero()) continue;
    if (!month || t >= month.end) {
      const period = monthOf(hour.hour, input.timeZone);
      month = { key: period.key, end: period.end.getTime() };
    }
    const entry = planInForceAt(input.resolved, hour.hour);
    if (!entry) throw new ValidationError(`no plan is in force at ${hour.hour.toISOString()}`, 'hour');
    const priceKey = `${entry.plan.id}\u0000${hour.dimensionId}`;
    let unitPrice = prices.get(priceKey);
    if (!unitPrice) {
      unitPrice = effectiveUnitPrice(entry.plan, hour.dimensionId, input.customer, currency);
      prices.set(priceKey, unitPrice);
    }
    // The line of charges.ts: (dimension, plan, unit price), per calendar month.
    const line = `${month.key}\u0000${hour.dimensionId}\u0000${entry.plan.id}\u0000${unitPrice.amount.toString()}`;
    const before = running.get(line) ?? zero;
    const after = before.add(unitPrice.multiply(hour.overage));
    running.set(line, after);
    if (index < 0) continue;
    const list = amounts.get(hour.dimensionId);
    if (list) {
      list[index] = (list[index] as Money).add(after.roundToMinorUnit().subtract(before.roundToMinorUnit()));
    }
  }
  const points = new Map<string, SeriesPoint[]>();
  for (const id of input.dimensionIds) {
    const q = quantities.get(id) ?? [];
    const a = amounts.get(id) ?? [];
    points.set(
      id,
      buckets.map((bucket, i) => ({ start: bucket.start, quantity: q[i] as Dec, amount: a[i] as Money })),
    );
  }
  return points;
}

function monthIndex(key: string): number {
  return Number(key.slice(0, 4)) * 12 + Number(key.slice(5, 7)) - 1;
}

/** Where the usage of a series is read from: hourly slots in some ranges, the UTC daily totals for whole days. */
export interface SeriesReadPlan {
  /** [start, end) ranges of whole UTC hours read as hourly slots, in order. */
  readonly hourRanges: readonly SeriesBucket[];
  /** Starts of the UTC days read from the daily totals, in order. */
  readonly totalDays: readonly Date[];
}

/**
 * READ PLAN: a UTC day's usage may come from its daily total (one small item for every dimension) instead of 24
 * hourly slots per dimension when doing so cannot change any point: the day lies wholly inside one bucket, or wholly
 * before the first bucket (it then only feeds the running amounts of its month); and within the day the plan, its
 * price and included quantity cannot change, nor can the subscription start or end (`boundaries`). Rated as one hour
 * at 00:00Z, such a day gives the same overage and the same unrounded amount as its hours (the allowance is a running
 * sum: the overage of a stretch depends only on the usage before and in it, while the plan stays the same).
 * Everything else is read hour by hour. Days are read from `readFrom` (a UTC midnight) to `end`.
 */
export function planSeriesReads(input: {
  readonly readFrom: Date;
  readonly end: Date;
  readonly buckets: readonly SeriesBucket[];
  /** Instants at which the plan in force changes, the subscription starts or ends, or the rounding month starts. */
  readonly boundaries: readonly Date[];
}): SeriesReadPlan {
  const { buckets } = input;
  const first = buckets[0];
  const last = buckets.at(-1);
  const end = input.end.getTime();
  const hourRanges: SeriesBucket[] = [];
  const totalDays: Date[] = [];
  if (!first || !last) return { hourRanges, totalDays };
  const boundaries = input.boundaries.map((b) => b.getTime());
  let bucketIndex = 0;
  const bucketOf = (t: number) => {
    while (bucketIndex < buckets.length && t >= (buckets[bucketIndex] as SeriesBucket).end.getTime()) bucketIndex++;
    return bucketIndex;
  };
  for (let day = input.readFrom.getTime(); day < end; day += DAY_MS) {
    const dayEnd = day + DAY_MS;
    const cut = boundaries.some((b) => b > day && b < dayEnd);
    const inOneBucket =
      dayEnd <= first.start.getTime() ||
      (day >= first.start.getTime() && dayEnd <= last.end.getTime() && bucketOf(day) === bucketOf(dayEnd - 1));
    if (!cut && inOneBucket) {
      totalDays.push(new Date(day));
      continue;
    }
    const to = Math.min(dayEnd, end);
    const previous = hourRanges.at(-1);
    if (previous && previous.end.getTime() === day)
      hourRanges[hourRanges.length - 1] = { start: previous.start, end: new Date(to) };
    else hourRanges.push({ start: new Date(day), end: new Date(to) });
  }
  return { hourRanges, totalDays };
}

/** A stretch's usage (STRETCHES): rated as one hour at `hour`, the first hour of it with usage. */
export interface Stretch {
  readonly dimension: string;
  readonly hour: string;
  readonly quantity: string;
}

/**
 * STRETCHES (the READ PLAN's argument within a day): hours of one dimension in the same UTC day and the same bucket
 * (or before the first bucket), with no boundary between them (plan change, start, end, rounding month), are rated
 * as one hour at the first of them: same plan, price, included quantity and term (terms start at 00:00 UTC), so the
 * same overage and unrounded amount, in the same point. A daily series in Asia/Tokyo rates 2 stretches per UTC day
 * and dimension instead of 24 hours.
 */
export function mergeStretches(
  hours: readonly { readonly dimension: string; readonly hour: string; readonly quantity: string }[],
  buckets: readonly SeriesBucket[],
  boundaries: readonly Date[],
): Stretch[] {
  const merger = new StretchMerger(buckets, boundaries);
  for (const { dimension, hour, quantity } of hours) merger.addHour(dimension, hour, quantity);
  return merger.stretches();
}

/**
 * Gathers usage into stretches (STRETCHES) as it is read: hour by hour (`addHour`), or a whole day's hourly split at
 * once (`addDay`, what a series reads for most days). Merging as the usage arrives keeps a request from holding an
 * object per hour and dimension (a month of 30 dimensions is ~22,000 hours, and their garbage made the slowest
 * requests slow).
 */
export class StretchMerger {
  /** Instants where a stretch must end, ascending: bucket edges and boundaries. */
  private readonly cuts: number[];
  private readonly byKey = new Map<string, { dimension: string; hour: string; first: number; quantity: QuantitySum }>();
  /** Every dimension repeats the same hours: each hour string is parsed and placed once. */
  private readonly placed = new Map<string, { t: number; stretch: string }>();

  constructor(buckets: readonly SeriesBucket[], boundaries: readonly Date[]) {
    this.cuts = [
      ...new Set([
        ...boundaries.map((b) => b.getTime()),
        ...buckets.flatMap((b) => [b.start.getTime(), b.end.getTime()]),
      ]),
    ].sort((a, b) => a - b);
  }

  /** Adds one hour's quantity (`hour` an ISO hour start such as `2026-11-02T05:00:00.000Z`). */
  addHour(dimension: string, hour: string, quantity: string): void {
    let place = this.placed.get(hour);
    if (!place) {
      const t = Date.parse(hour);
      place = { t, stretch: this.stretchOf(t) };
      this.placed.set(hour, place);
    }
    this.add(dimension, place.stretch, place.t, hour, new QuantitySum(quantity));
  }

  /**
   * Adds the hours before `end` of a UTC day read with its hourly split, for each of `dimensionIds` with a total that
   * day. `hourly[dimension][h]` is the quantity of the day's hour h (0–23, UTC). A dimension whose hours (all 24, those
   * from `end` on included) do not add up to its total was (partly) written before day items carried hours: none of
   * its hours are added, and it is returned, so that the caller reads that day's slots instead.
   */
  addDay(
    day: {
      readonly period: string;
      readonly quantities: Readonly<Record<string, string>>;
      readonly hourly: Readonly<Record<string, readonly (string | undefined)[]>>;
    },
    dimensionIds: readonly string[],
    end: number,
  ): string[] {
    const dayStart = Date.parse(`${day.period}T00:00:00.000Z`);
    // The stretch of each hour of the day, found once for all dimensions (24 searches instead of 24 per dimension).
    const stretchOfHour: (string | undefined)[] = [];
    for (let h = 0; h < 24; h++) {
      const t = dayStart + h * HOUR_MS;
      stretchOfHour.push(t < end ? this.stretchOf(t) : undefined);
    }
    const unsplit: string[] = [];
    for (const dimension of dimensionIds) {
      const total = day.quantities[dimension];
      if (total === undefined) continue;
      const hours = day.hourly[dimension] ?? [];
      const all = new QuantitySum();
      // Runs of consecutive hours in one stretch (hours come in order), kept until the day's hours are known whole.
      const runs: { stretch: string; h: number; quantity: QuantitySum }[] = [];
      for (let h = 0; h < 24; h++) {
        const quantity = hours[h];
        if (quantity === undefined) continue;
        const stretch = stretchOfHour[h];
        if (stretch === undefined) {
          all.add(quantity);
          continue;
        }
        const run = runs.at(-1);
        if (run?.stretch === stretch) run.quantity.add(quantity);
        else runs.push({ stretch, h, quantity: new QuantitySum(quantity) });
      }
      for (const run of runs) all.addSum(run.quantity);
      if (!all.equals(total)) {
        unsplit.push(dimension);
        continue;
      }
      for (const run of runs) {
        const t = dayStart + run.h * HOUR_MS;
        this.add(dimension, run.stretch, t, new Date(t).toISOString(), run.quantity);
      }
    }
    return unsplit;
  }

  /** The stretches gathered so far, each as the hour it is rated at and its quantity. */
  stretches(): Stretch[] {
    return [...this.byKey.values()].map(({ dimension, hour, quantity }) => ({
      dimension,
      hour,
      quantity: quantity.toString(),
    }));
  }

  private add(dimension: string, stretch: string, t: number, hour: string, quantity: QuantitySum): void {
    const key = `${dimension}\u0000${stretch}`;
    const found = this.byKey.get(key);
    if (!found) {
      this.byKey.set(key, { dimension, hour, first: t, quantity });
      return;
    }
    found.quantity.addSum(quantity);
    if (t < found.first) {
      found.first = t;
      found.hour = hour;
    }
  }

  /** The UTC day and the number of cuts at or before `t`: equal for two hours exactly when no cut lies between them. */
  private stretchOf(t: number): string {
    const { cuts } = this;
    let low = 0;
    let high = cuts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cuts[middle] as number) <= t) low = middle + 1;
      else high = middle;
    }
    return `${Math.floor(t / DAY_MS)}\u0000${low}`;
  }
}
