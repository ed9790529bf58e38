import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import { isValidTimeZone, monthOf } from '#shared/domain/alerts/calendar.ts';
import { alertTimeZone } from '#shared/domain/alerts/rules.ts';
import { type AllowanceState, planInForceAt, rateUsage } from '#shared/domain/allowance.ts';
import type { Catalog, CurrencyCode } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { chargesForWindows } from '#shared/domain/charges.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import { meteredDimensionsOf, planHistoryOf } from '#shared/domain/plan-history.ts';
import { floorToUtcHour, HOUR_MS, termContaining } from '#shared/domain/terms.ts';
import {
  assertSeriesRange,
  attributeSeries,
  defaultSeriesRange,
  planSeriesReads,
  type SeriesBucket,
  type SeriesGranularity,
  type SeriesPoint,
  StretchMerger,
  seriesBuckets,
} from '#shared/domain/usage-series.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { ratableUsage } from '#shared/use-cases/billing/compute-subscription-charges.ts';
import { usageCurrency } from '#shared/use-cases/billing/get-subscription-usage.ts';
import { DAY_MS, dayChunks, dayKey, utcDayStart } from '#shared/use-cases/metering/day-reads.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface GetUsageSeriesDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly partners: Pick<PartnerStore, 'getCreditLink'>;
  readonly ledger: Pick<UsageLedger, 'readSlotQuantities' | 'readDailyTotals' | 'readDailyUsage'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
}

export interface UsageSeriesInput {
  readonly subscriptionId: string;
  readonly granularity: SeriesGranularity;
  /** Default: `defaultSeriesRange` (usage-series.ts). */
  readonly from?: Date;
  readonly to?: Date;
  /** Only this dimension (default: every metered dimension of the subscription's plans). */
  readonly dimension?: string;
  /** Default: the budget's currency, else the credit levels', else the first the plans are priced in. */
  readonly currency?: CurrencyCode;
  /** Default: the budget's time zone, else UTC. */
  readonly timeZone?: string;
}

export interface UsageSeriesPointView {
  readonly start: string;
  readonly quantity: string;
  readonly amount: string;
}

export interface UsageSeries {
  readonly subscriptionId: string;
  readonly granularity: SeriesGranularity;
  readonly currency: CurrencyCode;
  readonly timeZone: string;
  readonly asOf: string;
  /** The first point's start and the last point's end (whole buckets). */
  readonly from: string;
  readonly to: string;
  readonly dimensions: readonly {
    readonly dimensionId: string;
    readonly displayName: string;
    readonly unitOfMeasure: string;
    readonly points: readonly UsageSeriesPointView[];
  }[];
  /** Flat fees falling due in a point (only points with one). */
  readonly flatFees: readonly { readonly start: string; readonly amount: string }[];
}

/**
 * The usage series of a subscription: per metered dimension, one point per hour / local day / local month with its
 * quantity and the usage charge attributable to it (usage-series.ts ALLOCATION RULE: a calendar month's points add up
 * to that month's dimension amount in `getSubscriptionUsage`), and the flat fees falling due in each point.
 *
 * DynamoDB reads: the subscription, its budget and credit link (together), then in parallel the daily items
 * from the start of the first point's calendar month (so the month's rounding is replayed exactly) to the last point,
 * and the daily totals from the start of the term to that month (the allowance already used before it): days whose
 * hours do not matter (usage-series.ts READ PLAN) and the term's earlier days with their totals of the dimensions
 * asked only, the other days with their hourly split (about 32 items for a month, in any time zone), each run of days
 * in up to 4 reads side by side, merged into stretches as they arrive. A day stored
 * before the daily items carried hours (its hours do not add up to its total) is then read from its hourly slots,
 * one query per such day and dimension.
 *
 * @throws NotFoundError for an unknown subscription. @throws ForbiddenError for another party's subscription.
 * @throws ValidationError for an unknown time zone or dimension, a currency the plans are not priced in, or a range
 *   that is inverted or too long (usage-series.ts).
 */
export async function getUsageSeries(
  deps: GetUsageSeriesDeps,
  caller: Principal,
  input: UsageSeriesInput,
): Promise<UsageSeries> {
  if (input.timeZone !== undefined && !isValidTimeZone(input.timeZone)) {
    throw new ValidationError(`"${input.timeZone}" is not an IANA time zone such as "Asia/Tokyo"`, 'timeZone');
  }
  // The budget and credit link are read beside the subscription (one round trip, not two), and used only once the
  // caller's access to it is checked.
  const [subscription, budget, link] = await Promise.all([
    deps.subscriptions.get(input.subscriptionId),
    deps.budgets.getBudget(input.subscriptionId),
    deps.partners.getCreditLink(input.subscriptionId),
  ]);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const timeZone = input.timeZone ?? alertTimeZone(budget);
  const currency = usageCurrency(deps.catalog, subscription, input.currency, budget, link);
  const now = deps.clock.now();
  const range = defaultSeriesRange(input.granularity, now, timeZone);
  const from = input.from ?? (input.to ? new Date(Math.min(range.from.getTime(), input.to.getTime() - 1)) : range.from);
  const to = input.to ?? range.to;
  assertSeriesRange(input.granularity, from, to, timeZone);
  const buckets = seriesBuckets(input.granularity, from, to, timeZone);

  const planHistory = planHistoryOf(subscription, deps.catalog);
  const allDimensions = planHistory
    ? meteredDimensionsOf(planHistory.history)
    : findPlan(deps.catalog, subscription.offerId, subscription.planId).meteredDimensions.map((d) => d.dimensionId);
  if (input.dimension !== undefined && !allDimensions.includes(input.dimension)) {
    throw new ValidationError(
      `dimension "${input.dimension}" is not metered on this subscription's plans; use one of ${allDimensions.join(', ') || '(none)'}`,
      'dimension',
    );
  }
  const dimensionIds = input.dimension === undefined ? allDimensions : [input.dimension];
  const asOf = new Date(now.getTime() + 1);
  const customer = { subscriptionId: subscription.id, tenantId: subscription.beneficiary.tenantId };

  let points: Map<string, SeriesPoint[]>;
  let flatFees: { start: string; amount: string }[] = [];
  const firstEntry = planHistory?.history[0];
  const firstBucket = buckets[0] as SeriesBucket;
  const lastBucket = buckets.at(-1) as SeriesBucket;
  const startsAt = firstEntry ? floorToUtcHour(firstEntry.from) : undefined;
  const end = Math.min(lastBucket.end.getTime(), asOf.getTime(), planHistory?.endsAt?.getTime() ?? Infinity);
  if (!planHistory || !startsAt || end <= startsAt.getTime()) {
    points = attributeSeries({
      rated: [],
      resolved: planHistory?.resolved ?? [],
      customer,
      currency,
      timeZone,
      buckets,
      dimensionIds,
    });
  } else {
    const resolved = planHistory.resolved;
    // The rounding of a month is replayed from its start; reads start on the UTC day holding it (or the activation).
    const monthStart = monthOf(firstBucket.start, timeZone).start.getTime();
    const readFrom = new Date(utcDayStart(Math.max(monthStart, startsAt.getTime())));
    const entry = planInForceAt(resolved, new Date(Math.max(readFrom.getTime(), startsAt.getTime()))) ?? resolved[0];
    const termStart = entry ? termContaining(entry.anchor, entry.billingTerm.termUnit, readFrom).start : readFrom;
    const boundaries = [
      new Date(monthStart),
      startsAt,
      ...resolved.map((r) => r.effectiveFrom),
      ...(planHistory.endsAt ? [planHistory.endsAt] : []),
    ];
    const plan = planSeriesReads({ readFrom, end: new Date(end), buckets, boundaries });
    // Usage is gathered into stretches as it is read (usage-series.ts STRETCHES): far fewer hours to rate in any zone.
    const merger = new StretchMerger(buckets, boundaries);
    const fallbacks: { dimension: string; from: Date; to: Date }[] = [];
    // The term's days before `readFrom` (the allowance already used) and the days read whole need only their totals of
    // these dimensions; the other days are read with their hourly split, so a local day of any zone needs no slot.
    // Each run of days is read in a few reads side by side (`dayChunks`): the days of one arrive and are merged while
    // DynamoDB answers the others, and no request holds a whole month of hours at once.
    const [before] = await Promise.all([
      termStart.getTime() < readFrom.getTime()
        ? Promise.all(
            dayChunks([[termStart, new Date(readFrom.getTime() - DAY_MS)]]).map(([first, last]) =>
              deps.ledger.readDailyTotals(subscription.id, dayKey(first), dayKey(last), dimensionIds),
            ),
          ).then((chunks) => chunks.flat())
        : Promise.resolve([]),
      ...dayChunks(dayRuns(plan.totalDays)).map(async ([first, last]) => {
        const days = await deps.ledger.readDailyTotals(subscription.id, dayKey(first), dayKey(last), dimensionIds);
        // A day read whole is rated as one hour at 00:00Z (usage-series.ts READ PLAN).
        for (const day of days) {
          for (const dimension of dimensionIds) {
            const quantity = day.quantities[dimension];
            if (quantity !== undefined) merger.addHour(dimension, `${day.period}T00:00:00.000Z`, quantity);
          }
        }
      }),
      ...dayChunks(plan.hourRanges.map((r) => [r.start, new Date(r.end.getTime() - 1)])).map(async ([first, last]) => {
        const days = await deps.ledger.readDailyUsage(subscription.id, dayKey(first), dayKey(last));
        for (const day of days) {
          for (const dimension of merger.addDay(day, dimensionIds, end)) {
            // Written (partly) before day items carried hours: that day's slots still say how it splits.
            // Its hours up to the last one begun before `end` (which may fall inside an hour: `asOf`).
            const dayStart = Date.parse(`${day.period}T00:00:00.000Z`);
            const last = floorToUtcHour(new Date(Math.min(dayStart + DAY_MS, end) - 1));
            fallbacks.push({ dimension, from: new Date(dayStart), to: last });
          }
        }
      }),
    ]);
    // The allowance used earlier in the term, from the daily totals (terms start at 00:00 UTC, so days tile them).
    const state: Record<string, AllowanceState[string]> = {};
    for (const day of before) {
      for (const [dimension, quantity] of Object.entries(day.quantities)) {
        if (!dimensionIds.includes(dimension)) continue;
        state[dimension] = {
          termStart,
          usageInTerm: (state[dimension]?.usageInTerm ?? new Dec(0)).plus(quantity),
          lastHour: new Date(readFrom.getTime() - HOUR_MS),
        };
      }
    }
    const slots = await Promise.all(
      fallbacks.map((f) => deps.ledger.readSlotQuantities(subscription.id, f.dimension, f.from, f.to)),
    );
    for (const slot of slots.flat()) merger.addHour(slot.dimension, slot.hour, slot.quantity);
    const usage = ratableUsage(merger.stretches(), resolved, planHistory.endsAt);
    const rated = rateUsage(resolved, usage, state).hours;
    points = attributeSeries({ rated, resolved, customer, currency, timeZone, buckets, dimensionIds });
    flatFees = flatFeesOf(planHistory.history, customer, currency, buckets, startsAt.getTime(), end);
  }

  const offer = deps.catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  return {
    subscriptionId: subscription.id,
    granularity: input.granularity,
    currency,
    timeZone,
    asOf: now.toISOString(),
    from: firstBucket.start.toISOString(),
    to: lastBucket.end.toISOString(),
    dimensions: dimensionIds.map((dimensionId) => {
      const known = offer?.dimensions.find((candidate) => candidate.id === dimensionId);
      return {
        dimensionId,
        displayName: known?.displayName ?? dimensionId,
        unitOfMeasure: known?.unitOfMeasure ?? '',
        points: (points.get(dimensionId) ?? []).map((point) => ({
          start: point.start.toISOString(),
          quantity: point.quantity.toFixed(),
          amount: point.amount.toDecimalString(),
        })),
      };
    }),
    flatFees,
  };
}

/** The flat fees due in each bucket while the subscription existed (charges.ts, the same lines the usage view sums). */
function flatFeesOf(
  history: Parameters<typeof chargesForWindows>[0]['history'],
  customer: Parameters<typeof chargesForWindows>[0]['customer'],
  currency: CurrencyCode,
  buckets: readonly SeriesBucket[],
  startsAt: number,
  end: number,
): { start: string; amount: string }[] {
  const windows = buckets
    .map((bucket) => ({
      bucketStart: bucket.start,
      start: bucket.start,
      end: new Date(Math.min(bucket.end.getTime(), end)),
    }))
    .filter((window) => window.end.getTime() > startsAt && window.end.getTime() > window.start.getTime());
  if (windows.length === 0) return [];
  const charges = chargesForWindows({ customer, currency, history, usage: [] }, windows);
  const fees: { start: string; amount: string }[] = [];
  windows.forEach((window, index) => {
    const lines = charges[index]?.lines.filter((line) => line.kind === 'flatFee') ?? [];
    const amount = Money.sum(
      lines.map((line) => line.amount),
      currency,
    );
    if (lines.length > 0) fees.push({ start: window.bucketStart.toISOString(), amount: amount.toDecimalString() });
  });
  return fees;
}

/** The days as runs of consecutive days, [first, last] each. */
function dayRuns(days: readonly Date[]): [Date, Date][] {
  const runs: [Date, Date][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    if (run && day.getTime() - run[1].getTime() === DAY_MS) run[1] = day;
    else runs.push([day, day]);
  }
  return runs;
}
