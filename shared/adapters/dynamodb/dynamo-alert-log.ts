import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  cancelledIndexes,
  decodeCursor,
  encodeCursor,
  epochSeconds,
  type Item,
  isItem,
  pageLimit,
  readDate,
  readMap,
  readNumber,
  readOptionalString,
  readString,
} from '#shared/adapters/dynamodb/dynamo-item.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import {
  ALERT_RULES,
  type AlertCandidate,
  type AlertRecipient,
  type AlertRule,
  type AlertSeverity,
  factsFromStored,
  factsToStored,
  recipientAddress,
} from '#shared/domain/alerts/alert.ts';
import { parseLocale } from '#shared/domain/alerts/settings.ts';
import type {
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertLog,
  AlertLogEntry,
  NewAlertEntry,
  RecordResult,
} from '#shared/use-cases/alerts/ports/alert-log.ts';

const ALERT_SK = 'ALERT';
const BY_SUBSCRIPTION_SK_PREFIX = 'ALERT#';
// Kept 400 days: a year of history to compare month with month, and far beyond the longest alert period (a month),
// so a key is never forgotten while its period can still be re-evaluated.
const RETENTION_SECONDS = 400 * 24 * 3600;
// A record that meets a concurrent transaction on the same key retries; the winner is visible by then.
const MAX_RECORD_ATTEMPTS = 5;
const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

const alertKeyOf = (key: string) => ({ pk: `${TABLE_PARTITION.alert}${key}`, sk: ALERT_SK });
const bySubscriptionKey = (subscriptionId: string, createdAt: Date, key: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: `${BY_SUBSCRIPTION_SK_PREFIX}${createdAt.toISOString()}#${key}`,
});
const recipientIndexKey = (recipient: AlertRecipient) =>
  `${INDEX_PARTITION.alertRecipient}${recipientAddress(recipient)}`;

/**
 * The alert log in the main table (single-table design). Each alert is two items, written in one transaction:
 *
 * - the record: `pk = ALERT#<alertKey>`, `sk = ALERT` — written only if absent (`attribute_not_exists(pk)`), which
 *   is what lets each alert out once (DESIGN invariant 7). It holds the candidate, the texts, the delivery state
 *   (`pending` → `sent`), the publish attempts and the lease; and `gsi1pk = ALERTS#<customer|partner>:<id>`,
 *   `gsi1sk = <createdAt ISO>#<alertKey>` for the history per recipient, newest first (the GSI is eventually
 *   consistent: an alert shows in the history a moment after it is recorded);
 * - the subscription copy: `pk = SUB#<subscriptionId>`, `sk = ALERT#<createdAt ISO>#<alertKey>` for the history per
 *   subscription, newest first. A deterministic key is needed for the once-only write and a time-ordered one for
 *   the history; one item cannot have both on the same index, hence the copy. `markSent` updates both.
 *
 * Both carry the TTL attribute `expiresAt` (created + 400 days).
 */
export class DynamoAlertLog implements AlertLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: NewAlertEntry): Promise<RecordResult> {
    const stored: AlertLogEntry = { ...entry, state: 'pending', attempts: 1 };
    const attributes = entryAttributes(stored);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    ...alertKeyOf(entry.key),
                    type: 'Alert',
                    gsi1pk: recipientIndexKey(entry.candidate.recipient),
                    gsi1sk: `${entry.createdAt.toISOString()}#${entry.key}`,
                    ...attributes,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    ...bySubscriptionKey(entry.candidate.subscriptionId, entry.createdAt, entry.key),
                    type: 'AlertBySubscription',
                    ...attributes,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return { outcome: 'new', entry: stored };
      } catch (error) {
        if (!cancelledIndexes(error)) throw error;
        // Lost to an earlier or concurrent record of the same key: the stored one is the alert.
        const existing = await this.get(entry.key);
        if (existing) return { outcome: 'duplicate', entry: existing };
        // Cancelled by a concurrent transaction that has not committed (or did not): try again.
        if (attempt >= MAX_RECORD_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      }
    }
  }

  async claim(key: string, expectedAttempts: number, leaseUntil: Date): Promise<AlertLogEntry | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: alertKeyOf(key),
          UpdateExpression: 'SET attempts = attempts + :one, leaseUntil = :lease',
          // Compare-and-set on the attempt count: of several retries that found the lease expired, one wins.
          ConditionExpression: '#state = :pending AND attempts = :expected',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':lease': leaseUntil.toISOString(),
            ':pending': 'pending',
            ':expected': expectedAttempts,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? toEntry(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(key: string, attempts: number, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: alertKeyOf(key),
          UpdateExpression: 'SET leaseUntil = :at',
          ConditionExpression: '#state = :pending AND attempts = :attempts',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':at': at.toISOString(), ':pending': 'pending', ':attempts': attempts },
        }),
      );
    } catch (error) {
      // Sent or claimed by someone else meanwhile: the lease is no longer ours to give up.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async markSent(key: string, sentAt: Date, messageId: string): Promise<void> {
    const entry = await this.get(key);
    if (!entry) throw new Error(`Alert ${key} is not in the log`);
    const update = {
      TableName: this.tableName,
      UpdateExpression: 'SET #state = :sent, sentAt = :sentAt, messageId = :messageId',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sent': 'sent', ':sentAt': sentAt.toISOString(), ':messageId': messageId },
    };
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { ...update, Key: alertKeyOf(key) } },
          {
            Update: {
              ...update,
              Key: bySubscriptionKey(entry.candidate.subscriptionId, entry.createdAt, key),
            },
          },
        ],
      }),
    );
  }

  async get(key: string): Promise<AlertLogEntry | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: alertKeyOf(key), ConsistentRead: true }),
    );
    return result.Item ? toEntry(result.Item) : undefined;
  }

  async listByRecipient(recipient: AlertRecipient, query: AlertHistoryQuery = {}): Promise<AlertHistoryPage> {
    const partition = recipientIndexKey(recipient);
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: MAIN_INDEX_NAME,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        ScanIndexForward: false,
        Limit: pageLimit(query.limit),
        ExclusiveStartKey: decodeCursor(query.cursor, { attribute: 'gsi1pk', value: partition }, [
          'pk',
          'sk',
          'gsi1pk',
          'gsi1sk',
        ]),
      }),
    );
    return { entries: (page.Items ?? []).map(toEntry), nextCursor: encodeCursor(page.LastEvaluatedKey) };
  }

  async listBySubscription(subscriptionId: string, query: AlertHistoryQuery = {}): Promise<AlertHistoryPage> {
    const partition = `${TABLE_PARTITION.subscription}${subscriptionId}`;
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': BY_SUBSCRIPTION_SK_PREFIX },
        ScanIndexForward: false,
        Limit: pageLimit(query.limit),
        ExclusiveStartKey: decodeCursor(query.cursor, { attribute: 'pk', value: partition }, ['pk', 'sk']),
      }),
    );
    return { entries: (page.Items ?? []).map(toEntry), nextCursor: encodeCursor(page.LastEvaluatedKey) };
  }
}

function entryAttributes(entry: AlertLogEntry): Item {
  const { candidate } = entry;
  return {
    alertKey: entry.key,
    recipientKind: candidate.recipient.kind,
    recipientId: candidate.recipient.id,
    rule: candidate.rule,
    threshold: candidate.threshold,
    periodKey: candidate.periodKey,
    severity: candidate.severity,
    subscriptionId: candidate.subscriptionId,
    customerId: candidate.customerId,
    facts: factsToStored(candidate),
    locale: entry.locale,
    subject: entry.message.subject,
    body: entry.message.body,
    sms: entry.message.sms,
    state: entry.state,
    attempts: entry.attempts,
    leaseUntil: entry.leaseUntil.toISOString(),
    createdAt: entry.createdAt.toISOString(),
    sentAt: entry.sentAt?.toISOString(),
    messageId: entry.messageId,
    expiresAt: epochSeconds(entry.createdAt) + RETENTION_SECONDS,
  };
}

function toEntry(item: Item): AlertLogEntry {
  const rule = readString(item, 'rule') as AlertRule;
  if (!ALERT_RULES.includes(rule)) throw new Error(`Stored alert has an unknown rule ${rule}`);
  const kind = readString(item, 'recipientKind');
  if (kind !== 'customer' && kind !== 'partner') throw new Error(`Stored alert has an unknown recipient kind ${kind}`);
  const severity = readString(item, 'severity') as AlertSeverity;
  if (!SEVERITIES.includes(severity)) throw new Error(`Stored alert has an unknown severity ${severity}`);
  const state = readString(item, 'state');
  if (state !== 'pending' && state !== 'sent') throw new Error(`Stored alert has an unknown state ${state}`);
  const threshold = readOptionalString(item, 'threshold');
  const facts = readMap(item, 'facts');
  const candidate = {
    recipient: { kind, id: readString(item, 'recipientId') },
    rule,
    ...(threshold === undefined ? {} : { threshold }),
    periodKey: readString(item, 'periodKey'),
    severity,
    subscriptionId: readString(item, 'subscriptionId'),
    customerId: readString(item, 'customerId'),
    facts: factsFromStored(rule, isItem(facts) ? facts : {}),
  } as AlertCandidate;
  const messageId = readOptionalString(item, 'messageId');
  return {
    key: readString(item, 'alertKey'),
    candidate,
    locale: parseLocale(readString(item, 'locale')),
    message: { subject: readString(item, 'subject'), body: readString(item, 'body'), sms: readString(item, 'sms') },
    createdAt: readDate(item, 'createdAt'),
    leaseUntil: readDate(item, 'leaseUntil'),
    state,
    attempts: readNumber(item, 'attempts'),
    ...(item.sentAt === undefined ? {} : { sentAt: readDate(item, 'sentAt') }),
    ...(messageId === undefined ? {} : { messageId }),
  };
}
