import { randomUUID } from 'node:crypto';
import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseLifecycleEvent } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import type { LifecycleEvent } from '#shared/use-cases/fulfillment/ports/lifecycle-publisher.ts';

export interface ReceivedLifecycleEvent {
  readonly event: LifecycleEvent;
  /** The SNS message attributes, by name. */
  readonly attributes: Record<string, string>;
}

/**
 * An SQS queue subscribed to the lifecycle topic, as a publisher's provisioning service would subscribe one: the
 * way tests observe what reached the topic (in fauxqs). `filterPolicy` narrows it like a real subscriber would.
 */
export async function subscribeLifecycleQueue(
  clients: { sns: SNSClient; sqs: SQSClient },
  topicArn: string,
  filterPolicy?: Record<string, string[]>,
): Promise<{ drain: () => Promise<ReceivedLifecycleEvent[]> }> {
  const { sns, sqs } = clients;
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `lifecycle-${randomUUID()}` }));
  const url = created.QueueUrl ?? '';
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn ?? '',
      ...(filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(filterPolicy) } } : {}),
    }),
  );
  return {
    /** Every message now in the queue (deleted once read), oldest first as far as SQS orders them. */
    async drain() {
      const received: ReceivedLifecycleEvent[] = [];
      for (;;) {
        const page = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: received.length === 0 ? 1 : 0,
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = page.Messages ?? [];
        if (messages.length === 0) return received;
        for (const message of messages) {
          const body = message.Body ?? '';
          const envelope = JSON.parse(body) as { MessageAttributes?: Record<string, { Value: string }> };
          received.push({
            event: parseLifecycleEvent(body),
            attributes: Object.fromEntries(
              Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [name, value.Value]),
            ),
          });
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
            })),
          }),
        );
      }
    },
  };
}
