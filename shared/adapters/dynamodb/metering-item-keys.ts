/**
 * The keys of the metering items in the main table, shared by the aggregator's `DynamoUsageLedger` and the
 * reporter's `DynamoReportingLedger`: both read and write the same hourly slots, so the layout is stated once.
 *
 * - message marker of format 1 (before event-id sets) `USAGEMSG#<marker>` / `USAGEMSG`, read only;
 * - counted entries of one hour, in chunks: `SUB#<subscriptionId>` / `ENTRIES#<hour ISO>#<chunk, 3 digits>`;
 * - hourly slot `SUB#<subscriptionId>` / `USAGE#<dimension>#<hour ISO>`;
 * - daily and monthly totals `SUB#<subscriptionId>` / `DAY#<YYYY-MM-DD>`, `MONTH#<YYYY-MM>`;
 * - meter state `SUB#<subscriptionId>` / `METER#<dimension>`; metering flag `SUB#<subscriptionId>` / `METERING_FLAG`;
 * - reported totals `REPORTED#<YYYY-MM-DD>#<shard>` / `<subscriptionId>#<dimension>` (before: `REPORTED#<YYYY-MM-DD>`);
 * - in the global index, slots and carrying meters under `UNREPORTED#<shard>`, sorted by hour.
 */
import { createHash } from 'node:crypto';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';

/** Partition of everything of one subscription (slots, totals, and the reporter's meter states and flag). */
export const subscriptionPk = (subscriptionId: string) => `${TABLE_PARTITION.subscription}${subscriptionId}`;
/** Sort key of an hourly slot; `hour` is an ISO hour start, so a dimension's slots sort by hour. */
export const slotSk = (dimension: string, hour: string) => `USAGE#${dimension}#${hour}`;
/** Sort key of a subscription's usage totals of a UTC day (`YYYY-MM-DD`) or month (`YYYY-MM`). */
export const totalsSk = (kind: 'DAY' | 'MONTH', period: string) => `${kind}#${period}`;

/** Sort key of one chunk of an hour's counted entries (event ids and message markers). */
export const entryChunkSk = (hour: string, chunk: number) =>
  `${entryChunkPrefix(hour)}${String(chunk).padStart(3, '0')}`;
/** Common prefix of an hour's entry chunks; chunks of consecutive hours sort together. */
export const entryChunkPrefix = (hour: string) => `ENTRIES#${hour}#`;

/** Partition of the marker of a usage message applied before event-id sets existed (format 1). */
export const markerPk = (marker: string) => `${TABLE_PARTITION.usageMessageMarker}${marker}`;
export const MARKER_SK = 'USAGEMSG';

/** Sort key of the reporter's state of one dimension (allowance tally, carry). */
export const meterSk = (dimension: string) => `METER#${dimension}`;
/** Sort key of the flag set when Microsoft refused a subscription's usage. */
export const FLAG_SK = 'METERING_FLAG';
/**
 * Partition of the quantities Microsoft accepted from us on one UTC day, for reconciliation, in the shard of the
 * subscription (`unreportedShardOf`): each reporter worker reports one shard, so the workers write apart. One
 * partition per day took every accepted answer of the whole run on one key (docs/key-design.md).
 */
export const reportedPk = (day: string, shard: number) => `${TABLE_PARTITION.reported}${day}#${shard}`;
/** The day's partition before the shards (written until the change, read until its days are out of range). */
export const legacyReportedPk = (day: string) => `${TABLE_PARTITION.reported}${day}`;
export const reportedSk = (subscriptionId: string, dimension: string) => `${subscriptionId}#${dimension}`;

/**
 * Partitions of the "unreported slots" index. One partition key for every slot would take every slot write of
 * the system on one index partition (about 1,000 writes/s each); 8 spread them, and the reporter queries all 8.
 */
export const UNREPORTED_SHARDS = 8;
/** Index partition key of the slots with unreported quantity in one shard. */
export const unreportedIndexKey = (shard: number) => `${INDEX_PARTITION.unreported}${shard}`;
/** Index sort key of a slot with unreported usage: the hour first, so a range query finds the closed hours. */
export const unreportedSlotSortKey = (hour: string, subscriptionId: string, dimension: string) =>
  `${hour}#${subscriptionId}#${dimension}`;
/** Index sort key of a meter holding carry; `#METER` keeps it apart from the slot of the same hour. */
export const unreportedMeterSortKey = (since: string, subscriptionId: string, dimension: string) =>
  `${since}#${subscriptionId}#${dimension}#METER`;

/** The index shard of a subscription's slots: a stable hash, so one subscription's slots share a shard. */
export function unreportedShardOf(subscriptionId: string): number {
  return createHash('sha256').update(subscriptionId, 'utf8').digest().readUInt32BE(0) % UNREPORTED_SHARDS;
}
