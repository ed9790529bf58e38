import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceEnv } from '#infra/local/provision.ts';
import { DEAD_LETTER_QUEUE, MAIN_TABLE, OPERATION_ANSWERS_QUEUE, QUEUES, USAGE_QUEUE } from '#infra/resources.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

describe('local stack provisioned from the CDK resource definitions', () => {
  let env: ResourceEnv;
  const { documentClient, sqs } = localClients();

  beforeAll(async () => {
    env = await provisionIsolatedResources();
  });

  it('creates the main table so an item written can be read back', async () => {
    const tableName = env[MAIN_TABLE.envVar];
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: 'a', sk: 'b', value: 42 } }));

    const read = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: 'a', sk: 'b' } }));

    expect(read.Item).toEqual({ pk: 'a', sk: 'b', value: 42 });
  });

  it('creates the usage queue so a message sent can be received', async () => {
    const queueUrl = env[USAGE_QUEUE.envVar];
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));

    expect(received.Messages?.[0]?.Body).toBe('hello');
  });

  it('gives every queue the one dead-letter queue, kept 14 days, as the stateful stack does', async () => {
    const attributes = async (
      queueUrl: string | undefined,
      names: ('RedrivePolicy' | 'QueueArn' | 'MessageRetentionPeriod')[],
    ) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }))).Attributes ?? {};
    const policies = await Promise.all(
      QUEUES.map(async (queue) =>
        JSON.parse((await attributes(env[queue.envVar], ['RedrivePolicy'])).RedrivePolicy ?? '{}'),
      ),
    );
    const targets = new Set(policies.map((policy) => policy.deadLetterTargetArn));

    expect(targets.size).toBe(1);
    const [target] = [...targets];
    expect(target).toMatch(new RegExp(`-${DEAD_LETTER_QUEUE.id}$`));
    expect(policies.map((policy) => Number(policy.maxReceiveCount))).toEqual(
      QUEUES.map((queue) => queue.maxReceiveCount),
    );
    const name = String(target).split(':').pop();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    expect((await attributes(QueueUrl, ['MessageRetentionPeriod'])).MessageRetentionPeriod).toBe(
      String(DEAD_LETTER_QUEUE.retentionDays * 24 * 3600),
    );
  });

  it('moves a message that failed its receives to the dead-letter queue', async () => {
    const queueUrl = env[OPERATION_ANSWERS_QUEUE.envVar];
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'never answered' }));
    for (let receive = 0; receive < OPERATION_ANSWERS_QUEUE.maxReceiveCount; receive++) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      const handle = received.Messages?.[0]?.ReceiptHandle;
      expect(handle, `receive ${receive + 1}`).toBeDefined();
      // Failed at once: visible again for the next receive.
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }),
      );
    }
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    const prefix = String(queueUrl)
      .split('/')
      .pop()
      ?.replace(new RegExp(`-${OPERATION_ANSWERS_QUEUE.id}$`), '');
    const { QueueUrl: deadLetters } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: `${prefix}-${DEAD_LETTER_QUEUE.id}` }),
    );

    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetters, WaitTimeSeconds: 1 }));

    expect(dead.Messages?.[0]?.Body).toBe('never answered');
  });

  it('is safe to provision twice with the same definitions', async () => {
    await expect(provisionIsolatedResources()).resolves.toHaveProperty(MAIN_TABLE.envVar);
  });
});
