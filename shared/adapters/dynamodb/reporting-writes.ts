import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  NumberValue,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '#shared/adapters/dynamodb/dynamo-item.ts';
import {
  reportedPk,
  reportedSk,
  slotSk,
  subscriptionPk,
  unreportedIndexKey,
  unreportedShardOf,
  unreportedSlotSortKey,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { sleep } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { submissionAttribute } from '#shared/adapters/dynamodb/reporting-slot-codec.ts';
import { MAIN_TABLE_KEYS, mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import type { SubmissionState } from '#shared/domain/reporting/slots.ts';
import type { SlotAccounting, SlotAnswer } from '#shared/use-cases/metering/ports/reporting-ledger.ts';

/**
 * The reporter's writes to slots and reported totals, each guarded by a condition that makes a concurrent change
 * fail it rather than be overwritten, and the one way they are sent (`writeReportingItems`).
 */

const CONFLICT_ATTEMPTS = 5;
const CONFLICT_BASE_DELAY_MS = 20;
const INDEX = MAIN_TABLE_KEYS.index;

/**
 * The write-ahead of one slot: what the reporter accounted (and any late or unreportable quantity, the prepared
 * submission, the index keys set, kept or cleared), on the condition that the aggregated quantity and the report
 * version are still what the reporter read.
 */
export function slotAccountingUpdate(tableName: string, step: SlotAccounting, now: string): TransactItem {
  const names: Record<string, string> = {
    '#quantity': 'quantity',
    '#eventCount': 'eventCount',
    '#reportVersion': 'reportVersion',
    '#accounted': 'accountedQuantity',
    '#type': 'type',
    '#subscriptionId': 'subscriptionId',
    '#offerId': 'offerId',
    '#dimension': 'dimension',
    '#hour': 'hour',
    '#reportedAt': 'reportedAt',
  };
  const values: Record<string, unknown> = {
    ':zero': 0,
    ':one': 1,
    ':accounted': NumberValue.from(step.accountedQuantity),
    ':type': 'UsageSlot',
    ':subscriptionId': step.slot.subscriptionId,
    ':offerId': step.slot.offerId,
    ':dimension': step.slot.dimension,
    ':hour': step.slot.hour,
    ':now': now,
  };
  // ADD of 0 creates `quantity` and `eventCount` on a slot made for carry, so the aggregator's readers always find
  // the numbers; on an existing slot it changes nothing.
  const additions = ['#quantity :zero', '#eventCount :zero', '#reportVersion :one'];
  const sets = [
    '#accounted = :accounted',
    '#type = if_not_exists(#type, :type)',
    '#subscriptionId = if_not_exists(#subscriptionId, :subscriptionId)',
    '#offerId = if_not_exists(#offerId, :offerId)',
    '#dimension = if_not_exists(#dimension, :dimension)',
    '#hour = if_not_exists(#hour, :hour)',
    '#reportedAt = :now',
  ];
  const removals: string[] = [];
  if (step.addLate) {
    names['#late'] = 'lateQuantity';
    values[':late'] = NumberValue.from(step.addLate);
    additions.push('#late :late');
  }
  if (step.addUnreportable) {
    names['#unreportable'] = 'unreportableQuantity';
    values[':unreportable'] = NumberValue.from(step.addUnreportable);
    additions.push('#unreportable :unreportable');
  }
  if (step.submission) {
    names['#submission'] = 'submission';
    values[':submission'] = submissionAttribute(step.submission);
    sets.push('#submission = :submission');
  }
  if (step.index !== 'keep') {
    names['#gsi1pk'] = INDEX.partitionKey;
    names['#gsi1sk'] = INDEX.sortKey;
  }
  if (step.index === 'set') {
    values[':gsi1pk'] = unreportedIndexKey(unreportedShardOf(step.slot.subscriptionId));
    values[':gsi1sk'] = unreportedSlotSortKey(step.slot.hour, step.slot.subscriptionId, step.slot.dimension);
    sets.push('#gsi1pk = :gsi1pk', '#gsi1sk = :gsi1sk');
  }
  if (step.index === 'clear') removals.push('#gsi1pk', '#gsi1sk');
  const expectedQuantity = new Dec(step.expected.quantity);
  values[':expectedQuantity'] = NumberValue.from(expectedQuantity.toString());
  // The write-ahead's guard: the quantity is still what was accounted (no aggregation landed in between) and no
  // other reporter wrote the slot since it was read.
  const quantityCondition = expectedQuantity.isZero()
    ? '(attribute_not_exists(#quantity) OR #quantity = :expectedQuantity)'
    : '#quantity = :expectedQuantity';
  let versionCondition = 'attribute_not_exists(#reportVersion)';
  if (step.expected.reportVersion > 0) {
    values[':expectedVersion'] = step.expected.reportVersion;
    versionCondition = '#reportVersion = :expectedVersion';
  }
  return {
    Update: {
      TableName: tableName,
      Key: mainTableKey(subscriptionPk(step.slot.subscriptionId), slotSk(step.slot.dimension, step.slot.hour)),
      UpdateExpression:
        `ADD ${additions.join(', ')} SET ${sets.join(', ')}` +
        (removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''),
      ConditionExpression: `${quantityCondition} AND ${versionCondition}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Records Microsoft's answer on a slot whose submission is still pending; with `clearIndex`, also takes the slot out
 * of the unreported index, on the condition that nothing was aggregated into it since it was accounted.
 */
export function answerUpdate(tableName: string, answer: SlotAnswer, clearIndex: boolean, now: string): TransactItem {
  const names: Record<string, string> = {
    '#submission': 'submission',
    '#state': 'state',
    '#reportVersion': 'reportVersion',
    '#reportedAt': 'reportedAt',
  };
  let condition = '#submission.#state = :pending';
  if (clearIndex) {
    names['#quantity'] = 'quantity';
    names['#accounted'] = 'accountedQuantity';
    names['#gsi1pk'] = INDEX.partitionKey;
    names['#gsi1sk'] = INDEX.sortKey;
    condition += ' AND #quantity = #accounted';
  }
  return {
    Update: {
      TableName: tableName,
      Key: mainTableKey(subscriptionPk(answer.slot.subscriptionId), slotSk(answer.slot.dimension, answer.slot.hour)),
      UpdateExpression:
        'SET #submission = :submission, #reportedAt = :now ADD #reportVersion :one' +
        (clearIndex ? ' REMOVE #gsi1pk, #gsi1sk' : ''),
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':submission': submissionAttribute(answer.submission),
        ':pending': 'pending' satisfies SubmissionState,
        ':now': now,
        ':one': 1,
      },
    },
  };
}

/** Adds an accepted submission's quantity to the day's reported total of its subscription and dimension. */
export function reportedTotalUpdate(tableName: string, answer: SlotAnswer, now: string): TransactItem {
  return reportedTotalsUpdates(tableName, [answer], now)[0] as TransactItem;
}

/**
 * The reported-total additions of several accepted submissions, one update per (day, subscription, dimension) with
 * their quantities summed: a transaction may not name one item twice.
 */
export function reportedTotalsUpdates(tableName: string, answers: readonly SlotAnswer[], now: string): TransactItem[] {
  const totals = new Map<string, { answer: SlotAnswer; quantity: Dec; events: number }>();
  for (const answer of answers) {
    if (!answer.reported) continue;
    const key = `${answer.slot.hour.slice(0, 10)}|${answer.slot.subscriptionId}|${answer.slot.dimension}`;
    const total = totals.get(key);
    if (total) {
      total.quantity = total.quantity.plus(answer.reported.quantity);
      total.events += 1;
    } else totals.set(key, { answer, quantity: new Dec(answer.reported.quantity), events: 1 });
  }
  return [...totals.values()].map(({ answer, quantity, events }) =>
    reportedTotalAdd(tableName, answer, quantity.toString(), events, now),
  );
}

function reportedTotalAdd(tableName: string, answer: SlotAnswer, quantity: string, events: number, now: string) {
  const day = answer.slot.hour.slice(0, 10);
  return {
    Update: {
      TableName: tableName,
      Key: mainTableKey(
        reportedPk(day, unreportedShardOf(answer.slot.subscriptionId)),
        reportedSk(answer.slot.subscriptionId, answer.slot.dimension),
      ),
      UpdateExpression:
        'ADD #quantity :quantity, #eventCount :one ' +
        'SET #type = :type, #day = :day, #sub = :sub, #dimension = :dimension, #updatedAt = :now',
      ExpressionAttributeNames: {
        '#quantity': 'quantity',
        '#eventCount': 'eventCount',
        '#type': 'type',
        '#day': 'day',
        '#sub': 'subscriptionId',
        '#dimension': 'dimension',
        '#updatedAt': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':quantity': NumberValue.from(quantity),
        ':one': events,
        ':type': 'ReportedUsageDay',
        ':day': day,
        ':sub': answer.slot.subscriptionId,
        ':dimension': answer.slot.dimension,
        ':now': now,
      },
    },
  };
}

/**
 * Writes the items (one Update/Put alone, several in a transaction). A concurrent transaction on the same items is
 * retried here after a short jittered pause; a failed condition is returned with the index of the failed items.
 * @throws Error from DynamoDB for any other failure, or a conflict that persisted over every attempt.
 */
export async function writeReportingItems(
  client: DynamoDBDocumentClient,
  items: readonly TransactItem[],
): Promise<'written' | { failed: Set<number> }> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (items.length === 1) await sendSingle(client, items[0] as TransactItem);
      else await client.send(new TransactWriteCommand({ TransactItems: [...items] }));
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { failed: new Set([0]) };
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = new Set(
        reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : [])),
      );
      if (failed.size > 0) return { failed };
      if (attempt >= CONFLICT_ATTEMPTS) throw error;
      await sleep(CONFLICT_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** A single write needs no transaction: sent as the plain Update or Put, which costs half the capacity. */
async function sendSingle(client: DynamoDBDocumentClient, item: TransactItem): Promise<void> {
  if (item.Update) {
    await client.send(new UpdateCommand(item.Update as ConstructorParameters<typeof UpdateCommand>[0]));
  } else if (item.Put) {
    await client.send(new PutCommand(item.Put as ConstructorParameters<typeof PutCommand>[0]));
  } else {
    throw new Error('unsupported write');
  }
}
