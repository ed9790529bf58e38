import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEvent,
  type LifecyclePublisher,
} from '#shared/use-cases/fulfillment/ports/lifecycle-publisher.ts';

/**
 * Lifecycle events on the SNS lifecycle topic (`infra/resources.ts` LIFECYCLE_TOPIC): the message is the event as
 * JSON, and the message attributes `eventType`, `subscriptionId`, `offerId` and `planId` let a subscriber filter
 * (e.g. an SQS queue of the publisher's provisioning service with `{"eventType": ["SubscriptionActivated"]}`).
 */
export class SnsLifecyclePublisher implements LifecyclePublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: LifecycleEvent): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          eventType: text(event.type),
          subscriptionId: text(event.subscriptionId),
          offerId: text(event.offerId),
          planId: text(event.planId),
        },
      }),
    );
  }
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/**
 * The lifecycle event in an SQS message from the lifecycle topic, delivered raw or inside the SNS envelope.
 * @throws Error when the body is not a lifecycle event.
 */
export function parseLifecycleEvent(sqsBody: string): LifecycleEvent {
  let message: unknown = JSON.parse(sqsBody);
  if (isRecord(message) && message.Type === 'Notification' && typeof message.Message === 'string') {
    message = JSON.parse(message.Message);
  }
  if (
    !isRecord(message) ||
    !(LIFECYCLE_EVENT_TYPES as readonly unknown[]).includes(message.type) ||
    typeof message.subscriptionId !== 'string'
  ) {
    throw new Error('The message is not a lifecycle event');
  }
  return message as unknown as LifecycleEvent;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
