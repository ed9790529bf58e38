import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceEnv } from '#infra/local/provision.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
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

  it('is safe to provision twice with the same definitions', async () => {
    await expect(provisionIsolatedResources()).resolves.toHaveProperty(MAIN_TABLE.envVar);
  });
});
