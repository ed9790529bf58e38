import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, readString } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import type {
  ChannelAcceptance,
  EmailChannel,
  OutgoingEmail,
  OutgoingSms,
  SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';

const MAILBOX_PK = TABLE_PARTITION.localMailbox;
// For trying things out on a laptop: a week is plenty, then TTL removes them (as the alert outbox does).
const RETENTION_SECONDS = 7 * 24 * 3600;

/** One message the local mailbox kept. */
export interface MailboxMessage {
  readonly channel: 'email' | 'sms';
  readonly to: string;
  readonly subject?: string;
  readonly text: string;
  readonly sentAt: string;
  readonly messageId: string;
}

/**
 * The local mode's e-mail and SMS channel for contact messages (confirmations): fauxqs sends neither, so each message
 * is kept in the main table (`pk = LOCAL_MAILBOX`, `sk = <sent instant>#<id>`, a week) where the local-mode tests
 * and a person trying things out read the links. Never used in AWS (chosen only when the local outbox is set).
 */
export class DynamoLocalMailbox implements EmailChannel, SmsChannel {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  send(message: OutgoingEmail | OutgoingSms): Promise<ChannelAcceptance> {
    return 'subject' in message
      ? this.keep({ channel: 'email', to: message.to, subject: message.subject, text: message.text })
      : this.keep({ channel: 'sms', to: message.to, text: message.body });
  }

  /** The newest messages first. */
  async listRecent(limit = 50): Promise<MailboxMessage[]> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': MAILBOX_PK },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map((item) => ({
      channel: readString(item, 'channel') === 'sms' ? 'sms' : 'email',
      to: readString(item, 'to'),
      ...(typeof item.subject === 'string' ? { subject: item.subject } : {}),
      text: readString(item, 'text'),
      sentAt: readString(item, 'sentAt'),
      messageId: readString(item, 'messageId'),
    }));
  }

  private async keep(message: Omit<MailboxMessage, 'sentAt' | 'messageId'>): Promise<ChannelAcceptance> {
    const sentAt = this.now();
    const messageId = randomUUID();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: MAILBOX_PK,
          sk: `${sentAt.toISOString()}#${messageId}`,
          ...message,
          sentAt: sentAt.toISOString(),
          messageId,
          expiresAt: epochSeconds(sentAt) + RETENTION_SECONDS,
        },
      }),
    );
    return { messageId };
  }
}
