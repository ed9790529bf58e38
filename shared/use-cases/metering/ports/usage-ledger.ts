import type { HourEntrySet, SubscriptionAddition } from '#shared/domain/usage/event-dedup.ts';
import type { UsageSlot } from '#shared/domain/usage/usage-message.ts';

/** Per-subscription usage of one UTC day (`YYYY-MM-DD`) or month (`YYYY-MM`), as stored. */
export interface UsageTotals {
  readonly subscriptionId: string;
  readonly period: string;
  /** Exact decimal string per dimension id; dimensions without usage in the period are absent. */
  readonly quantities: Readonly<Record<string, string>>;
  readonly eventCount: number;
}

/**
 * A UTC day's totals with their split into hours, as the aggregator has recorded it since the day items carry hours:
 * `hourly[dimension][h]` is the exact decimal quantity of the day's UTC hour h (0–23), undefined for an hour without
 * usage (an array per dimension rather than an object per hour: a month of 30 dimensions has ~22,000 hours). A day
 * written (wholly or partly) before then has fewer hourly quantities than its total: a reader compares their sum with
 * `quantities[dimension]` and reads that day's slots when they differ.
 */
export interface DailyUsage extends UsageTotals {
  readonly hourly: Readonly<Record<string, readonly (string | undefined)[]>>;
}

/** What `addUsage` wrote: the hours recorded, and whether it stopped at a set that changed since it was read. */
export interface AddUsageResult {
  readonly committedHours: readonly string[];
  /** True when an hour's set was changed by another writer since it was read: that hour (and later ones) were not
   * written; read and plan again. */
  readonly stale: boolean;
}

/** Reads the entry sets of a subscription's hours (the event-id and message entries counted in each hour). */
export interface UsageEntrySets {
  /**
   * The stored sets of these hours (ISO hour starts), one per hour asked (empty for an hour with nothing stored).
   * `consistent: false` (the ingest's duplicate answer) may miss the last second's writes and costs half.
   */
  readEntrySets(
    subscriptionId: string,
    hours: readonly string[],
    options: { readonly consistent: boolean },
  ): Promise<Map<string, HourEntrySet>>;
}

/**
 * The usage ledger: hourly slots per (subscription, dimension), daily and monthly totals per subscription, and per
 * (subscription, hour) the set of entries already counted, so each event is counted exactly once (DESIGN invariant 1;
 * `shared/domain/usage/event-dedup.ts`).
 */
export interface UsageLedger extends UsageEntrySets {
  /**
   * Records one subscription's planned addition: for each hour, atomically, its new entries, its slot additions and
   * their share of the daily and monthly totals, conditional on the hour's set being as read (`chunkCounts`).
   * @throws Error when a write failed for a reason that may pass (throttling, repeated transaction conflicts); the
   *   hours before it may have been recorded (`committedHours` is then unknown: re-read before planning again).
   */
  addUsage(addition: SubscriptionAddition): Promise<AddUsageResult>;

  /** True when a message of format 1 was applied under its marker before event-id sets existed (an upgrade). */
  appliedBeforeEntrySets(marker: string): Promise<boolean>;

  /** The slots of one subscription and dimension whose hour lies in [fromHour, toHour] (both inclusive), by hour. */
  readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<UsageSlot[]>;

  /**
   * The quantities only of the same slots (hour, dimension, quantity): what a graph needs, at about half the read
   * cost of whole slots on large ranges.
   */
  readSlotQuantities(
    subscriptionId: string,
    dimension: string,
    fromHour: Date,
    toHour: Date,
  ): Promise<Pick<UsageSlot, 'dimension' | 'hour' | 'quantity'>[]>;

  /**
   * Daily totals for days `fromDay` … `toDay` (inclusive, `YYYY-MM-DD`, UTC), by day; days without usage absent.
   * With `dimensions`, only those dimensions' quantities are fetched (a day item also holds the hourly split of every
   * dimension, which a reader of totals need not transfer).
   */
  readDailyTotals(
    subscriptionId: string,
    fromDay: string,
    toDay: string,
    dimensions?: readonly string[],
  ): Promise<UsageTotals[]>;

  /** The same days with their hourly split (`DailyUsage`): one item per day, whatever the number of dimensions. */
  readDailyUsage(subscriptionId: string, fromDay: string, toDay: string): Promise<DailyUsage[]>;

  /** Monthly totals for `fromMonth` … `toMonth` (inclusive, `YYYY-MM`, UTC), by month. */
  readMonthlyTotals(subscriptionId: string, fromMonth: string, toMonth: string): Promise<UsageTotals[]>;
}
