import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type {
  MeteringAlertPublisher,
  MeteringRejectedAlert,
} from '#shared/use-cases/metering/ports/metering-alert-publisher.ts';

/**
 * Metering alerts on the SNS lifecycle topic (`infra/resources.ts` LIFECYCLE_TOPIC), beside the lifecycle events: the
 * message is the alert as JSON, with the attributes `eventType` (`MeteringRejected`), `subscriptionId` and, when
 * known, `offerId` and `planId`, so the publisher's app subscribes with a filter policy such as
 * `{"eventType": ["MeteringRejected"]}`.
 */
export class SnsMeteringAlertPublisher implements MeteringAlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publishMeteringRejected(alert: MeteringRejectedAlert): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      eventType: text(alert.type),
      subscriptionId: text(alert.subscriptionId),
    };
    if (alert.offerId) attributes.offerId = text(alert.offerId);
    if (alert.planId) attributes.planId = text(alert.planId);
    await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Message: JSON.stringify(alert), MessageAttributes: attributes }),
    );
  }
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
