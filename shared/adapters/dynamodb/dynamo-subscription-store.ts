/**
 * The subscription store on the main table: subscriptions, their operation records and side-effect claims, written
 * with conditional transactions. (Over 400 lines: the record and its operation claims must change together in one
 * transaction, so their encodings live in one adapter.)
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import type {
  Page,
  PageRequest,
  SubscriptionDirectory,
  SubscriptionFilter,
} from '#shared/use-cases/portal-data/ports/directories.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';
import type {
  AppliedChange,
  ListByStatusQuery,
  OperationDecision,
  OperationOutcome,
  OperationRecord,
  OperationSideEffect,
  StoredSubscription,
  SubscriptionPage,
  VersionedSubscriptionStore,
} from '#shared/use-cases/ports/subscription-store.ts';
import { cancelledIndexes, decodeCursor, encodeCursor, type Item, isItem, pageLimit } from './dynamo-item.ts';

const SUBSCRIPTION_SK = 'SUBSCRIPTION';
const OPERATION_SK_PREFIX = 'OP#';
const OPERATION_TYPE = 'SubscriptionOperation';
/** Item attributes that belong to the store, not to the subscription. */
const STORE_ATTRIBUTES = ['pk', 'sk', 'type', 'version', 'createdAt', 'gsi1pk', 'gsi1sk'] as const;

/**
 * Per side effect: the attribute that says it is done and the one holding the claim's lease (epoch milliseconds until
 * which the claim is held).
 */
const SIDE_EFFECT_ATTRIBUTES: Record<OperationSideEffect, { done: string; lease: string }> = {
  answer: { done: 'answerQueuedAt', lease: 'answerClaimedUntil' },
  patch: { done: 'acknowledgedAt', lease: 'patchClaimedUntil' },
  event: { done: 'eventPublishedAt', lease: 'eventClaimedUntil' },
};

const subscriptionKey = (subscriptionId: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: SUBSCRIPTION_SK,
});
const operationKey = (subscriptionId: string, operationId: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: `${OPERATION_SK_PREFIX}${operationId}`,
});
/** Sparse index partition: only subscription items carry it, one partition per status. */
const statusPartition = (status: SubscriptionStatus) => `${INDEX_PARTITION.subscriptionStatus}${status}`;

/**
 * Subscriptions and their operation records in the main table:
 * - subscription: `pk = SUB#<id>`, `sk = SUBSCRIPTION`, the subscription's fields, `version` (optimistic
 *   concurrency: every write is conditional on the version read), `createdAt`, and the sparse index keys
 *   `gsi1pk = SUBSTATUS#<status>`, `gsi1sk = <createdAt ISO>#<id>` (listing by status, oldest first);
 * - operation record: `pk = SUB#<id>`, `sk = OP#<operationId>`, `state` received → decided → applied, with the
 *   decision PATCHed to Microsoft, the outcome, and the lifecycle event until it is published.
 *
 * An applied change writes the subscription and its operation record in one transaction, so "applied" on the
 * record and the change on the subscription can never disagree, even after a crash between the two.
 */
export class DynamoSubscriptionStore implements VersionedSubscriptionStore, SubscriptionDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Stamps `createdAt`/`updatedAt`; `createdAt` stands for the purchase time where Microsoft gives none. */
    private readonly clock: Clock = systemClock,
  ) {}

  async get(subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.read(subscriptionId))?.subscription;
  }

  async put(subscription: Subscription): Promise<void> {
    const update = subscriptionUpdate(subscription, this.clock.now());
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: subscriptionKey(subscription.id),
        ...update.expression(`version = if_not_exists(version, :zero) + :one`),
        ExpressionAttributeValues: { ...update.values, ':zero': 0, ':one': 1 },
      }),
    );
  }

  async read(subscriptionId: string): Promise<StoredSubscription | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionKey(subscriptionId), ConsistentRead: true }),
    );
    return result.Item ? storedSubscriptionOf(result.Item) : undefined;
  }

  async save(subscription: Subscription, expectedVersion: number | undefined): Promise<number> {
    try {
      await this.client.send(new UpdateCommand(this.conditionalSave(subscription, expectedVersion, this.clock.now())));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw versionConflict(subscription.id, error);
      throw error;
    }
    return (expectedVersion ?? 0) + 1;
  }

  async createIfAbsent(subscription: Subscription): Promise<{ created: boolean; stored: StoredSubscription }> {
    try {
      await this.save(subscription, undefined);
      const stored = await this.read(subscription.id);
      if (!stored) throw new Error(`Subscription ${subscription.id} was created but cannot be read back`);
      return { created: true, stored };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const stored = await this.read(subscription.id);
      if (!stored) throw error;
      return { created: false, stored };
    }
  }

  async listByStatus(status: SubscriptionStatus, query: ListByStatusQuery = {}): Promise<SubscriptionPage> {
    const partition = statusPartition(status);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: MAIN_INDEX_NAME,
        KeyConditionExpression:
          query.createdBefore === undefined ? 'gsi1pk = :pk' : 'gsi1pk = :pk AND gsi1sk < :before',
        ExpressionAttributeValues: {
          ':pk': partition,
          ...(query.createdBefore === undefined ? {} : { ':before': query.createdBefore.toISOString() }),
        },
        ScanIndexForward: true,
        Limit: pageLimit(query.limit),
        ExclusiveStartKey: decodeCursor(query.cursor, { attribute: 'gsi1pk', value: partition }, [
          'pk',
          'sk',
          'gsi1pk',
          'gsi1sk',
        ]),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return {
      subscriptions: (result.Items ?? []).map(storedSubscriptionOf),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }

  /**
   * Reads the status partitions of the index in turn (or only the one asked for), oldest first, and lets DynamoDB drop
   * what the filter does not match. Listing costs the index entries read, matched or not: cheap for the publisher's
   * and a partner's lists (most subscriptions match or the filter is a status), and bounded per page for a narrow
   * filter (`MAX_LIST_READS` queries; the page then ends early with a cursor).
   */
  async listSubscriptions(filter: SubscriptionFilter, page: PageRequest): Promise<Page<Subscription>> {
    const statuses = filter.status ? [filter.status] : LISTED_STATUSES;
    let { index, key } = decodeListCursor(page.cursor, statuses);
    const condition = listFilterOf(filter);
    const items: Subscription[] = [];
    for (let reads = 0; index < statuses.length && items.length < page.limit && reads < MAX_LIST_READS; reads++) {
      const partition = statusPartition(statuses[index] as SubscriptionStatus);
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MAIN_INDEX_NAME,
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(condition.expression ? { FilterExpression: condition.expression } : {}),
          ...(Object.keys(condition.names).length > 0 ? { ExpressionAttributeNames: condition.names } : {}),
          ExpressionAttributeValues: { ':pk': partition, ...condition.values },
          // Limit counts items read before the filter: never more than still fit the page, so the page ends exactly
          // at the last item read and the cursor resumes after it.
          Limit: page.limit - items.length,
          ExclusiveStartKey: key,
        }),
      );
      items.push(...(result.Items ?? []).map((item) => storedSubscriptionOf(item).subscription));
      if (result.LastEvaluatedKey) {
        key = result.LastEvaluatedKey;
      } else {
        index += 1;
        key = undefined;
      }
    }
    const nextCursor = index < statuses.length ? encodeListCursor(index, key) : undefined;
    return { items, ...(nextCursor ? { nextCursor } : {}) };
  }

  async getOperation(subscriptionId: string, operationId: string): Promise<OperationRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: operationKey(subscriptionId, operationId),
        ConsistentRead: true,
      }),
    );
    return result.Item ? operationRecordOf(result.Item) : undefined;
  }

  async startOperation(input: {
    subscriptionId: string;
    operationId: string;
    action: string;
    at: Date;
  }): Promise<OperationRecord> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: operationKey(input.subscriptionId, input.operationId),
          UpdateExpression: 'SET #type = :type, #state = :received, #action = :action, receivedAt = :at',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#action': 'action' },
          ExpressionAttributeValues: {
            ':type': OPERATION_TYPE,
            ':received': 'received',
            ':action': input.action,
            ':at': iso(input.at),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return operationRecordOf(result.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.requireOperation(input.subscriptionId, input.operationId);
    }
  }

  async decideOperation(input: {
    subscriptionId: string;
    operationId: string;
    decision: OperationDecision;
    reason?: string;
    at: Date;
  }): Promise<OperationRecord> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: operationKey(input.subscriptionId, input.operationId),
          UpdateExpression: `SET #state = :decided, decision = :decision, decidedAt = :at${
            input.reason === undefined ? '' : ', reason = :reason'
          }`,
          // The first decision stands: a concurrent delivery that decided differently (say, a policy whose inputs
          // changed in between) must not PATCH the other answer.
          ConditionExpression: '#state = :received',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':decided': 'decided',
            ':received': 'received',
            ':decision': input.decision,
            ':at': iso(input.at),
            ...(input.reason === undefined ? {} : { ':reason': input.reason }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return operationRecordOf(result.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.requireOperation(input.subscriptionId, input.operationId);
    }
  }

  async markAcknowledged(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: operationKey(subscriptionId, operationId),
        UpdateExpression: 'SET acknowledgedAt = if_not_exists(acknowledgedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': iso(at) },
      }),
    );
  }

  async applyChange(change: AppliedChange): Promise<'applied' | 'alreadyApplied'> {
    const subscriptionId = change.subscription.id;
    const values: Item = {
      ':type': OPERATION_TYPE,
      ':applied': 'applied',
      ':outcome': 'applied',
      ':action': change.action,
      ':at': iso(change.at),
    };
    const sets = [
      '#type = :type',
      '#state = :applied',
      'outcome = :outcome',
      'completedAt = :at',
      'receivedAt = if_not_exists(receivedAt, :at)',
    ];
    sets.push('#action = if_not_exists(#action, :action)');
    if (change.event) {
      sets.push('event = :event');
      values[':event'] = change.event;
    }
    if (change.decision) {
      sets.push('decision = if_not_exists(decision, :decision)');
      values[':decision'] = change.decision;
    }
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.conditionalSave(change.subscription, change.expectedVersion, change.at) },
            {
              Update: {
                TableName: this.tableName,
                Key: operationKey(subscriptionId, change.operationId),
                UpdateExpression: `SET ${sets.join(', ')}`,
                ConditionExpression: 'attribute_not_exists(#state) OR #state <> :applied',
                ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#action': 'action' },
                ExpressionAttributeValues: values,
              },
            },
          ],
        }),
      );
      return 'applied';
    } catch (error) {
      const cancelled = cancelledIndexes(error);
      if (cancelled?.condition.has(1)) return 'alreadyApplied';
      if (cancelled?.condition.has(0) || (cancelled && cancelled.conflict.size > 0)) {
        // A concurrent transaction on the same items counts as a version conflict: re-read and retry.
        throw versionConflict(subscriptionId, error);
      }
      throw error;
    }
  }

  async completeOperation(input: {
    subscriptionId: string;
    operationId: string;
    action: string;
    outcome: Exclude<OperationOutcome, 'applied'>;
    reason?: string;
    at: Date;
  }): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: operationKey(input.subscriptionId, input.operationId),
          UpdateExpression: `SET #type = :type, #state = :applied, outcome = :outcome, completedAt = :at, #action = if_not_exists(#action, :action), receivedAt = if_not_exists(receivedAt, :at)${
            input.reason === undefined ? '' : ', reason = if_not_exists(reason, :reason)'
          }`,
          ConditionExpression: 'attribute_not_exists(#state) OR #state <> :applied',
          ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#action': 'action' },
          ExpressionAttributeValues: {
            ':type': OPERATION_TYPE,
            ':applied': 'applied',
            ':outcome': input.outcome,
            ':action': input.action,
            ':at': iso(input.at),
            ...(input.reason === undefined ? {} : { ':reason': input.reason }),
          },
        }),
      );
    } catch (error) {
      // Finished already (a concurrent delivery): its outcome stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async markEventPublished(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: operationKey(subscriptionId, operationId),
        UpdateExpression: 'SET eventPublishedAt = if_not_exists(eventPublishedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': iso(at) },
      }),
    );
  }

  async markAnswerQueued(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: operationKey(subscriptionId, operationId),
        UpdateExpression: 'SET answerQueuedAt = if_not_exists(answerQueuedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': iso(at) },
      }),
    );
  }

  async claimSideEffect(input: {
    subscriptionId: string;
    operationId: string;
    effect: OperationSideEffect;
    at: Date;
    leaseMs: number;
  }): Promise<boolean> {
    const { done, lease } = SIDE_EFFECT_ATTRIBUTES[input.effect];
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: operationKey(input.subscriptionId, input.operationId),
          UpdateExpression: 'SET #lease = :until',
          // Not done, and no claim whose lease still runs: a claim left by an invocation that died expires.
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(#done) AND (attribute_not_exists(#lease) OR #lease <= :now)',
          ExpressionAttributeNames: { '#lease': lease, '#done': done },
          ExpressionAttributeValues: { ':until': input.at.getTime() + input.leaseMs, ':now': input.at.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseSideEffect(subscriptionId: string, operationId: string, effect: OperationSideEffect): Promise<void> {
    const { done, lease } = SIDE_EFFECT_ATTRIBUTES[effect];
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: operationKey(subscriptionId, operationId),
          UpdateExpression: 'REMOVE #lease',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#done)',
          ExpressionAttributeNames: { '#lease': lease, '#done': done },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async requireOperation(subscriptionId: string, operationId: string): Promise<OperationRecord> {
    const record = await this.getOperation(subscriptionId, operationId);
    if (!record) throw new Error(`Operation ${operationId} of subscription ${subscriptionId} vanished`);
    return record;
  }

  /** The update that writes a subscription only over the version read (or only when none is stored). */
  private conditionalSave(
    subscription: Subscription,
    expectedVersion: number | undefined,
    now: Date,
  ): UpdateCommandInput & { UpdateExpression: string } {
    const update = subscriptionUpdate(subscription, now);
    const next = (expectedVersion ?? 0) + 1;
    const condition =
      expectedVersion === undefined
        ? 'attribute_not_exists(pk)'
        : expectedVersion === 0
          ? // Records written before versions existed have none: version 0.
            'attribute_exists(pk) AND (attribute_not_exists(version) OR version = :expected)'
          : 'version = :expected';
    return {
      TableName: this.tableName,
      Key: subscriptionKey(subscription.id),
      ...update.expression('version = :next'),
      ConditionExpression: condition,
      ExpressionAttributeValues: {
        ...update.values,
        ':next': next,
        ...(expectedVersion === undefined ? {} : { ':expected': expectedVersion }),
      },
    };
  }
}

/**
 * An update that replaces the subscription's fields (REMOVE for the optional ones it no longer has) and keeps the
 * store's own attributes: `createdAt` and the index sort key are set once, the index partition follows the status.
 */
function subscriptionUpdate(subscription: Subscription, now: Date) {
  const names: Record<string, string> = { '#type': 'type' };
  const values: Item = {
    ':type': 'Subscription',
    ':gsi1pk': statusPartition(subscription.status),
    ':createdAt': iso(now),
    ':gsi1sk': `${iso(now)}#${subscription.id}`,
  };
  const sets = [
    '#type = :type',
    'gsi1pk = :gsi1pk',
    'createdAt = if_not_exists(createdAt, :createdAt)',
    'gsi1sk = if_not_exists(gsi1sk, :gsi1sk)',
  ];
  const removes: string[] = [];
  const fields = subscription as unknown as Item;
  for (const [index, name] of SUBSCRIPTION_FIELDS.entries()) {
    const value = fields[name];
    names[`#f${index}`] = name;
    if (value === undefined) removes.push(`#f${index}`);
    else {
      sets.push(`#f${index} = :f${index}`);
      values[`:f${index}`] = value;
    }
  }
  return {
    values,
    expression: (versionClause: string) => ({
      UpdateExpression: `SET ${[...sets, versionClause].join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
    }),
  };
}

/**
 * Every field of `Subscription`. Listed rather than taken from the object so that a field the new value lacks is
 * removed from the item (a plan change to a flat-rate plan drops `quantity`).
 */
const SUBSCRIPTION_FIELDS = [
  'id',
  'name',
  'offerId',
  'planId',
  'quantity',
  'status',
  'term',
  'isFreeTrial',
  'beneficiary',
  'purchaser',
  'partnerId',
  'timeline',
] as const satisfies readonly (keyof Subscription)[];

/** The statuses a full list walks through, in this order. */
const LISTED_STATUSES: readonly SubscriptionStatus[] = [
  'PendingFulfillmentStart',
  'Subscribed',
  'Suspended',
  'Unsubscribed',
];
/** Queries one page of the list may make (each reads at most `limit` index entries). */
const MAX_LIST_READS = 10;

/** The list's FilterExpression: every condition of the filter, and any one of `anyOf`. */
function listFilterOf(filter: SubscriptionFilter) {
  const names: Record<string, string> = {};
  const values: Item = {};
  const clauses: string[] = [];
  const tenantClause = (tenantId: string, placeholder: string) => {
    names['#beneficiary'] = 'beneficiary';
    names['#purchaser'] = 'purchaser';
    names['#tenantId'] = 'tenantId';
    values[placeholder] = tenantId;
    return `(#beneficiary.#tenantId = ${placeholder} OR #purchaser.#tenantId = ${placeholder})`;
  };
  for (const field of ['offerId', 'planId', 'partnerId'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    clauses.push(`#${field} = :${field}`);
  }
  if (filter.tenantId !== undefined) clauses.push(tenantClause(filter.tenantId, ':tenant'));
  if (filter.anyOf) {
    const options: string[] = [];
    const ids = filter.anyOf.ids ?? [];
    if (ids.length > 0) {
      names['#id'] = 'id';
      ids.forEach((id, i) => {
        values[`:id${i}`] = id;
      });
      options.push(`#id IN (${ids.map((_, i) => `:id${i}`).join(', ')})`);
    }
    if (filter.anyOf.tenantId !== undefined) options.push(tenantClause(filter.anyOf.tenantId, ':scopeTenant'));
    if (filter.anyOf.user !== undefined) {
      names['#beneficiary'] = 'beneficiary';
      names['#purchaser'] = 'purchaser';
      names['#tenantId'] = 'tenantId';
      names['#objectId'] = 'objectId';
      values[':userTenant'] = filter.anyOf.user.tenantId;
      values[':userObject'] = filter.anyOf.user.objectId;
      options.push(
        '((#beneficiary.#tenantId = :userTenant AND #beneficiary.#objectId = :userObject) OR ' +
          '(#purchaser.#tenantId = :userTenant AND #purchaser.#objectId = :userObject))',
      );
    }
    // A scope with neither ids nor a tenant matches nothing.
    // DynamoDB refuses redundant parentheses: a single option (already parenthesised if it is an OR) stands alone.
    clauses.push(
      options.length === 0
        ? 'attribute_not_exists(#pkNone)'
        : options.length === 1
          ? (options[0] as string)
          : `(${options.join(' OR ')})`,
    );
    if (options.length === 0) names['#pkNone'] = 'pk';
  }
  return { expression: clauses.join(' AND '), names, values };
}

function encodeListCursor(index: number, key: Item | undefined): string {
  return Buffer.from(JSON.stringify({ s: index, ...(key ? { k: key } : {}) })).toString('base64url');
}

/** @throws ValidationError for a cursor this list did not issue (a forged key must not reach another partition). */
function decodeListCursor(
  cursor: string | undefined,
  statuses: readonly SubscriptionStatus[],
): { index: number; key: Item | undefined } {
  if (cursor === undefined) return { index: 0, key: undefined };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new ValidationError('cursor is not valid; pass the nextCursor of the previous page', 'cursor', { cause });
  }
  const invalid = () =>
    new ValidationError(
      'cursor does not belong to this list (same filters); pass the nextCursor of the previous page',
      'cursor',
    );
  if (!isItem(decoded)) throw invalid();
  const index = decoded.s;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= statuses.length) throw invalid();
  if (decoded.k === undefined) return { index, key: undefined };
  const partition = statusPartition(statuses[index] as SubscriptionStatus);
  const key = decodeCursor(
    Buffer.from(JSON.stringify(decoded.k)).toString('base64url'),
    { attribute: 'gsi1pk', value: partition },
    ['pk', 'sk', 'gsi1pk', 'gsi1sk'],
  );
  return { index, key };
}

function storedSubscriptionOf(item: Item): StoredSubscription {
  const subscription: Item = { ...item };
  for (const attribute of STORE_ATTRIBUTES) delete subscription[attribute];
  return {
    subscription: subscription as unknown as Subscription,
    version: typeof item.version === 'number' ? item.version : 0,
    createdAt: typeof item.createdAt === 'string' ? item.createdAt : new Date(0).toISOString(),
  };
}

function operationRecordOf(item: Item): OperationRecord {
  const pk = String(item.pk ?? '');
  const sk = String(item.sk ?? '');
  const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const record: Record<string, unknown> = {
    subscriptionId: pk.slice(TABLE_PARTITION.subscription.length),
    operationId: sk.slice(OPERATION_SK_PREFIX.length),
    action: text('action') ?? '',
    state: text('state') ?? 'received',
    decision: text('decision'),
    reason: text('reason'),
    acknowledgedAt: text('acknowledgedAt'),
    outcome: text('outcome'),
    receivedAt: text('receivedAt') ?? new Date(0).toISOString(),
    completedAt: text('completedAt'),
    event: isItem(item.event) ? item.event : undefined,
    eventPublishedAt: text('eventPublishedAt'),
    answerQueuedAt: text('answerQueuedAt'),
  };
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record as unknown as OperationRecord;
}

function versionConflict(subscriptionId: string, cause: unknown): ConflictError {
  return new ConflictError(
    `Subscription ${subscriptionId} was changed by someone else since it was read; read it again and retry`,
    { cause },
  );
}

function iso(date: Date): string {
  return date.toISOString();
}
