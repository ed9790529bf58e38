import {
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { type AlertRecipient, recipientAddress } from '#shared/domain/alerts/alert.ts';
import {
  ALERT_FILTER_ATTRIBUTE,
  type AlertMessage,
  alertAttributes,
  alertFromNotification,
  toAlertNotification,
} from '#shared/domain/alerts/alert-message.ts';
import type { AlertPublisher } from '#shared/use-cases/alerts/ports/alert-publisher.ts';

/**
 * Alerts on the SNS alerts topic (`infra/resources.ts` ALERTS_TOPIC).
 *
 * Publishing: `alertPublishInput`. The message's fields, JSON form and attributes are those of
 * `#shared/domain/alerts/alert-message.ts`; this adapter only wraps them for SNS.
 *
 * Delivery to people is not SNS's: the notifications queue is subscribed to the topic (raw delivery) and the
 * notifier sends each alert by SES and End User Messaging to the recipient's contacts according to their stored
 * states (`notify-recipient.ts`). No contact is subscribed here, so the topic's filter-policy limit (200 per topic)
 * never binds whatever the number of contacts.
 *
 * The local outbox queue alone is subscribed per recipient (`subscribeQueue`), with the filter policy
 * `{"recipient": [...]}` (`ALERT_FILTER_ATTRIBUTE`) widened for each recipient it serves: a laptop's handful.
 *
 * Local mode: fauxqs delivers only to SQS and, unlike SNS, passes the whole JSON structure to SQS instead of its
 * `default` entry; `alertFromSqsBody` reads both forms.
 */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    const result = await this.client.send(new PublishCommand(alertPublishInput(this.topicArn, message)));
    if (!result.MessageId) throw new Error('SNS accepted the alert but returned no message id');
    return { messageId: result.MessageId };
  }

  /**
   * Subscribes an SQS queue to a recipient's alerts with a filter policy on the recipient: the local mode's outbox,
   * which shows what each recipient was sent. The queue's policy must
   * let the topic send to it (in AWS; fauxqs does not check).
   * @returns the subscription ARN.
   */
  async subscribeQueue(recipient: AlertRecipient, queueArn: string): Promise<string> {
    return this.subscribe(recipient, 'sqs', queueArn);
  }

  private async subscribe(recipient: AlertRecipient, protocol: string, endpoint: string): Promise<string> {
    const address = recipientAddress(recipient);
    try {
      const result = await this.client.send(
        new SubscribeCommand({
          TopicArn: this.topicArn,
          Protocol: protocol,
          Endpoint: endpoint,
          Attributes: { FilterPolicy: filterPolicy([address]), FilterPolicyScope: 'MessageAttributes' },
          ReturnSubscriptionArn: true,
        }),
      );
      if (!result.SubscriptionArn) throw new Error(`SNS returned no subscription for ${protocol} ${endpoint}`);
      return result.SubscriptionArn;
    } catch (error) {
      // SNS refuses a second subscription of the same endpoint with other attributes: the endpoint is already
      // registered for another recipient, so widen its policy to both.
      if (!(error instanceof InvalidParameterException) || !/already exists/i.test(error.message)) throw error;
      return this.addRecipientToExisting(protocol, endpoint, address, error);
    }
  }

  private async addRecipientToExisting(
    protocol: string,
    endpoint: string,
    address: string,
    cause: unknown,
  ): Promise<string> {
    const arn = await this.findSubscription(protocol, endpoint);
    if (!arn?.startsWith('arn:')) {
      // An e-mail subscription waiting for confirmation has no ARN yet and cannot be changed.
      throw new Error(`The ${protocol} subscription of ${endpoint} is pending confirmation; register it again later`, {
        cause,
      });
    }
    const recipients = await this.recipientsOfSubscription(arn);
    if (!recipients.includes(address)) await this.setRecipients(arn, [...recipients, address].sort());
    return arn;
  }

  /** The recipients a subscription's filter policy lets through. */
  private async recipientsOfSubscription(arn: string): Promise<string[]> {
    const attributes = await this.client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
    return recipientsOf(attributes.Attributes?.FilterPolicy);
  }

  private async setRecipients(arn: string, recipients: readonly string[]): Promise<void> {
    await this.client.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: arn,
        AttributeName: 'FilterPolicy',
        AttributeValue: filterPolicy(recipients),
      }),
    );
  }

  private async findSubscription(protocol: string, endpoint: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, NextToken: nextToken }),
      );
      const found = page.Subscriptions?.find((s) => s.Protocol === protocol && s.Endpoint === endpoint);
      if (found) return found.SubscriptionArn;
      nextToken = page.NextToken;
    } while (nextToken);
    return undefined;
  }
}

/**
 * How one alert is published: `MessageStructure: 'json'`, so each protocol gets its own text — `email`: the subject
 * and body (the subject also goes in `Subject`, which SNS uses as the mail subject), `sms`: the one-segment text,
 * `default`: the alert's JSON form for every other protocol (SQS, HTTPS, Lambda) — and the alert's attributes.
 */
export function alertPublishInput(topicArn: string, message: AlertMessage): PublishCommandInput {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(alertAttributes(message))) attributes[name] = text(value);
  return {
    TopicArn: topicArn,
    MessageStructure: 'json',
    Message: JSON.stringify({
      default: JSON.stringify(toAlertNotification(message)),
      email: `${message.subject}\n\n${message.body}`,
      sms: message.sms,
    }),
    Subject: message.subject,
    MessageAttributes: {
      ...attributes,
      // Alerts are time-critical: transactional SMS are delivered with priority (and not subject to opt-out
      // quiet hours that apply to promotional ones in some countries).
      'AWS.SNS.SMS.SMSType': text('Transactional'),
    },
  };
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function filterPolicy(recipients: readonly string[]): string {
  return JSON.stringify({ [ALERT_FILTER_ATTRIBUTE]: recipients });
}

function recipientsOf(policy: string | undefined): string[] {
  if (!policy) return [];
  const parsed: unknown = JSON.parse(policy);
  const values = isRecord(parsed) ? parsed[ALERT_FILTER_ATTRIBUTE] : undefined;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The alert carried by an SQS message from the alerts topic, whether delivered raw or in the SNS envelope, and
 * whether the `default` entry was extracted (SNS) or the whole JSON structure passed on (fauxqs).
 * @throws {SyntaxError} when the body is not JSON.
 * @throws {ValidationError} when it is not an alert (`alertFromNotification`).
 */
export function alertFromSqsBody(sqsBody: string): AlertMessage {
  let message: unknown = JSON.parse(sqsBody);
  if (isRecord(message) && message.Type === 'Notification' && typeof message.Message === 'string') {
    message = JSON.parse(message.Message);
  }
  if (isRecord(message) && typeof message.default === 'string' && !('alertKey' in message)) {
    message = JSON.parse(message.default);
  }
  return alertFromNotification(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
