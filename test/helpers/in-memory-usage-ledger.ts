import { Dec } from '#shared/domain/money.ts';
import type { UsageMessage, UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { totalsDeltasOf } from '#shared/domain/usage/usage-totals.ts';
import type { UsageLedger, UsageTotals } from '#shared/use-cases/metering/ports/usage-ledger.ts';

/**
 * `UsageLedger` in Maps, with the adapter's exactly-once behaviour: a marker is applied once, and a whole message
 * or nothing of it is recorded. `failNext(error)` makes the next `applyMessage` throw without writing anything,
 * as a throttled or conflicting transaction does.
 */
export class InMemoryUsageLedger implements UsageLedger {
  readonly markers = new Set<string>();
  readonly slots = new Map<string, UsageSlot>();
  readonly totals = new Map<string, UsageTotals>();
  private pendingFailure: unknown;

  failNext(error: unknown): void {
    this.pendingFailure = error;
  }

  async applyMessage(message: UsageMessage): Promise<'applied' | 'duplicate'> {
    if (this.pendingFailure !== undefined) {
      const error = this.pendingFailure;
      this.pendingFailure = undefined;
      throw error;
    }
    if (this.markers.has(message.marker)) return 'duplicate';
    this.markers.add(message.marker);
    for (const slot of message.slots) {
      const key = `${slot.subscriptionId}|${slot.dimension}|${slot.hour}`;
      const existing = this.slots.get(key);
      this.slots.set(key, {
        ...slot,
        quantity: new Dec(existing?.quantity ?? '0').plus(slot.quantity).toString(),
        eventCount: (existing?.eventCount ?? 0) + slot.eventCount,
      });
    }
    for (const granularity of ['day', 'month'] as const) {
      for (const delta of totalsDeltasOf(message.slots, granularity)) {
        const key = `${granularity}|${delta.subscriptionId}|${delta.period}`;
        const existing = this.totals.get(key);
        const quantities = { ...existing?.quantities };
        for (const [dimension, quantity] of delta.quantities) {
          quantities[dimension] = quantity.plus(quantities[dimension] ?? '0').toString();
        }
        this.totals.set(key, {
          subscriptionId: delta.subscriptionId,
          period: delta.period,
          quantities,
          eventCount: (existing?.eventCount ?? 0) + delta.eventCount,
        });
      }
    }
    return 'applied';
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<UsageSlot[]> {
    const from = fromHour.toISOString();
    const to = toHour.toISOString();
    return [...this.slots.values()]
      .filter((s) => s.subscriptionId === subscriptionId && s.dimension === dimension && s.hour >= from && s.hour <= to)
      .sort((a, b) => (a.hour < b.hour ? -1 : 1));
  }

  async readDailyTotals(subscriptionId: string, fromDay: string, toDay: string): Promise<UsageTotals[]> {
    return this.readTotals('day', subscriptionId, fromDay, toDay);
  }

  async readMonthlyTotals(subscriptionId: string, fromMonth: string, toMonth: string): Promise<UsageTotals[]> {
    return this.readTotals('month', subscriptionId, fromMonth, toMonth);
  }

  private readTotals(granularity: 'day' | 'month', subscriptionId: string, from: string, to: string): UsageTotals[] {
    return [...this.totals.entries()]
      .filter(([key]) => key.startsWith(`${granularity}|`))
      .map(([, totals]) => totals)
      .filter((t) => t.subscriptionId === subscriptionId && t.period >= from && t.period <= to)
      .sort((a, b) => (a.period < b.period ? -1 : 1));
  }
}
