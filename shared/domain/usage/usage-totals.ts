/**
 * The per-subscription daily and monthly totals of usage, as one queue message adds to them. Quantities only: money
 * is computed from them by the rating engine, never here. Pure.
 */
import { Dec } from '#shared/domain/money.ts';
import type { UsageSlot } from './usage-message.ts';

export type TotalsGranularity = 'day' | 'month';

/** Per-subscription, per-day or per-month addition to the totals, as one message contributes it. */
export interface UsageTotalsDelta {
  readonly subscriptionId: string;
  /** `YYYY-MM-DD` or `YYYY-MM` (UTC). */
  readonly period: string;
  /** Quantity per dimension id, exact. */
  readonly quantities: ReadonlyMap<string, Dec>;
  /**
   * Daily deltas only (empty for months): quantity per dimension id and UTC hour of the day (`00`–`23`), so a day's
   * item also says how its total splits into hours (a local day of another zone is then read from day items alone).
   */
  readonly hourly: ReadonlyMap<string, ReadonlyMap<string, Dec>>;
  readonly eventCount: number;
}

/**
 * What a message adds to the per-subscription daily (`YYYY-MM-DD`) or monthly (`YYYY-MM`) UTC totals, one entry per
 * subscription and period, in first-seen order.
 */
export function totalsDeltasOf(slots: readonly UsageSlot[], granularity: TotalsGranularity): UsageTotalsDelta[] {
  const deltas = new Map<
    string,
    {
      subscriptionId: string;
      period: string;
      quantities: Map<string, Dec>;
      hourly: Map<string, Map<string, Dec>>;
      count: number;
    }
  >();
  for (const slot of slots) {
    const period = periodOfHour(slot.hour, granularity);
    const key = `${slot.subscriptionId}\u0000${period}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = { subscriptionId: slot.subscriptionId, period, quantities: new Map(), hourly: new Map(), count: 0 };
      deltas.set(key, delta);
    }
    delta.quantities.set(slot.dimension, (delta.quantities.get(slot.dimension) ?? new Dec(0)).plus(slot.quantity));
    if (granularity === 'day') {
      const hours = delta.hourly.get(slot.dimension) ?? new Map<string, Dec>();
      const hh = hourOfDay(slot.hour);
      hours.set(hh, (hours.get(hh) ?? new Dec(0)).plus(slot.quantity));
      delta.hourly.set(slot.dimension, hours);
    }
    delta.count += slot.eventCount;
  }
  return [...deltas.values()].map(({ subscriptionId, period, quantities, hourly, count }) => ({
    subscriptionId,
    period,
    quantities,
    hourly,
    eventCount: count,
  }));
}

/** `YYYY-MM-DD` or `YYYY-MM` of an ISO hour (UTC: the hour strings are always `…Z`). */
export function periodOfHour(hour: string, granularity: TotalsGranularity): string {
  return hour.slice(0, granularity === 'day' ? 10 : 7);
}

/** The UTC hour of the day (`00`–`23`) of an ISO hour. */
export function hourOfDay(hour: string): string {
  return hour.slice(11, 13);
}

/** The identity of the totals item a slot adds to: one per subscription and day or month. */
export function totalsKeyOf(slot: UsageSlot, granularity: TotalsGranularity): string {
  return `${slot.subscriptionId}\u0000${periodOfHour(slot.hour, granularity)}`;
}
