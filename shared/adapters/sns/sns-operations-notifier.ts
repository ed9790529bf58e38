import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { OperationsNotice, OperationsNotifier } from '#shared/use-cases/ports/operations-notifier.ts';

/** SNS limits a subject to 100 characters. */
const MAX_SUBJECT = 100;

/**
 * Notices on the operations SNS topic (`infra/resources.ts` OPERATIONS_TOPIC), beside the alarms: the subject and
 * message as given (an e-mail subscriber reads them as is), and the attributes `kind` and `subscriptionId` for
 * filtering.
 */
export class SnsOperationsNotifier implements OperationsNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: OperationsNotice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notice.subject.slice(0, MAX_SUBJECT),
        Message: notice.message,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: notice.kind },
          ...(notice.subscriptionId
            ? { subscriptionId: { DataType: 'String', StringValue: notice.subscriptionId } }
            : {}),
        },
      }),
    );
  }
}
