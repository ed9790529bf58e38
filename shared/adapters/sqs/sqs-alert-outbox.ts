import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Item, readDate, readString } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { alertFromSqsBody } from '#shared/adapters/sns/sns-alert-publisher.ts';
import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { alertNotificationSchema, toAlertNotification } from '#shared/domain/alerts/alert-message.ts';
import type { AlertOutbox, OutboxMessage } from '#shared/use-cases/alerts/ports/alert-outbox.ts';

/** What subscribes a queue to a recipient's alerts with the recipient's filter policy (`SnsAlertPublisher`). */
export interface QueueSubscriber {
  subscribeQueue(recipient: AlertRecipient, queueArn: string): Promise<string>;
}

const OUTBOX_PK = TABLE_PARTITION.alertOutbox;
// The outbox is for trying things out on a laptop: a week of alerts is plenty, then TTL removes them.
const RETENTION_SECONDS = 7 * 24 * 3600;
// Each read moves at most this many receives' worth (10 messages each) from the queue into the table.
const MAX_RECEIVES_PER_READ = 20;
const MAX_LIST = 100;

/**
 * The local mode's alert outbox: an SQS queue (in fauxqs) subscribed to the alerts topic once per recipient with the
 * same filter policy as the recipient's e-mail and SMS contacts, so it receives exactly the alerts those would have.
 *
 * Reading: SQS cannot list a queue without consuming it (a receive hides each message for the visibility timeout, and
 * a receive with a zero timeout returns the same first messages again and again), so each read moves whatever waits in
 * the queue into the main table — `pk = ALERT_OUTBOX`, `sk = <sent instant ISO>#<message id>`, kept a week (TTL) — and
 * only then deletes it from the queue, and lists the table newest first. A message that is copied but not deleted
 * (a crash in between) is copied again under the same key: the copy is idempotent. A redelivered SNS message keeps its
 * SNS message id, so the outbox shows each delivery once and a duplicate publish as two entries — what a mailbox would.
 * Messages that are not alerts are deleted without a copy.
 */
export class SqsAlertOutbox implements AlertOutbox {
  private queueArn: Promise<string> | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly subscriber: QueueSubscriber,
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async subscribeRecipient(recipient: AlertRecipient): Promise<void> {
    await this.subscriber.subscribeQueue(recipient, await this.arn());
  }

  async listRecent(limit: number): Promise<OutboxMessage[]> {
    await this.moveQueuedMessages();
    const page = await this.documentClient.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': OUTBOX_PK },
        ScanIndexForward: false,
        Limit: Math.min(Math.max(1, limit), MAX_LIST),
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map(toMessage);
  }

  private arn(): Promise<string> {
    this.queueArn ??= this.sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }))
      .then((result) => {
        const arn = result.Attributes?.QueueArn;
        if (!arn) throw new Error(`The alert outbox queue ${this.queueUrl} has no ARN`);
        return arn;
      });
    this.queueArn.catch(() => {
      this.queueArn = undefined;
    });
    return this.queueArn;
  }

  private async moveQueuedMessages(): Promise<void> {
    for (let receive = 0; receive < MAX_RECEIVES_PER_READ; receive++) {
      const page = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) return;
      for (const message of messages) {
        const item = toItem(message);
        if (item) await this.documentClient.send(new PutCommand({ TableName: this.tableName, Item: item }));
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
}

/** The fields of an alert's JSON form the outbox shows: all but the customer id and the facts. */
const shownSchema = alertNotificationSchema.omit({ customerId: true, facts: true });

function toItem(message: Message): Item | undefined {
  const body = message.Body ?? '';
  let shown: ReturnType<typeof shownSchema.parse>;
  try {
    shown = shownSchema.parse(toAlertNotification(alertFromSqsBody(body)));
  } catch {
    return undefined;
  }
  const envelope = safeJson(body);
  const messageId =
    (typeof envelope?.MessageId === 'string' ? envelope.MessageId : undefined) ?? message.MessageId ?? 'unknown';
  const sentMs =
    (typeof envelope?.Timestamp === 'string' ? Date.parse(envelope.Timestamp) : Number.NaN) ||
    Number(message.Attributes?.SentTimestamp);
  const sentAt = new Date(Number.isFinite(sentMs) && sentMs > 0 ? sentMs : 0);
  return {
    pk: OUTBOX_PK,
    sk: `${sentAt.toISOString()}#${messageId}`,
    type: 'AlertOutboxMessage',
    messageId,
    sentAt: sentAt.toISOString(),
    ...shown,
    expiresAt: epochSeconds(sentAt.getTime() > 0 ? sentAt : new Date()) + RETENTION_SECONDS,
  };
}

function toMessage(item: Item): OutboxMessage {
  const { threshold, ...shown } = shownSchema.parse(item);
  return {
    messageId: readString(item, 'messageId'),
    sentAt: readDate(item, 'sentAt'),
    ...shown,
    ...(threshold === undefined ? {} : { threshold }),
  };
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
