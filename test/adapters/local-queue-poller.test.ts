import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { startQueuePoller } from '#infra/local/queue-poller.ts';
import { USAGE_QUEUE } from '#infra/resources.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
};

describe('the local stand-in for the SQS event source mapping', () => {
  const { sqs } = localClients();
  let queueUrl = '';

  beforeAll(async () => {
    queueUrl = (await provisionIsolatedResources())[USAGE_QUEUE.envVar] ?? '';
  });

  async function send(bodies: string[]) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
  }

  async function visibleAndInFlight(): Promise<number> {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(attributes.Attributes?.ApproximateNumberOfMessages) +
      Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  it('hands batches to the handler and deletes all but the messages it reports as failed', async () => {
    const seen: string[] = [];
    const poller = startQueuePoller(sqs, {
      queueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:usage',
      batchSize: 10,
      onError: () => undefined,
      handler: async (event: SQSEvent) => {
        seen.push(...event.Records.map((record) => record.body));
        const failures = event.Records.filter((record) => record.body === 'poison');
        return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });

    await send(['a', 'b', 'poison', 'c']);
    await until(() => seen.length >= 4);
    await poller.stop();

    expect(seen.sort()).toEqual(['a', 'b', 'c', 'poison']);
    // Only the failed message is left, waiting for its visibility timeout to end.
    expect(await visibleAndInFlight()).toBe(1);
  });
});
