/**
 * What the reporter remembers of each recent term of a meter, so that late usage is rated in its OWN hour's term
 * (rule 5 of README.md): the usage rated in the term, split by plan segment (the run of the term's hours under one
 * history entry). Pure.
 *
 * Why segments and not one total per term: under the plan change rule of allowance.ts the overage of a term depends on
 * where its usage fell (remaining = max(0, newIncluded − usageSoFarInTerm) at each change). With the usage of every
 * segment known, the overage of the term with every hour rated on time is a closed formula (`termOverage`), and the
 * overage a late delta adds is exactly overage(with it) − overage(without it). Summed over every delta in any arrival
 * order, that telescopes to the on-time overage of the term: what the charges engine shows (invoicePreview).
 */
import { hourContext, parseIncluded, planInForceAt, type ResolvedPlanPeriod } from '#shared/domain/allowance.ts';
import { Dec } from '#shared/domain/money.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';

const ZERO = new Dec(0);

/**
 * How far back late usage can reach: the largest `USAGE_MAX_LATENESS_HOURS` ingest accepts (744 h, see
 * functions/usage-ingest/config.ts; a unit test keeps the two in step) plus 48 h for a message that waited in the
 * usage queue or its dead-letter queue before the aggregator applied it. Term records that ended longer ago than this
 * before the last rated hour are dropped: no usage can arrive for them any more.
 */
export const LATE_USAGE_HORIZON_MS = (744 + 48) * HOUR_MS;

/** Usage of one plan segment of a term: the hours from `from` (the later of term start and plan change) on. */
export interface SegmentUsage {
  readonly from: Date;
  readonly usage: Dec;
}

/** The usage rated in one term (included and overage alike), by segment in hour order. */
export interface TermUsage {
  readonly termStart: Date;
  readonly segments: readonly SegmentUsage[];
}

/** The part of the meter this module reads and writes (slots.ts `MeterState`). */
export interface TermRecords {
  /** Recent terms, oldest first; absent on meters written before the records were kept. */
  readonly terms?: readonly TermUsage[];
  /** Terms starting before this have no record (pruned, or older than the records): their usage is not known. */
  readonly termsKnownFrom?: Date;
  readonly tally?: { readonly termStart: Date; readonly usageInTerm: Dec };
}

/**
 * The meter's term records. A meter stored before the records were kept (no `terms`) has only its current term's
 * total: it becomes that term's one segment, and earlier terms are unknown. (Exact unless the plan changed inside that
 * term; such a meter only exists in the first term after the upgrade.)
 */
export function termRecordsOf(meter: TermRecords): { terms: readonly TermUsage[]; knownFrom?: Date } {
  if (meter.terms) return { terms: meter.terms, ...(meter.termsKnownFrom ? { knownFrom: meter.termsKnownFrom } : {}) };
  if (!meter.tally) return { terms: [] };
  const { termStart, usageInTerm } = meter.tally;
  return { terms: [{ termStart, segments: [{ from: termStart, usage: usageInTerm }] }], knownFrom: termStart };
}

/**
 * The start of the segment `hour` belongs to in its term.
 * @throws {ValidationError} when no plan is in force at `hour`.
 */
export function segmentStartOf(history: readonly ResolvedPlanPeriod[], hour: Date, termStart: Date): Date {
  const entry = planInForceAt(history, hour);
  const from = entry ? entry.effectiveFrom.getTime() : hour.getTime();
  return new Date(Math.max(from, termStart.getTime()));
}

/** The records with `usage` added to the segment of `hour` in the term starting `termStart` (created if needed). */
export function withTermUsage(
  terms: readonly TermUsage[],
  termStart: Date,
  segmentFrom: Date,
  usage: Dec,
): TermUsage[] {
  const found = terms.find((term) => term.termStart.getTime() === termStart.getTime());
  const base: TermUsage = found ?? { termStart, segments: [] };
  const segment = base.segments.find((s) => s.from.getTime() === segmentFrom.getTime());
  const segments = segment
    ? base.segments.map((s) => (s === segment ? { from: s.from, usage: s.usage.plus(usage) } : s))
    : [...base.segments, { from: segmentFrom, usage }].sort((a, b) => a.from.getTime() - b.from.getTime());
  const next = { termStart, segments };
  return found
    ? terms.map((term) => (term === found ? next : term))
    : [...terms, next].sort((a, b) => a.termStart.getTime() - b.termStart.getTime());
}

/**
 * Drops the records of terms that ended more than the horizon before `lastHour` (a term ends no later than the next
 * record's start) and says from when terms are known.
 */
export function pruneTerms(
  terms: readonly TermUsage[],
  knownFrom: Date | undefined,
  lastHour: Date,
): { terms: TermUsage[]; knownFrom?: Date } {
  const oldest = lastHour.getTime() - LATE_USAGE_HORIZON_MS;
  let first = 0;
  while (first + 1 < terms.length && (terms[first + 1] as TermUsage).termStart.getTime() <= oldest) first += 1;
  const kept = terms.slice(first);
  const from = first > 0 ? kept[0]?.termStart : knownFrom;
  return { terms: kept, ...(from ? { knownFrom: from } : {}) };
}

/**
 * The overage of a term with every hour rated on time (allowance.ts, plan change rule included), from its usage by
 * segment: in each segment, usage above what is left of that plan's allowance after all earlier usage of the term.
 * @throws {ValidationError} when a segment's dimension is not enabled on its plan, or no plan is in force.
 */
export function termOverage(
  history: readonly ResolvedPlanPeriod[],
  dimension: string,
  segments: readonly SegmentUsage[],
): Dec {
  let before = ZERO;
  let overage = ZERO;
  // A segment recorded from its term's start (a meter stored before the records were kept) may begin before the
  // activation: its usage was rated under the first plan.
  const first = history[0]?.effectiveFrom.getTime() ?? Number.NEGATIVE_INFINITY;
  for (const segment of segments) {
    const hour = new Date(Math.max(segment.from.getTime(), first));
    const included = parseIncluded(hourContext(history, dimension, hour).included);
    if (included !== undefined) {
      const remaining = Dec.max(0, included.minus(before));
      overage = overage.plus(Dec.max(0, segment.usage.minus(remaining)));
    }
    before = before.plus(segment.usage);
  }
  return overage;
}
