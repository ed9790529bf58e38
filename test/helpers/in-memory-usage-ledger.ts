import { Dec } from '#shared/domain/money.ts';
import type { HourEntrySet, SubscriptionAddition } from '#shared/domain/usage/event-dedup.ts';
import type { UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { totalsDeltasOf } from '#shared/domain/usage/usage-totals.ts';
import type {
  AddUsageResult,
  DailyUsage,
  UsageLedger,
  UsageTotals,
} from '#shared/use-cases/metering/ports/usage-ledger.ts';

/**
 * `UsageLedger` in Maps, with the adapter's exactly-once behaviour: each hour's entries are recorded with its slot
 * additions or not at all, conditional on the set being as read. `failNext(error)` makes the next `addUsage` throw
 * without writing anything, as a throttled or conflicting transaction does. Apply messages through
 * `applyUsageMessage(s)`, as the aggregator does.
 */
export class InMemoryUsageLedger implements UsageLedger {
  /** Counted entries per `<subscription>|<hour>`. */
  readonly entries = new Map<string, Set<string>>();
  /** Markers of format-1 messages applied before entry sets existed. */
  readonly legacyMarkers = new Set<string>();
  readonly slots = new Map<string, UsageSlot>();
  readonly totals = new Map<string, UsageTotals>();
  /** Hourly split of the daily totals per `<subscription>|<day>`: dimension → ISO hour → quantity. */
  readonly dayHours = new Map<string, Record<string, Record<string, string>>>();
  private pendingFailure: unknown;

  failNext(error: unknown): void {
    this.pendingFailure = error;
  }

  /**
   * Forgets an hour's share of its day's hourly split, as for usage stored before the daily items carried hours
   * (the day's total and the slot keep it): readers must then fall back to the slots.
   */
  forgetHourlySplit(subscriptionId: string, hour: string): void {
    const hourly = this.dayHours.get(`${subscriptionId}|${hour.slice(0, 10)}`) ?? {};
    for (const byHour of Object.values(hourly)) delete byHour[hour];
  }

  async readEntrySets(subscriptionId: string, hours: readonly string[]): Promise<Map<string, HourEntrySet>> {
    return new Map(
      hours.map((hour) => {
        const seen = new Set(this.entries.get(`${subscriptionId}|${hour}`) ?? []);
        return [hour, { hour, seen, chunkCounts: seen.size === 0 ? [] : [seen.size] }];
      }),
    );
  }

  async addUsage(addition: SubscriptionAddition): Promise<AddUsageResult> {
    if (this.pendingFailure !== undefined) {
      const error = this.pendingFailure;
      this.pendingFailure = undefined;
      throw error;
    }
    const committedHours: string[] = [];
    for (const hour of addition.hours) {
      const key = `${addition.subscriptionId}|${hour.hour}`;
      const stored = this.entries.get(key) ?? new Set<string>();
      if (stored.size !== (hour.chunkCounts[0] ?? 0)) return { committedHours, stale: true };
      for (const entry of hour.newEntries) stored.add(entry);
      this.entries.set(key, stored);
      this.add(hour.slots);
      committedHours.push(hour.hour);
    }
    return { committedHours, stale: false };
  }

  async appliedBeforeEntrySets(marker: string): Promise<boolean> {
    return this.legacyMarkers.has(marker);
  }

  private add(slots: readonly UsageSlot[]): void {
    for (const slot of slots) {
      const key = `${slot.subscriptionId}|${slot.dimension}|${slot.hour}`;
      const existing = this.slots.get(key);
      this.slots.set(key, {
        ...slot,
        quantity: new Dec(existing?.quantity ?? '0').plus(slot.quantity).toString(),
        eventCount: (existing?.eventCount ?? 0) + slot.eventCount,
      });
    }
    for (const granularity of ['day', 'month'] as const) {
      for (const delta of totalsDeltasOf(slots, granularity)) {
        const key = `${granularity}|${delta.subscriptionId}|${delta.period}`;
        const existing = this.totals.get(key);
        const quantities = { ...existing?.quantities };
        for (const [dimension, quantity] of delta.quantities) {
          quantities[dimension] = quantity.plus(quantities[dimension] ?? '0').toString();
        }
        if (granularity === 'day') {
          const dayKey = `${delta.subscriptionId}|${delta.period}`;
          const hourly = this.dayHours.get(dayKey) ?? {};
          for (const [dimension, hours] of delta.hourly) {
            const byHour = hourly[dimension] ?? {};
            hourly[dimension] = byHour;
            for (const [hh, quantity] of hours) {
              const hour = `${delta.period}T${hh}:00:00.000Z`;
              byHour[hour] = quantity.plus(byHour[hour] ?? '0').toString();
            }
          }
          this.dayHours.set(dayKey, hourly);
        }
        this.totals.set(key, {
          subscriptionId: delta.subscriptionId,
          period: delta.period,
          quantities,
          eventCount: (existing?.eventCount ?? 0) + delta.eventCount,
        });
      }
    }
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<UsageSlot[]> {
    const from = fromHour.toISOString();
    const to = toHour.toISOString();
    return [...this.slots.values()]
      .filter((s) => s.subscriptionId === subscriptionId && s.dimension === dimension && s.hour >= from && s.hour <= to)
      .sort((a, b) => (a.hour < b.hour ? -1 : 1));
  }

  async readSlotQuantities(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date) {
    return (await this.readSlots(subscriptionId, dimension, fromHour, toHour)).map(
      ({ dimension: d, hour, quantity }) => ({
        dimension: d,
        hour,
        quantity,
      }),
    );
  }

  async readDailyTotals(
    subscriptionId: string,
    fromDay: string,
    toDay: string,
    dimensions?: readonly string[],
  ): Promise<UsageTotals[]> {
    const days = this.readTotals('day', subscriptionId, fromDay, toDay);
    if (dimensions === undefined) return days;
    return days.map((day) => ({
      ...day,
      quantities: Object.fromEntries(Object.entries(day.quantities).filter(([d]) => dimensions.includes(d))),
    }));
  }

  async readDailyUsage(subscriptionId: string, fromDay: string, toDay: string): Promise<DailyUsage[]> {
    return this.readTotals('day', subscriptionId, fromDay, toDay).map((totals) => {
      const hourly = this.dayHours.get(`${subscriptionId}|${totals.period}`) ?? {};
      // As the port gives it: per dimension the 24 UTC hours of the day, by index.
      const byIndex = (hours: Record<string, string>) =>
        Array.from({ length: 24 }, (_, h) => hours[`${totals.period}T${String(h).padStart(2, '0')}:00:00.000Z`]);
      return {
        ...totals,
        hourly: Object.fromEntries(Object.entries(hourly).map(([d, hours]) => [d, byIndex(hours)])),
      };
    });
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
