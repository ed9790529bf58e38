/**
 * Aggregation of accepted events into hourly slots: the exact sum per (subscription, dimension, UTC hour), which is
 * what Microsoft gets one usage event for. Pure.
 */
import type { Dec } from '#shared/domain/money.ts';
import type { AcceptedUsageEvent } from './usage-event.ts';
import type { UsageSlot } from './usage-message.ts';

/** A slot and the client ids of the events summed in it (the ids only feed the idempotency marker). */
export interface SlotWithEventIds extends UsageSlot {
  readonly eventIds: readonly string[];
}

/**
 * Sums accepted events per (subscription, dimension, UTC hour), exactly, in a deterministic order: subscription,
 * then hour, then dimension (plain code-unit comparison, never locale-dependent), so slots of one day sit together
 * and share their daily-total item when packed.
 */
export function aggregateIntoSlots(events: readonly AcceptedUsageEvent[]): SlotWithEventIds[] {
  const sums = new Map<string, { event: AcceptedUsageEvent; quantity: Dec; count: number; ids: string[] }>();
  for (const event of events) {
    const key = slotKey(event);
    const sum = sums.get(key);
    if (sum) {
      sum.quantity = sum.quantity.plus(event.quantity);
      sum.count += 1;
      if (event.id !== undefined) sum.ids.push(event.id);
    } else {
      sums.set(key, { event, quantity: event.quantity, count: 1, ids: event.id === undefined ? [] : [event.id] });
    }
  }
  return [...sums.values()]
    .map(({ event, quantity, count, ids }) => ({
      subscriptionId: event.subscriptionId,
      offerId: event.offerId,
      dimension: event.dimension,
      hour: event.hour,
      quantity: quantity.toString(),
      eventCount: count,
      eventIds: ids,
    }))
    .sort(compareSlots);
}

/** The identity of a slot: one per (subscription, dimension, UTC hour). */
export function slotKey(slot: Pick<UsageSlot, 'subscriptionId' | 'dimension' | 'hour'>): string {
  return `${slot.subscriptionId}\u0000${slot.dimension}\u0000${slot.hour}`;
}

function compareSlots(a: UsageSlot, b: UsageSlot): number {
  return (
    compareText(a.subscriptionId, b.subscriptionId) ||
    compareText(a.hour, b.hour) ||
    compareText(a.dimension, b.dimension)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
