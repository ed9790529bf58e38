import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  epochSeconds,
  type Item,
  readNumber,
  readOptionalString,
  readString,
} from '#shared/adapters/dynamodb/dynamo-item.ts';
import type {
  AlertDeliveries,
  ContactDelivery,
  ContactDeliveryState,
  DeliveryClaim,
  DeliverySettlement,
} from '#shared/use-cases/alerts/ports/alert-deliveries.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';

const DELIVERY_SK_PREFIX = 'DELIVERY#';
// As long as the alert record itself (dynamo-alert-log.ts): the history shows each alert with its deliveries.
const RETENTION_SECONDS = 400 * 24 * 3600;
const STATES: readonly ContactDeliveryState[] = ['sending', 'sent', 'held', 'retry', 'suppressed', 'failed'];

const deliveryKey = (alertKey: string, contact: ContactAddress) => ({
  pk: `ALERT#${alertKey}`,
  sk: `${DELIVERY_SK_PREFIX}${contactKey(contact)}`,
});

/**
 * Per-contact deliveries in the main table, beside the alert record they belong to: `pk = ALERT#<alertKey>` (the
 * alert's own partition, `dynamo-alert-log.ts`), `sk = DELIVERY#<channel>:<address>`. One partition per alert, so
 * the deliveries of one alert (a handful of contacts) are one Query, and no key is shared by unrelated alerts.
 */
export class DynamoAlertDeliveries implements AlertDeliveries {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(alertKey: string, contact: ContactAddress, now: Date, leaseUntil: Date): Promise<DeliveryClaim> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKey(alertKey, contact),
          UpdateExpression:
            'SET #type = :type, alertKey = :alertKey, channel = :channel, address = :address, #state = :sending, ' +
            'leaseUntil = :lease, #at = :now, expiresAt = if_not_exists(expiresAt, :expires), ' +
            'attempts = if_not_exists(attempts, :zero) + :one REMOVE reason',
          // Absent, waiting (held / retry), or abandoned by a holder whose lease ran out: claimable. Sent, suppressed
          // and failed are final; a live `sending` belongs to another notifier.
          ConditionExpression:
            'attribute_not_exists(pk) OR #state IN (:held, :retry) OR (#state = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#at': 'at' },
          ExpressionAttributeValues: {
            ':type': 'AlertDelivery',
            ':alertKey': alertKey,
            ':channel': contact.channel,
            ':address': contact.address,
            ':sending': 'sending',
            ':held': 'held',
            ':retry': 'retry',
            ':lease': leaseUntil.toISOString(),
            ':now': now.toISOString(),
            ':expires': epochSeconds(now) + RETENTION_SECONDS,
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, attempts: readNumber(result.Attributes ?? {}, 'attempts') };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stored = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: deliveryKey(alertKey, contact), ConsistentRead: true }),
      );
      if (!stored.Item) throw new Error(`The delivery of alert ${alertKey} to ${contactKey(contact)} vanished`);
      return { claimed: false, existing: toDelivery(stored.Item) };
    }
  }

  async settle(
    alertKey: string,
    contact: ContactAddress,
    attempts: number,
    outcome: DeliverySettlement,
    at: Date,
  ): Promise<void> {
    const detail =
      outcome.state === 'sent'
        ? { set: 'messageId = :detail', remove: 'reason', value: outcome.messageId }
        : { set: 'reason = :detail', remove: 'messageId', value: outcome.reason };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKey(alertKey, contact),
          UpdateExpression: `SET #state = :state, #at = :at, ${detail.set} REMOVE leaseUntil, ${detail.remove}`,
          ConditionExpression: '#state = :sending AND attempts = :attempts',
          ExpressionAttributeNames: { '#state': 'state', '#at': 'at' },
          ExpressionAttributeValues: {
            ':state': outcome.state,
            ':at': at.toISOString(),
            ':detail': detail.value,
            ':sending': 'sending',
            ':attempts': attempts,
          },
        }),
      );
    } catch (error) {
      // Another notifier took over after this one's lease ran out: its outcome is the one that counts.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(alertKey: string): Promise<ContactDelivery[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `ALERT#${alertKey}`, ':prefix': DELIVERY_SK_PREFIX },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.map(toDelivery);
  }
}

function toDelivery(item: Item): ContactDelivery {
  const channel = readString(item, 'channel');
  if (channel !== 'email' && channel !== 'sms') throw new Error(`Stored delivery has an unknown channel ${channel}`);
  const state = readString(item, 'state') as ContactDeliveryState;
  if (!STATES.includes(state)) throw new Error(`Stored delivery has an unknown state ${state}`);
  const reason = readOptionalString(item, 'reason');
  const messageId = readOptionalString(item, 'messageId');
  return {
    alertKey: readString(item, 'alertKey'),
    contact: { channel, address: readString(item, 'address') },
    state,
    ...(reason === undefined ? {} : { reason }),
    ...(messageId === undefined ? {} : { messageId }),
    at: readString(item, 'at'),
    attempts: readNumber(item, 'attempts'),
  };
}
