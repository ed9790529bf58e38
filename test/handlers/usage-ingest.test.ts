import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseUsageMessage } from '#functions/usage-aggregator/schema.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { marketplaceClientEnv } from '#infra/local/function-env.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { aPurchaseInput } from '#test/helpers/fulfillment-flow.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent, sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/usage-ingest/handler.ts')['handler'];

describe('the usage ingest function against DynamoDB Local and fauxqs', () => {
  const { documentClient, sqs } = localClients();
  let handler: Handler;
  let queueUrl: string;
  let emulator: MarketplaceEmulator;
  let store: DynamoSubscriptionStore;
  const keys = { publisher: '', partner: '' };
  const subscribed = aSubscription();
  const suspended = aSubscription({ status: 'Suspended' });
  // The function runs on the real clock: stamp usage relative to it.
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const hourOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;

  const post = async (body: unknown, options: { apiKey?: string; headers?: Record<string, string> } = {}) =>
    (await handler(
      httpEvent('POST', '/v1/usage', { apiKey: options.apiKey ?? keys.publisher, body, headers: options.headers }),
      aLambdaContext('UsageIngest'),
    )) as APIGatewayProxyStructuredResultV2;

  /** Takes every message off the queue (fauxqs answers at once; an empty page means the queue is empty). */
  async function drainQueue(): Promise<UsageMessage[]> {
    const messages: UsageMessage[] = [];
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if (!page.Messages?.length) return messages;
      for (const message of page.Messages) {
        // The aggregator's own parser: what ingest queues must meet the one message contract.
        messages.push(parseUsageMessage(message.Body ?? ''));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    // Microsoft's side, for usage naming a subscription not stored yet (checked with Get Subscription).
    emulator = await startMarketplaceEmulator({
      catalog: await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml')),
      clock: 'running',
      startTime: new Date(),
    });
    const caPath = join(await mkdtemp(join(tmpdir(), 'emulator-ca-')), 'ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
    Object.assign(process.env, marketplaceClientEnv(emulator, caPath));
    queueUrl = resources[USAGE_QUEUE.envVar] ?? '';
    handler = asDeclaredFunction('UsageIngest', (await import('#functions/usage-ingest/handler.ts')).handler);
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    keys.publisher = (await createApiKey(deps, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    keys.partner = (await createApiKey(deps, aPublisher(), { name: 'p', role: 'partner', partnerId: 'p1' })).token;
    const subscriptions = new DynamoSubscriptionStore(documentClient, tableName);
    store = subscriptions;
    await subscriptions.put(subscribed);
    await subscriptions.put(suspended);
  });
  afterAll(() => emulator?.stop());

  beforeEach(async () => {
    await drainQueue();
  });

  it('answers 202 with a result per event, giving each rejection its reason', async () => {
    const event = { subscriptionId: subscribed.id, dimension: 'api-calls', quantity: 1, timestamp: minutesAgo(5) };

    const response = await post({
      events: [
        { ...event, id: 'ok' },
        { ...event, id: 'unknown-sub', subscriptionId: 'no-such-subscription' },
        { ...event, id: 'suspended', subscriptionId: suspended.id },
        { ...event, id: 'bad-dim', dimension: 'bandwidth' },
        { ...event, id: 'bad-qty', quantity: '1.0000001' },
        { ...event, id: 'future', timestamp: new Date(Date.now() + 3_600_000).toISOString() },
        { ...event, id: 'old', timestamp: minutesAgo(60 * 24 * 8) },
      ],
    });

    expect(response.statusCode).toBe(202);
    const body = bodyOf(response);
    expect(body).toMatchObject({ accepted: 1, rejected: 6 });
    expect(
      (body.results as { id: string; status: string; reason?: string }[]).map((r) => [r.id, r.reason ?? r.status]),
    ).toEqual([
      ['ok', 'accepted'],
      ['unknown-sub', 'unknownSubscription'],
      ['suspended', 'notSubscribed'],
      ['bad-dim', 'unknownDimension'],
      ['bad-qty', 'invalidQuantity'],
      ['future', 'timestampInFuture'],
      ['old', 'timestampTooOld'],
    ]);
    expect(body.results).toContainEqual(
      expect.objectContaining({ id: 'bad-dim', message: expect.stringContaining('"api-calls", "gb-processed"') }),
    );
  });

  it('puts the accepted usage on the usage queue, summed per dimension and hour', async () => {
    const at = minutesAgo(1);
    const events = [
      { subscriptionId: subscribed.id, dimension: 'api-calls', quantity: 0.1, timestamp: at },
      { subscriptionId: subscribed.id, dimension: 'api-calls', quantity: '0.2', timestamp: at },
      { subscriptionId: subscribed.id, dimension: 'reports', quantity: 3, timestamp: at },
    ];

    const response = await post({ events });

    expect(bodyOf(response)).toMatchObject({ accepted: 3, rejected: 0 });
    const [message, ...others] = await drainQueue();
    expect(others).toEqual([]);
    expect(message?.slots).toEqual([
      {
        subscriptionId: subscribed.id,
        offerId: 'contoso-analytics',
        dimension: 'api-calls',
        hour: hourOf(at),
        quantity: '0.3',
        eventCount: 2,
      },
      {
        subscriptionId: subscribed.id,
        offerId: 'contoso-analytics',
        dimension: 'reports',
        hour: hourOf(at),
        quantity: '3',
        eventCount: 1,
      },
    ]);
  });

  it('answers a retry with the same Idempotency-Key from memory: same answer, nothing queued twice', async () => {
    const request = {
      events: [{ subscriptionId: subscribed.id, dimension: 'gb-processed', quantity: '2.5', timestamp: minutesAgo(2) }],
    };
    const headers = { 'idempotency-key': `retry-me-${Date.now()}` };

    const first = await post(request, { headers });
    const queuedFirst = await drainQueue();
    const retry = await post(request, { headers });
    const queuedOnRetry = await drainQueue();

    expect(first.statusCode).toBe(202);
    expect(queuedFirst).toHaveLength(1);
    expect(retry.statusCode).toBe(202);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(queuedOnRetry).toEqual([]);
  });

  it.each([
    ['6,000 characters long', 'x'.repeat(6000)],
    ['with spaces and non-ASCII', 'key with spaces é'],
  ])('answers 400 to an Idempotency-Key %s, and queues nothing', async (_, key) => {
    const request = {
      events: [{ subscriptionId: subscribed.id, dimension: 'gb-processed', quantity: '1', timestamp: minutesAgo(2) }],
    };

    const response = await post(request, { headers: { 'idempotency-key': key } });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { field: 'headers.idempotency-key' } });
    expect(await drainQueue()).toEqual([]);
  });

  it.each([
    ['an empty Idempotency-Key and no body', { 'idempotency-key': '' }, undefined],
    ['an Idempotency-Key and no body', { 'idempotency-key': `no-body-${Date.now()}` }, undefined],
    ['a 6,000-character Idempotency-Key and no body', { 'idempotency-key': 'x'.repeat(6000) }, undefined],
  ])('answers 4xx, never 5xx, to %s', async (_, headers, body) => {
    const response = await post(body, { headers });

    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
  });

  it('answers 422 when an Idempotency-Key comes back with a different body, and queues nothing', async () => {
    const headers = { 'idempotency-key': `reused-${Date.now()}` };
    const event = { subscriptionId: subscribed.id, dimension: 'gb-processed', timestamp: minutesAgo(2) };

    await post({ events: [{ ...event, quantity: 1 }] }, { headers });
    await drainQueue();
    const reused = await post({ events: [{ ...event, quantity: 2 }] }, { headers });

    expect(reused.statusCode).toBe(422);
    expect(bodyOf(reused).error).toMatchObject({ code: 'IdempotencyKeyReused' });
    expect(await drainQueue()).toEqual([]);
  });

  it('keeps the original answer when a reused Idempotency-Key is refused: a retry of the original is replayed, not counted twice', async () => {
    // Found by the fuzz suite (a refused request removed an idempotency record): Powertools' middleware deleted the
    // record of the request that owned the key when it refused another with the same key (upstream issue 5675).
    const headers = { 'idempotency-key': `refused-reuse-${Date.now()}` };
    const event = { subscriptionId: subscribed.id, dimension: 'gb-processed', timestamp: minutesAgo(2) };
    const original = { events: [{ ...event, quantity: 1 }] };

    const first = await post(original, { headers });
    await drainQueue();
    const reused = await post({ events: [{ ...event, quantity: 2 }] }, { headers });
    const retry = await post(original, { headers });
    const queuedOnRetry = await drainQueue();

    expect(first.statusCode).toBe(202);
    expect(reused.statusCode).toBe(422);
    expect(retry.statusCode).toBe(202);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(queuedOnRetry).toEqual([]);
  });

  it('remembers the answer to 1,000 rejections with long ids and dimensions (short form) and replays it', async () => {
    // The detailed answer would be about 700 KB: far past what one DynamoDB item (the idempotency record) can hold.
    const dimension = `not-a-dimension-${'d'.repeat(80)}`;
    const events = Array.from({ length: 1000 }, (_, index) => ({
      id: `${String(index).padStart(4, '0')}-${'i'.repeat(250)}`,
      subscriptionId: subscribed.id,
      dimension,
      quantity: 1,
      timestamp: minutesAgo(3),
    }));
    const headers = { 'idempotency-key': `large-answer-${Date.now()}` };

    const first = await post({ events }, { headers });
    const replay = await post({ events }, { headers });
    const reused = await post({ events: events.slice(1) }, { headers });

    expect(first.statusCode).toBe(202);
    const body = bodyOf(first) as {
      results: unknown[];
      explanations: Record<string, { index: number; message: string }>;
    };
    expect(body).toMatchObject({ accepted: 0, rejected: 1000 });
    expect(body.results[999]).toEqual({ index: 999, status: 'rejected', reason: 'unknownDimension' });
    expect(body.explanations.unknownDimension?.message).toContain(dimension);
    expect(replay.statusCode).toBe(202);
    expect(replay.body).toBe(first.body);
    // The record was stored complete: the same key with another body is refused.
    expect(reused.statusCode).toBe(422);
    expect(await drainQueue()).toEqual([]);
  });

  it('does not remember a refused request: a corrected retry with the same key is processed', async () => {
    const headers = { 'idempotency-key': `fix-and-retry-${Date.now()}` };

    const refused = await post({ events: [] }, { headers });
    const corrected = await post(
      { events: [{ subscriptionId: subscribed.id, dimension: 'api-calls', quantity: 1, timestamp: minutesAgo(1) }] },
      { headers },
    );

    expect(refused.statusCode).toBe(400);
    expect(corrected.statusCode).toBe(202);
    expect(await drainQueue()).toHaveLength(1);
  });

  it('accepts the sample request of events/apigateway as a request of its own shape', async () => {
    const sample = sampleEvent('apigateway/post-usage.json');

    const response = await post(JSON.parse(sample.body ?? '{}'), {
      headers: { 'idempotency-key': sample.headers['idempotency-key'] ?? '' },
    });

    // The sample's subscription does not exist here: every event is answered, none is a 400.
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toMatchObject({ accepted: 0, rejected: 3 });
  });

  describe('malformed requests', () => {
    const valid = () => ({
      subscriptionId: subscribed.id,
      dimension: 'api-calls',
      quantity: 1,
      timestamp: minutesAgo(1),
    });

    it.each([
      [
        'an un-zoned timestamp',
        { events: [{ ...valid(), timestamp: '2026-01-15T10:00:00' }] },
        'body.events.0.timestamp',
      ],
      [
        'a missing subscription id',
        { events: [{ ...valid(), subscriptionId: undefined }] },
        'body.events.0.subscriptionId',
      ],
      ['a quantity of the wrong type', { events: [{ ...valid(), quantity: true }] }, 'body.events.0.quantity'],
      ['an unknown field', { events: [{ ...valid(), amount: 1 }] }, 'body.events.0'],
      ['no events', { events: [] }, 'body.events'],
      ['more than 1000 events', { events: Array.from({ length: 1001 }, valid) }, 'body.events'],
      [
        'a repeated event id',
        {
          events: [
            { ...valid(), id: 'x' },
            { ...valid(), id: 'x' },
          ],
        },
        'body.events.1.id',
      ],
      ['a body that is not JSON', '{"events": [', undefined],
    ])('answers 400 naming the field for %s, and queues nothing', async (_case, body, field) => {
      const response = await post(body);

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error).toMatchObject(
        field ? { code: 'ValidationError', field } : { code: 'ValidationError' },
      );
      expect(await drainQueue()).toEqual([]);
    });

    it('answers 400 for an Idempotency-Key that is too long', async () => {
      const response = await post({ events: [valid()] }, { headers: { 'idempotency-key': 'k'.repeat(256) } });

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error).toMatchObject({ field: 'headers.idempotency-key' });
    });

    it('answers 413 for a body over 1 MB', async () => {
      const response = await post({ events: [{ ...valid(), id: 'x'.repeat(1_000_001) }] });

      expect(response.statusCode).toBe(413);
      expect(bodyOf(response).error).toMatchObject({
        code: 'PayloadTooLargeError',
        message: expect.stringContaining('split'),
      });
    });
  });

  describe('authentication', () => {
    const body = {
      events: [{ subscriptionId: subscribed.id, dimension: 'api-calls', quantity: 1, timestamp: minutesAgo(1) }],
    };

    it('answers 401 without an API key', async () => {
      const response = (await handler(
        httpEvent('POST', '/v1/usage', { body }),
        aLambdaContext('UsageIngest'),
      )) as APIGatewayProxyStructuredResultV2;

      expect(response.statusCode).toBe(401);
    });

    it('answers 403 to a partner key and queues nothing', async () => {
      const response = await post(body, { apiKey: keys.partner });

      expect(response.statusCode).toBe(403);
      expect(await drainQueue()).toEqual([]);
    });
  });

  describe('usage for a subscription Microsoft has but our store does not know yet', () => {
    /** Bought and activated at the emulator by a client of ours, without the landing page: no webhook reaches us. */
    async function subscribedAtMicrosoftOnly(): Promise<string> {
      const bought = await emulator.control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
      await emulatorMarketplace(emulator).activate(bought.subscriptionId, { planId: 'basic' });
      return bought.subscriptionId;
    }

    it('checks it with Get Subscription, accepts and queues the usage, and stores the subscription', async () => {
      const subscriptionId = await subscribedAtMicrosoftOnly();
      await new Promise((resolve) => setTimeout(resolve, 5)); // usage stamped after the activation instant
      const timestamp = new Date().toISOString();

      const response = await post({ events: [{ subscriptionId, dimension: 'api-calls', quantity: 3, timestamp }] });

      expect(response.statusCode).toBe(202);
      expect(bodyOf(response)).toMatchObject({ accepted: 1, rejected: 0 });
      expect((await drainQueue()).flatMap((message) => message.slots)).toMatchObject([
        { subscriptionId, dimension: 'api-calls', quantity: '3' },
      ]);
      expect(await store.get(subscriptionId)).toMatchObject({ status: 'Subscribed', planId: 'basic' });
    });

    it('answers 503 with Retry-After while Microsoft cannot answer, and accepts the same request once it can', async () => {
      const subscriptionId = await subscribedAtMicrosoftOnly();
      const body = {
        events: [{ subscriptionId, dimension: 'api-calls', quantity: 2, timestamp: new Date().toISOString() }],
      };
      emulator.control.setFaults({ match: 'getSubscription', errorRate: 1 });

      const during = await post(body);
      emulator.control.clearFaults();
      const after = await post(body);

      expect(during.statusCode).toBe(503);
      expect(during.headers?.['retry-after']).toBeDefined();
      expect(bodyOf(during).error).toMatchObject({ message: expect.stringContaining('Microsoft could not be asked') });
      expect(after.statusCode).toBe(202);
      expect(bodyOf(after)).toMatchObject({ accepted: 1 });
      expect(await drainQueue()).toHaveLength(1);
    });
  });

  // Last: it deletes the queue.
  it('answers 503, never 202, when the usage cannot be queued', async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));

    const response = await post({
      events: [{ subscriptionId: subscribed.id, dimension: 'api-calls', quantity: 1, timestamp: minutesAgo(1) }],
    });

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBeDefined();
    expect(bodyOf(response).error).toMatchObject({
      code: 'ServiceUnavailableError',
      message: expect.stringContaining('Idempotency-Key'),
    });
  });
});
