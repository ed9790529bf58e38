import type { UsageMessage, UsageSlot } from '#shared/domain/usage/usage-message.ts';

/** Per-subscription usage of one UTC day (`YYYY-MM-DD`) or month (`YYYY-MM`), as stored. */
export interface UsageTotals {
  readonly subscriptionId: string;
  readonly period: string;
  /** Exact decimal string per dimension id; dimensions without usage in the period are absent. */
  readonly quantities: Readonly<Record<string, string>>;
  readonly eventCount: number;
}

/**
 * The usage ledger: hourly slots per (subscription, dimension) plus daily and monthly totals per subscription,
 * each usage message applied exactly once (DESIGN invariant 1).
 */
export interface UsageLedger {
  /**
   * Adds the message's slots to the ledger and to the daily and monthly totals, atomically and at most once per
   * marker: `duplicate` means this marker was applied before and nothing changed.
   * @throws Error when the write failed for a reason that may pass (throttling, a concurrent transaction on the
   *   same items): nothing was written, and the message should be retried.
   */
  applyMessage(message: UsageMessage): Promise<'applied' | 'duplicate'>;

  /** The slots of one subscription and dimension whose hour lies in [fromHour, toHour] (both inclusive), by hour. */
  readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<UsageSlot[]>;

  /** Daily totals for days `fromDay` … `toDay` (inclusive, `YYYY-MM-DD`, UTC), by day; days without usage absent. */
  readDailyTotals(subscriptionId: string, fromDay: string, toDay: string): Promise<UsageTotals[]>;

  /** Monthly totals for `fromMonth` … `toMonth` (inclusive, `YYYY-MM`, UTC), by month. */
  readMonthlyTotals(subscriptionId: string, fromMonth: string, toMonth: string): Promise<UsageTotals[]>;
}
