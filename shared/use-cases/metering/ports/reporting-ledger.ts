import type { MeterState, ReportingSlot, SlotSubmission } from '#shared/domain/reporting/slots.ts';

/** Identifies one hourly slot. */
export interface SlotKey {
  readonly subscriptionId: string;
  readonly dimension: string;
  /** Start of the UTC hour, ISO with milliseconds. */
  readonly hour: string;
}

/** An entry of the "unreported" index: a slot with unreported usage, or a meter holding carry (its `carrySince`). */
export interface UnreportedEntry {
  readonly kind: 'slot' | 'meter';
  readonly subscriptionId: string;
  readonly dimension: string;
  /** The slot's hour, or the hour since which the meter's carry waits. */
  readonly hour: string;
}

/** The head of one shard of the unreported index, for a dispatcher: how much waits there and since when. */
export interface UnreportedShardHead {
  readonly shard: number;
  /** Index entries (slots and carrying meters) of hours at or before the bound. */
  readonly entries: number;
  /** The oldest entry's hour (ISO); absent when the shard holds none. */
  readonly oldestHour?: string;
}

/** What the slot is expected to hold for a conditional write: exactly what the reporter read. */
export interface SlotExpectation {
  /** `quantity` as read (`0` for a slot that does not exist yet). */
  readonly quantity: string;
  /** `reportVersion` as read (0 for a slot the reporter never wrote). */
  readonly reportVersion: number;
}

/**
 * One accounting step, written atomically (the write-ahead): the meter state (if it changes) conditional on its
 * version, and the slot conditional on its quantity and report version.
 */
export interface SlotAccounting {
  readonly slot: SlotKey & { readonly offerId: string };
  readonly expected: SlotExpectation;
  /** The new meter state; written only if the stored version is still `meter.version` (then stored as version + 1). */
  readonly meter?: MeterState;
  /** New `accountedQuantity` (= the quantity as read). */
  readonly accountedQuantity: string;
  /** Added to the slot's `lateQuantity`. */
  readonly addLate?: string;
  /** Added to the slot's `unreportableQuantity`. */
  readonly addUnreportable?: string;
  /** The slot's submission from now on. */
  readonly submission?: SlotSubmission;
  /** `set`: put the slot in the unreported index; `clear`: take it out; `keep`: leave the index keys as they are. */
  readonly index: 'set' | 'clear' | 'keep';
}

/** A final (or retried) answer for a pending submission, written only while the submission is still pending. */
export interface SlotAnswer {
  readonly slot: SlotKey;
  readonly submission: SlotSubmission;
  /** For an Expired fold: the new meter state, conditional on its version (as in `SlotAccounting`). */
  readonly meter?: MeterState;
  /** Usage Microsoft now holds for the slot, added to the per-day reported totals used by reconciliation. */
  readonly reported?: { readonly quantity: string; readonly planId: string };
  /**
   * Take the slot out of the unreported index in the same write, on the condition that `quantity` still equals
   * `accountedQuantity` (a late addition racing in keeps it visible; then only the answer is written).
   */
  readonly clearIndex: boolean;
}

/** Quantity Microsoft holds per (UTC day, subscription, dimension), as recorded from our accepted submissions. */
export interface ReportedTotal {
  /** `YYYY-MM-DD` (UTC day of the events' effectiveStartTime). */
  readonly day: string;
  readonly subscriptionId: string;
  readonly dimension: string;
  /** Exact decimal string. */
  readonly quantity: string;
  readonly eventCount: number;
}

/** A subscription Microsoft refused metering for (ResourceNotActive / ResourceNotFound). */
export interface MeteringFlag {
  readonly subscriptionId: string;
  readonly status: string;
  readonly dimension: string;
  readonly hour: string;
  readonly at: Date;
}

/**
 * What the usage reporter reads and writes besides the aggregator's slots: the unreported index, the per-(subscription,
 * dimension) meter states, the slots' accounting and submissions, the per-day reported totals and metering flags.
 * Implemented by `DynamoReportingLedger` and, for tests, `InMemoryReportingLedger`.
 */
export interface ReportingLedger {
  /**
   * Every index entry (all shards) whose hour is at or before `untilHour`, oldest first; `subscriptionId` narrows it
   * to one subscription (the flush). The index is eventually consistent: entries may be missing for a moment or
   * describe a slot that was just finished; callers re-read before deciding. `shard` narrows it to one shard of the
   * index (a fan-out worker's share; a subscription's slots are all in one shard).
   */
  findUnreported(untilHour: Date, subscriptionId?: string, shard?: number): Promise<UnreportedEntry[]>;
  /** How many shards the unreported index has (a dispatcher sends one message per shard). */
  readonly shardCount: number;
  /** Per shard, how many entries wait (hours ≤ `untilHour`) and the oldest hour: a count and one item per shard. */
  unreportedHeads(untilHour: Date): Promise<UnreportedShardHead[]>;
  /** The meter state, read strongly consistently (`emptyMeter` when none was written). */
  readMeter(subscriptionId: string, dimension: string): Promise<MeterState>;
  /** The slots of one subscription and dimension with hours in [fromHour, toHour], by hour, read consistently. */
  readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<ReportingSlot[]>;
  /** One slot, read consistently; undefined when it does not exist. */
  readSlot(key: SlotKey): Promise<ReportingSlot | undefined>;
  /**
   * Writes one accounting step atomically.
   * @returns `conflict` when the meter's version or the slot's quantity / report version changed since they were read
   *   (a concurrent reporter or a late aggregation): nothing was written; re-read and decide again.
   * @throws Error for a failure that may pass (throttling): nothing was written.
   */
  account(step: SlotAccounting): Promise<'written' | 'conflict'>;
  /**
   * Records an answer for a submission that is still `pending`.
   * @returns `notPending` when it is no longer pending (another reporter recorded an answer first): nothing written;
   *   `conflict` when `meter` is given and its version moved (re-read the meter and decide again).
   */
  recordAnswer(answer: SlotAnswer): Promise<'recorded' | 'notPending' | 'conflict'>;
  /**
   * `recordAnswer` for the answers of one batch call, each with the same outcome it would have alone; an adapter may
   * write them together (all or nothing, then one by one if a condition failed).
   */
  recordAnswers(answers: readonly SlotAnswer[]): Promise<('recorded' | 'notPending' | 'conflict')[]>;
  /**
   * Writes a meter state on its own (e.g. carry found unreportable), conditional on its version.
   * @returns `conflict` when the version moved.
   */
  writeMeter(meter: MeterState): Promise<'written' | 'conflict'>;
  /** Flags the subscription; `created` the first time it is flagged (the publisher is alerted then). */
  flagSubscription(flag: MeteringFlag): Promise<'created' | 'updated'>;
  /** The reported totals of the UTC days `fromDay` … `toDay` (inclusive, `YYYY-MM-DD`). */
  readReportedTotals(fromDay: string, toDay: string): Promise<ReportedTotal[]>;
}
