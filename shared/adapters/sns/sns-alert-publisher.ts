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
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { type AlertRecipient, recipientAddress } from '#shared/domain/alerts/alert.ts';
import {
  ALERT_FILTER_ATTRIBUTE,
  type AlertMessage,
  alertAttributes,
  alertFromNotification,
  toAlertNotification,
} from '#shared/domain/alerts/alert-message.ts';
import type {
  AlertContact,
  AlertContactRegistry,
  AlertPublisher,
} from '#shared/use-cases/alerts/ports/alert-publisher.ts';

/**
 * Alerts on the SNS alerts topic (`infra/resources.ts` ALERTS_TOPIC).
 *
 * Publishing: `alertPublishInput`. The message's fields, JSON form and attributes are those of
 * `#shared/domain/alerts/alert-message.ts`; this adapter only wraps them for SNS.
 *
 * Isolation (DESIGN invariant 7): every contact is subscribed with the filter policy `{"recipient": [<its
 * recipient>]}` (`ALERT_FILTER_ATTRIBUTE`) on the message attributes, so it receives its own recipient's alerts and
 * nothing else. SNS keeps one subscription per (topic, protocol, endpoint): an address registered for two recipients
 * gets one subscription whose policy lists both.
 *
 * Local mode: fauxqs delivers only to SQS and, unlike SNS, passes the whole JSON structure to SQS instead of its
 * `default` entry; `alertFromSqsBody` reads both forms.
 */
export class SnsAlertPublisher implements AlertPublisher, AlertContactRegistry {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    const result = await this.client.send(new PublishCommand(alertPublishInput(this.topicArn, message)));
    if (!result.MessageId) throw new Error('SNS accepted the alert but returned no message id');
    return { messageId: result.MessageId };
  }

  async registerContact(recipient: AlertRecipient, contact: AlertContact): Promise<string> {
    return contact.protocol === 'email'
      ? this.subscribe(recipient, 'email', contact.address)
      : this.subscribe(recipient, 'sms', contact.phone);
  }

  async removeContact(recipient: AlertRecipient, contact: AlertContact): Promise<void> {
    const [protocol, endpoint] = contact.protocol === 'email' ? ['email', contact.address] : ['sms', contact.phone];
    const arn = await this.findSubscription(protocol, endpoint);
    // Not subscribed, or an e-mail never confirmed (no ARN to act on; SNS drops unconfirmed ones after 3 days).
    if (!arn?.startsWith('arn:')) return;
    const address = recipientAddress(recipient);
    const recipients = await this.recipientsOfSubscription(arn);
    const remaining = recipients.filter((other) => other !== address);
    if (remaining.length === recipients.length) return;
    if (remaining.length === 0) await this.client.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    else await this.setRecipients(arn, remaining);
  }

  /**
   * Subscribes an SQS queue to a recipient's alerts with the same filter policy as its contacts: the local mode's
   * stand-in for e-mail and SMS (fauxqs cannot send either), and a programmable channel in AWS. The queue's policy must
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
