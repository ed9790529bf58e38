import {
  ReceiveMessageCommand,
  type SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE_QUEUE } from '#infra/resources.ts';
import { SqsUsageQueue, UsageQueueSendError } from '#shared/adapters/sqs/sqs-usage-queue.ts';
import { type UsageMessage, usageMessageSchema } from '#shared/domain/usage/usage-message.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/** Receives until `count` messages arrived (fauxqs, like SQS, returns at most 10 per call). */
async function receive(sqs: SQSClient, queueUrl: string, count: number): Promise<UsageMessage[]> {
  const received: UsageMessage[] = [];
  for (let attempt = 0; attempt < 20 && received.length < count; attempt++) {
    const page = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    // Read through the message contract, so a body the aggregator could not parse fails here.
    received.push(...(page.Messages ?? []).map((message) => usageMessageSchema.parse(JSON.parse(message.Body ?? ''))));
  }
  return received;
}

/** An SQS client that answers SendMessageBatch with scripted per-entry failures, recording each call's entry ids. */
function scriptedClient(failures: (id: string, call: number) => { code: string; senderFault: boolean } | undefined) {
  const calls: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand): Promise<Partial<SendMessageBatchCommandOutput>> => {
      const ids = (command.input.Entries ?? []).map((entry) => entry.Id ?? '');
      calls.push(ids);
      const outcome = ids.map((id) => ({ id, failure: failures(id, calls.length) }));
      return {
        Successful: outcome
          .filter((entry) => !entry.failure)
          .map((entry) => ({ Id: entry.id, MessageId: `msg-${entry.id}`, MD5OfMessageBody: '' })),
        Failed: outcome.flatMap((entry) =>
          entry.failure
            ? [{ Id: entry.id, Code: entry.failure.code, SenderFault: entry.failure.senderFault, Message: 'scripted' }]
            : [],
        ),
      };
    },
  };
  return { client: client as unknown as SQSClient, calls };
}

describe('SQS usage queue', () => {
  const { sqs } = localClients();
  let queueUrl: string;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    queueUrl = env[USAGE_QUEUE.envVar] ?? '';
  });

  it('delivers every message intact, in batches of at most 10', async () => {
    const messages = Array.from({ length: 23 }, (_, index) =>
      aUsageMessage({ slots: [aSlot({ quantity: `${index + 1}.000001` })] }),
    );

    await new SqsUsageQueue(sqs, queueUrl).send(messages);

    const received = await receive(sqs, queueUrl, messages.length);
    expect(received.map((message) => message.marker).sort()).toEqual(messages.map((m) => m.marker).sort());
    expect(received.find((message) => message.marker === messages[4]?.marker)).toEqual(messages[4]);
  });

  it('re-sends only the entries SQS reported failed, until they are accepted', async () => {
    const { client, calls } = scriptedClient((id, call) =>
      id === 'm1' && call < 3 ? { code: 'InternalError', senderFault: false } : undefined,
    );

    await new SqsUsageQueue(client, 'queue', { baseDelayMs: 1 }).send([aUsageMessage(), aUsageMessage()]);

    expect(calls).toEqual([['m0', 'm1'], ['m1'], ['m1']]);
  });

  it('fails after the last attempt when SQS keeps refusing an entry, so the request is not answered 202', async () => {
    const { client, calls } = scriptedClient(() => ({ code: 'ServiceUnavailable', senderFault: false }));

    const sending = new SqsUsageQueue(client, 'queue', { maxAttempts: 3, baseDelayMs: 1 }).send([aUsageMessage()]);

    await expect(sending).rejects.toThrow(UsageQueueSendError);
    expect(calls).toHaveLength(3);
  });

  it('does not retry an entry refused as the sender’s fault', async () => {
    const { client, calls } = scriptedClient(() => ({ code: 'InvalidMessageContents', senderFault: true }));

    await expect(new SqsUsageQueue(client, 'queue', { baseDelayMs: 1 }).send([aUsageMessage()])).rejects.toThrow(
      /InvalidMessageContents/,
    );
    expect(calls).toHaveLength(1);
  });

  it('refuses a message larger than SQS accepts before sending anything', async () => {
    const { client, calls } = scriptedClient(() => undefined);
    const huge = aUsageMessage({ slots: [aSlot({ dimension: 'x'.repeat(300_000) })] });

    await expect(new SqsUsageQueue(client, 'queue').send([huge])).rejects.toThrow(/exceed the SQS limit/);
    expect(calls).toEqual([]);
  });
});
