import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import type {
  AuditActor,
  AuditEntry,
  AuditKind,
  AuditLog,
  AuditPage,
  AuditQuery,
} from '#shared/use-cases/ports/audit-log.ts';
import { decodeCursor, encodeCursor, type Item, pageLimit } from './dynamo-item.ts';

const AUDIT_SK_PREFIX = 'AUDIT#';
const KINDS: readonly AuditKind[] = ['webhook', 'marketplaceCall', 'landing', 'sync', 'publisherOperation'];

/**
 * The audit trail in the main table, beside the subscription: `pk = SUB#<id>`, `sk = AUDIT#<ISO time>#<uuid>` with
 * `kind`, `what`, `result`, `requestId`, `correlationId`. The uuid keeps two entries of the same millisecond apart;
 * the ISO prefix makes a query by partition come back in time order. No TTL: the trail is evidence for support cases
 * and disputes and is kept as long as the subscription (which is never deleted, reference §1.2 "Delete").
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${TABLE_PARTITION.subscription}${entry.subscriptionId}`,
          sk: `${AUDIT_SK_PREFIX}${entry.at.toISOString()}#${randomUUID()}`,
          type: 'AuditEntry',
          at: entry.at.toISOString(),
          kind: entry.kind,
          what: entry.what,
          result: entry.result,
          requestId: entry.requestId,
          correlationId: entry.correlationId,
          actor: entry.actor,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(subscriptionId: string, query: AuditQuery = {}): Promise<AuditPage> {
    const partition = `${TABLE_PARTITION.subscription}${subscriptionId}`;
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': AUDIT_SK_PREFIX },
        ScanIndexForward: false,
        Limit: pageLimit(query.limit),
        ExclusiveStartKey: decodeCursor(query.cursor, { attribute: 'pk', value: partition }, ['pk', 'sk']),
      }),
    );
    const nextCursor = encodeCursor(page.LastEvaluatedKey);
    return {
      entries: (page.Items ?? []).map((item) => toEntry(subscriptionId, item)),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }
}

function toEntry(subscriptionId: string, item: Item): AuditEntry {
  const kind = KINDS.find((candidate) => candidate === item.kind);
  if (!kind || typeof item.at !== 'string') throw new Error(`Stored audit entry ${String(item.sk)} is malformed`);
  return {
    subscriptionId,
    at: new Date(item.at),
    kind,
    what: String(item.what ?? ''),
    result: String(item.result ?? ''),
    ...(typeof item.requestId === 'string' ? { requestId: item.requestId } : {}),
    ...(typeof item.correlationId === 'string' ? { correlationId: item.correlationId } : {}),
    ...(isActor(item.actor) ? { actor: item.actor } : {}),
  };
}

function isActor(value: unknown): value is AuditActor {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.tenantId === 'string' && typeof candidate.objectId === 'string';
}
