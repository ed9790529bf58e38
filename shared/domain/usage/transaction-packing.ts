/**
 * The packing of slots into queue messages that can each be applied in ONE DynamoDB transaction: the marker, every
 * slot, and one daily and one monthly total per subscription and period. Pure and deterministic.
 */
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import type { SlotWithEventIds } from './slot-aggregation.ts';
import type { UsageSlot } from './usage-message.ts';
import { totalsKeyOf } from './usage-totals.ts';

/**
 * Items one usage message may need in its transaction (marker + slots + daily and monthly totals). Ten below
 * DynamoDB's 100 so the reporter of a later issue can add bookkeeping to the same transaction without re-packing.
 */
export const USAGE_MESSAGE_ITEM_BUDGET = 90;

/** The slots of one future queue message, fitting one transaction. */
export interface SlotGroup {
  readonly slots: readonly UsageSlot[];
  readonly eventIds: readonly string[];
}

/**
 * Packs slots into groups that each fit one transaction of at most `budget` items, greedily in the given order
 * (deterministic: the same slots give the same groups). Every slot lands in exactly one group.
 * @throws RangeError when the budget cannot hold even one slot (marker + slot + day + month = 4 items).
 */
export function packSlots(slots: readonly SlotWithEventIds[], budget = USAGE_MESSAGE_ITEM_BUDGET): SlotGroup[] {
  if (budget < 4 || budget > MAX_TRANSACTION_ITEMS) {
    throw new RangeError(`item budget ${budget} must be between 4 and ${MAX_TRANSACTION_ITEMS}`);
  }
  const groups: SlotGroup[] = [];
  let current: SlotWithEventIds[] = [];
  let days = new Set<string>();
  let months = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    groups.push({ slots: current.map(withoutEventIds), eventIds: current.flatMap((slot) => slot.eventIds) });
    current = [];
    days = new Set();
    months = new Set();
  };
  for (const slot of slots) {
    const day = totalsKeyOf(slot, 'day');
    const month = totalsKeyOf(slot, 'month');
    const cost = 1 + (days.has(day) ? 0 : 1) + (months.has(month) ? 0 : 1);
    // 1 for the marker item, plus what the group holds already.
    if (1 + current.length + days.size + months.size + cost > budget) close();
    current.push(slot);
    days.add(day);
    months.add(month);
  }
  close();
  return groups;
}

/** Items the transaction of these slots writes: the marker, each slot, and one total per subscription and day/month. */
export function transactionItemCount(slots: readonly UsageSlot[]): number {
  const days = new Set(slots.map((slot) => totalsKeyOf(slot, 'day')));
  const months = new Set(slots.map((slot) => totalsKeyOf(slot, 'month')));
  return 1 + slots.length + days.size + months.size;
}

function withoutEventIds({ eventIds: _ids, ...slot }: SlotWithEventIds): UsageSlot {
  return slot;
}
