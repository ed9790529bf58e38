/**
 * The reporter's bookkeeping around its run (report-usage.ts): the write that records a slot decision, the grouping of
 * the unreported index by meter, the matching of a batch answer to its events, and bounded concurrency. Pure helpers,
 * kept apart so the run itself reads as its phases.
 */

import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';
import { Dec } from '#shared/domain/money.ts';
import type { MeteringEvent } from '#shared/domain/reporting/metering-event.ts';
import type { SlotPlan } from '#shared/domain/reporting/slot-planning.ts';
import type { ReportingSlot, SlotSubmission } from '#shared/domain/reporting/slots.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import type { SlotAccounting, SlotKey, UnreportedEntry } from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import type { UsageEventResult } from '#shared/use-cases/ports/marketplace.ts';

/** An event written ahead and waiting to be sent in a batch. */
export interface PendingEvent {
  readonly key: SlotKey;
  readonly offerId: string;
  readonly submission: SlotSubmission;
  readonly event: MeteringEvent;
}

/** One meter (subscription, dimension) of the unreported index, with its oldest slot hour. */
export interface Group {
  readonly subscriptionId: string;
  readonly dimension: string;
  minSlotHour?: string;
}

/** The write of a slot plan (undefined: nothing to write). */
export function accountingOf(plan: SlotPlan, slot: ReportingSlot): SlotAccounting | undefined {
  const base = {
    slot: { subscriptionId: slot.subscriptionId, dimension: slot.dimension, hour: slot.hour, offerId: slot.offerId },
    expected: { quantity: slot.quantity.toString(), reportVersion: slot.reportVersion },
    accountedQuantity: slot.quantity.toString(),
  };
  switch (plan.kind) {
    case 'none':
    case 'blocked':
      return undefined;
    case 'clearIndex':
      return { ...base, index: 'clear' };
    case 'late':
      return { ...base, meter: plan.meter, addLate: plan.delta.toString(), index: plan.clearIndex ? 'clear' : 'keep' };
    case 'unreportable':
      return { ...base, addUnreportable: plan.delta.toString(), submission: plan.submission, index: 'clear' };
    case 'rated':
      return {
        ...base,
        meter: plan.meter,
        submission: plan.submission,
        // A pending slot must be in the index (a slot created for carry is not yet) so an unanswered event is found
        // and resent; anything else is final and leaves it in the same write.
        index: plan.submission.state === 'pending' ? 'set' : 'clear',
      };
  }
}

export function blankSlot(key: SlotKey, offerId: string): ReportingSlot {
  const zero = new Dec(0);
  return {
    ...key,
    offerId,
    quantity: zero,
    accountedQuantity: zero,
    lateQuantity: zero,
    unreportableQuantity: zero,
    indexed: false,
    reportVersion: 0,
  };
}

export function groupEntries(entries: readonly UnreportedEntry[]): Group[] {
  const groups = new Map<string, Group>();
  for (const entry of entries) {
    const id = `${entry.subscriptionId}\u0000${entry.dimension}`;
    let group = groups.get(id);
    if (!group) {
      group = { subscriptionId: entry.subscriptionId, dimension: entry.dimension };
      groups.set(id, group);
    }
    if (entry.kind === 'slot' && (!group.minSlotHour || entry.hour < group.minSlotHour)) group.minSlotHour = entry.hour;
  }
  return [...groups.values()];
}

/**
 * Each event's result. Matched on resource, dimension and hour (the batch answer echoes them) and, where an answer
 * lacks them, on position: Microsoft returns one result per event, in order.
 */
export function matchResults(batch: readonly PendingEvent[], results: readonly UsageEventResult[]) {
  const keyOf = (resourceId: string | undefined, dimension: string | undefined, start: string | undefined) => {
    const time = start ? parseMarketplaceInstant(start) : undefined;
    return `${(resourceId ?? '').toLowerCase()}|${dimension ?? ''}|${time === undefined ? '' : Math.floor(time.getTime() / HOUR_MS)}`;
  };
  const byKey = new Map<string, UsageEventResult>();
  for (const result of results)
    byKey.set(keyOf(result.resourceId, result.dimension, result.effectiveStartTime), result);
  return batch.map(
    (pending, index) =>
      byKey.get(keyOf(pending.event.resourceId, pending.event.dimension, pending.event.effectiveStartTime)) ??
      (results.length === batch.length ? results[index] : undefined),
  );
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
