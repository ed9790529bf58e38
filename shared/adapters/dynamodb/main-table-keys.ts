/**
 * The key attributes of the main table (single-table design): what the DynamoDB adapters write and what the
 * infrastructure creates the table with. `infra/resources.ts` builds `MAIN_TABLE` from these, so the deployed table and
 * the code cannot disagree, and `shared/` never has to import `infra/` to learn them (infra depends on shared, never
 * the reverse). Plain data only.
 */
export const MAIN_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** The one general-purpose global index: the second access path of each entity (e.g. API key hash → key record). */
  globalIndex: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Epoch-seconds expiry (DynamoDB TTL). */
  ttlAttribute: 'expiresAt',
} as const;
