/**
 * The key schema of the main table (single-table design), stated once. `infra/resources.ts` builds its table
 * definition from it, and from that the CDK stateful stack deploys the table and `infra/local/provision.ts` creates
 * the same table in DynamoDB Local, so production, a laptop and the adapters' queries name the same attributes.
 *
 * The metering ledgers build every key and index attribute from these names (`mainTableKey`, `rawMainTableKey`);
 * the other adapters name the index by `MAIN_INDEX_NAME` and still spell `pk`/`sk`/`gsi1pk`/`gsi1sk` in their item
 * literals, where their tests against a DynamoDB Local table provisioned from these names would fail on a rename.
 *
 * Plain data only (no SDK imports): infra reads it while synthesizing.
 */
export const MAIN_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The one general-purpose global index: the second access path of each entity (e.g. an API key hash → its record,
   * the unreported usage slots oldest first). Projects all attributes.
   */
  index: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL). */
  ttlAttribute: 'expiresAt',
} as const;

/** Name of the main table's global index, for a query's `IndexName`. */
export const MAIN_INDEX_NAME = MAIN_TABLE_KEYS.index.name;

type PrimaryKeyName = typeof MAIN_TABLE_KEYS.partitionKey | typeof MAIN_TABLE_KEYS.sortKey;

/** An item's primary key as the document client takes it (`Key` of a Get, Update or Delete). */
export type MainTableKey = Readonly<Record<PrimaryKeyName, string>>;

/** An item's primary key as the low-level client takes it (string attribute values). */
export type RawMainTableKey = Readonly<Record<PrimaryKeyName, { readonly S: string }>>;

/** The primary key of the item at `partition` / `sort`, for the document client. */
export function mainTableKey(partition: string, sort: string): MainTableKey {
  return { [MAIN_TABLE_KEYS.partitionKey]: partition, [MAIN_TABLE_KEYS.sortKey]: sort } as MainTableKey;
}

/** The primary key of the item at `partition` / `sort`, for the low-level client. */
export function rawMainTableKey(partition: string, sort: string): RawMainTableKey {
  return {
    [MAIN_TABLE_KEYS.partitionKey]: { S: partition },
    [MAIN_TABLE_KEYS.sortKey]: { S: sort },
  } as RawMainTableKey;
}
