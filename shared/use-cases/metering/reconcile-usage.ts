import { ValidationError } from '#shared/domain/errors.ts';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';
import { Dec } from '#shared/domain/money.ts';
import type { ReportingLedger } from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import type { Marketplace, ReportedUsage } from '#shared/use-cases/ports/marketplace.ts';

export interface ReconcileUsageDeps {
  readonly ledger: Pick<ReportingLedger, 'readReportedTotals'>;
  readonly marketplace: Pick<Marketplace, 'getUsageEvents'>;
}

export interface ReconcileUsageInput {
  /** First UTC day, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last UTC day (inclusive), `YYYY-MM-DD`. */
  readonly to: string;
}

/** One (day, subscription, dimension) where our ledger and Microsoft disagree. */
export interface UsageDifference {
  readonly day: string;
  readonly subscriptionId: string;
  readonly dimension: string;
  readonly kind: 'missingAtMicrosoft' | 'missingInLedger' | 'quantityMismatch';
  /** What our ledger says Microsoft accepted (exact). */
  readonly ledgerQuantity: string;
  /** What Microsoft's retrieval API reports as submitted. */
  readonly marketplaceQuantity: string;
  /** marketplace − ledger. */
  readonly difference: string;
}

export interface ReconcileUsageResult {
  readonly from: string;
  readonly to: string;
  /** (day, subscription, dimension) keys compared. */
  readonly compared: number;
  readonly matched: number;
  readonly differences: readonly UsageDifference[];
  /** Rows Microsoft has not processed yet (`reconStatus: Submitted`); they are compared all the same. */
  readonly notYetProcessedAtMicrosoft: number;
}

/** Longest range one reconciliation covers (the retrieval API answers per day; keep a call's answer small). */
export const MAX_RECONCILE_DAYS = 31;
/**
 * Microsoft keeps quantities as doubles and sums them per day; a slot quantity has at most 6 decimals
 * (`MAX_QUANTITY_DECIMALS`), so a difference below 1e-6 per event is floating-point noise, not a billing difference.
 */
const TOLERANCE_PER_EVENT = new Dec('0.000001');
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Compares what our ledger recorded as accepted by Microsoft (per UTC day, subscription and dimension, from the
 * reporter's answers) with Microsoft's retrieval API (reference §4.2, rows aggregated per day in the doc samples)
 * for a range of days, and lists every difference. Read-only: it changes nothing on either side.
 * Steps: validate the range; read our per-day totals; call Get usage events once for the range; aggregate both per
 * (day, resource, dimension) (Microsoft's rows may be split by plan); compare with a float tolerance.
 * @throws ValidationError for days that are not `YYYY-MM-DD`, `from` after `to`, or a range over 31 days.
 * @throws MarketplaceError (and subclasses) when the retrieval API fails.
 */
export async function reconcileUsage(
  deps: ReconcileUsageDeps,
  input: ReconcileUsageInput,
): Promise<ReconcileUsageResult> {
  for (const [field, value] of Object.entries({ from: input.from, to: input.to })) {
    if (!DAY_PATTERN.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new ValidationError(`${field} must be a UTC day as YYYY-MM-DD, got "${value}"`, field);
    }
  }
  const days = (Date.parse(`${input.to}T00:00:00Z`) - Date.parse(`${input.from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days < 1) throw new ValidationError(`from ${input.from} is after to ${input.to}`, 'from');
  if (days > MAX_RECONCILE_DAYS) {
    throw new ValidationError(`reconcile at most ${MAX_RECONCILE_DAYS} days at a time, got ${days}`, 'to');
  }

  const [ours, theirs] = await Promise.all([
    deps.ledger.readReportedTotals(input.from, input.to),
    deps.marketplace.getUsageEvents({ usageStartDate: input.from, usageEndDate: input.to }),
  ]);
  const rows = new Map<
    string,
    { day: string; subscriptionId: string; dimension: string; ours: Dec; theirs: Dec; count: number }
  >();
  const rowOf = (day: string, subscriptionId: string, dimension: string) => {
    const key = `${day}|${subscriptionId.toLowerCase()}|${dimension}`;
    let row = rows.get(key);
    if (!row) {
      row = { day, subscriptionId, dimension, ours: new Dec(0), theirs: new Dec(0), count: 0 };
      rows.set(key, row);
    }
    return row;
  };
  for (const total of ours) {
    const row = rowOf(total.day, total.subscriptionId, total.dimension);
    row.ours = row.ours.plus(total.quantity);
    row.count = Math.max(row.count, total.eventCount);
  }
  let notYetProcessed = 0;
  for (const reported of theirs) {
    const day = dayOf(reported);
    if (!day || day < input.from || day > input.to || !reported.usageResourceId || !reported.dimension) continue;
    if (reported.reconStatus === 'Submitted') notYetProcessed += 1;
    const row = rowOf(day, reported.usageResourceId, reported.dimension);
    row.theirs = row.theirs.plus(new Dec(String(reported.submittedQuantity ?? 0)));
    row.count = Math.max(row.count, reported.submittedCount ?? 0);
  }

  const differences: UsageDifference[] = [];
  for (const row of [...rows.values()].sort(
    (a, b) => compare(a.day, b.day) || compare(a.subscriptionId, b.subscriptionId) || compare(a.dimension, b.dimension),
  )) {
    const difference = row.theirs.minus(row.ours);
    if (difference.abs().lessThanOrEqualTo(TOLERANCE_PER_EVENT.times(Math.max(1, row.count)))) continue;
    differences.push({
      day: row.day,
      subscriptionId: row.subscriptionId,
      dimension: row.dimension,
      kind: row.theirs.isZero() ? 'missingAtMicrosoft' : row.ours.isZero() ? 'missingInLedger' : 'quantityMismatch',
      ledgerQuantity: row.ours.toString(),
      marketplaceQuantity: row.theirs.toString(),
      difference: difference.toString(),
    });
  }
  return {
    from: input.from,
    to: input.to,
    compared: rows.size,
    matched: rows.size - differences.length,
    differences,
    notYetProcessedAtMicrosoft: notYetProcessed,
  };
}

/** The UTC day of a retrieval row (`usageDate` is an instant at 00:00Z in the samples; a bare date is accepted). */
function dayOf(row: ReportedUsage): string | undefined {
  const text = row.usageDate?.trim();
  if (!text) return undefined;
  if (DAY_PATTERN.test(text)) return text;
  return parseMarketplaceInstant(text)?.toISOString().slice(0, 10);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
