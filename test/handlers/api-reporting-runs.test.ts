import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE, USAGE_REPORT_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];

describe('the usage reporter runs (GET and POST /v1/reporting/runs) on DynamoDB Local and fauxqs', () => {
  let handler: Handler;
  let queueUrl: string;
  const keys = { publisher: '', customer: '' };

  const call = async (method: string, path: string, apiKey?: string) =>
    (await handler(httpEvent(method, path, { apiKey }), aLambdaContext('Api'))) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    queueUrl = resources[USAGE_REPORT_QUEUE.envVar] ?? '';
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const { documentClient } = localClients();
    const deps = {
      apiKeys: new DynamoApiKeyStore(documentClient, resources[MAIN_TABLE.envVar] ?? ''),
      codec: apiKeyCodec,
      clock: systemClock,
    };
    keys.publisher = (await createApiKey(deps, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    keys.customer = (
      await createApiKey(deps, aPublisher(), { name: 'customer', role: 'customer', tenantId: `t-${randomUUID()}` })
    ).token;
  });

  it('starts a run now for a publisher key, queues one message per shard, and lists it newest first', async () => {
    const first = await call('POST', '/v1/reporting/runs', keys.publisher);
    const second = await call('POST', '/v1/reporting/runs', keys.publisher);
    const listed = await call('GET', '/v1/reporting/runs?limit=1', keys.publisher);
    const next = await call(
      'GET',
      `/v1/reporting/runs?limit=1&cursor=${encodeURIComponent(String(bodyOf(listed).nextCursor))}`,
      keys.publisher,
    );
    const { sqs } = localClients();
    const messages = [];
    for (let attempt = 0; attempt < 10 && messages.length < 16; attempt++) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      messages.push(...(page.Messages ?? []));
    }

    expect([first.statusCode, second.statusCode, listed.statusCode]).toEqual([202, 202, 200]);
    expect(bodyOf(first)).toMatchObject({ shards: 8, backlog: 0, oldestUnreportedAgeHours: 0 });
    expect(bodyOf(listed).runs).toEqual([
      expect.objectContaining({
        runId: bodyOf(second).runId,
        trigger: 'manual',
        backlog: 0,
        shards: Array.from({ length: 8 }, (_, shard) => expect.objectContaining({ shard, state: 'queued' })),
      }),
    ]);
    expect(bodyOf(next).runs).toEqual([expect.objectContaining({ runId: bodyOf(first).runId })]);
    expect(messages.map((message) => JSON.parse(message.Body ?? '{}').runId).sort()).toEqual(
      [...Array(8).fill(bodyOf(first).runId), ...Array(8).fill(bodyOf(second).runId)].sort(),
    );
  });

  it('refuses other keys (403) and a limit out of range (400)', async () => {
    expect((await call('GET', '/v1/reporting/runs', keys.customer)).statusCode).toBe(403);
    expect((await call('POST', '/v1/reporting/runs', keys.customer)).statusCode).toBe(403);
    expect((await call('GET', '/v1/reporting/runs?limit=51', keys.publisher)).statusCode).toBe(400);
  });
});
