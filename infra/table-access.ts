import type { IndexPartition, TablePartition } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';

/**
 * What a function may do in the main table: each DynamoDB item action it uses, with the partition-key prefixes
 * (`#shared/adapters/dynamodb/partition-keys.ts`) it uses it on, and the index partitions it queries. The CDK app
 * turns it into IAM statements (`tableAccessStatements`, below), and the local mode and the handler tests refuse any
 * request outside it (`infra/local/dynamodb-access-guard.ts`), so a declaration that misses something fails the
 * tests instead of production. Plain data only.
 *
 * Transactions are authorized per item action (AWS: "Permissions for Put, Update, Delete, and Get actions are
 * governed by the permissions used for the underlying PutItem, UpdateItem, DeleteItem, and GetItem operations"; a
 * ConditionCheck by `dynamodb:ConditionCheckItem`), so `TransactWriteItems` needs no action of its own: declare the
 * actions of its parts. Never Scan: it reads every partition, and a `dynamodb:LeadingKeys` condition cannot bound it.
 */
export interface TableAccess {
  readonly items: Readonly<Partial<Record<ItemAction, readonly TablePartition[]>>>;
  /** Index partitions it queries (`Query` with `IndexName` = the main table's one global index). */
  readonly indexQuery?: readonly IndexPartition[];
  /** Item access of the local mode only (its alert outbox): allowed by the local check, never granted in AWS. */
  readonly localOnly?: Readonly<Partial<Record<ItemAction, readonly TablePartition[]>>>;
}

export const ITEM_ACTIONS = [
  'GetItem',
  'BatchGetItem',
  'Query',
  'ConditionCheckItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
] as const;
export type ItemAction = (typeof ITEM_ACTIONS)[number];

/** An IAM statement as plain data; `infra/constructs/bind.ts` makes a `PolicyStatement` of it. */
export interface TableAccessStatement {
  readonly actions: readonly string[];
  /** `'table'`: the table's ARN; `'index'`: the ARN of the main table's global index. */
  readonly resource: 'table' | 'index';
  /** `dynamodb:LeadingKeys` patterns (`<prefix>*`), checked with `ForAllValues:StringLike`. */
  readonly leadingKeys: readonly string[];
}

/**
 * The IAM statements of a declaration: one per distinct set of partitions, each allowing exactly the item actions
 * declared on that set, on the table's ARN only, with a `ForAllValues:StringLike` condition on `dynamodb:LeadingKeys`
 * (the request's partition-key values; AWS requires the ForAllValues modifier on this key).
 *
 * Why the conditions hold in AWS (docs "Using IAM policy conditions for fine-grained access control"): the key is
 * "the first key attribute of a table, in other words the partition key", set for GetItem, BatchGetItem, Query,
 * PutItem, UpdateItem, DeleteItem and BatchWriteItem (for the batches, every key of the request must match), and a
 * transaction's parts are authorized as those item actions. For a `ConditionCheckItem`, and for a Query on the
 * global index, the documentation does not say which value the key carries; a `ForAllValues` condition is true when
 * the request carries no value for its key, so the condition can only ever refuse a value outside the declared
 * prefixes. Hence the index statement lists the INDEX partitions: whether AWS fills the key with the index's
 * partition key or leaves it empty, the declared queries pass. This is also why Scan is never granted: it carries
 * no leading key, so the condition would not bound it.
 */
export function tableAccessStatements(access: TableAccess): TableAccessStatement[] {
  const byPartitions = new Map<string, { partitions: readonly string[]; actions: string[] }>();
  for (const action of ITEM_ACTIONS) {
    const partitions = access.items[action];
    if (!partitions || partitions.length === 0) continue;
    const sorted = [...new Set(partitions)].sort();
    const key = sorted.join('\n');
    const group = byPartitions.get(key) ?? { partitions: sorted, actions: [] };
    group.actions.push(`dynamodb:${action}`);
    byPartitions.set(key, group);
  }
  const statements: TableAccessStatement[] = [...byPartitions.values()].map((group) => ({
    actions: group.actions,
    resource: 'table',
    leadingKeys: group.partitions.map(leadingKeyPattern),
  }));
  if (access.indexQuery && access.indexQuery.length > 0) {
    statements.push({
      actions: ['dynamodb:Query'],
      resource: 'index',
      leadingKeys: [...new Set(access.indexQuery)].sort().map(leadingKeyPattern),
    });
  }
  return statements;
}

/** `StringLike` pattern of the partition keys starting with `prefix`. */
export const leadingKeyPattern = (prefix: string) => `${prefix}*`;

/** The index whose ARN the `'index'` statements name. */
export const ACCESS_INDEX_NAME = MAIN_TABLE_KEYS.index.name;

/** Whether `access` allows `action` on the table item whose partition key is `partitionKey`. */
export function allowsItem(access: TableAccess, action: ItemAction, partitionKey: string, local = false): boolean {
  const prefixes = [...(access.items[action] ?? []), ...((local && access.localOnly?.[action]) || [])];
  return prefixes.some((prefix) => partitionKey.startsWith(prefix));
}

/** Whether `access` allows a Query of the global index partition `indexPartitionKey`. */
export function allowsIndexQuery(access: TableAccess, indexPartitionKey: string): boolean {
  return (access.indexQuery ?? []).some((prefix) => indexPartitionKey.startsWith(prefix));
}

/** Whether the declaration writes anything (PutItem, UpdateItem, DeleteItem or BatchWriteItem). */
export function writesTable(access: TableAccess): boolean {
  return (['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'] as const).some(
    (action) => (access.items[action]?.length ?? 0) > 0,
  );
}
