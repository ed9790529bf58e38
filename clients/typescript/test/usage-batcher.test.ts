import { afterEach, describe, expect, it } from 'vitest';
import {
  createMeteringClient,
  createUsageBatcher,
  MeteringApiError,
  MeteringNetworkError,
  type RejectedUsageEvent,
  type UsageBatcherOptions,
  type UsageBatchResult,
} from '../src/index.ts';
import { type Answer, acceptAll, type ReceivedRequest, startAnsweringServer } from './local-server.ts';

const SUB_A = '6f1c2b1e-0000-4000-8000-00000000000a';
const SUB_B = '6f1c2b1e-0000-4000-8000-00000000000b';
const KEY = 'mmk_test_secret';

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.map((stop) => stop()));
  stops = [];
});

async function serve(answer: Answer) {
  const server = await startAnsweringServer(answer);
  stops.push(server.stop);
  return server;
}

/** A batcher against `url` that records what it reports and the delays it chooses (without waiting them). */
function batcherFor(url: string, options: Partial<UsageBatcherOptions> = {}) {
  const results: UsageBatchResult[] = [];
  const rejected: RejectedUsageEvent[] = [];
  const delays: number[] = [];
  const batcher = createUsageBatcher({
    client: createMeteringClient({ baseUrl: url, apiKey: KEY }),
    onResult: (result) => results.push(result),
    onRejected: (events) => rejected.push(...events),
    sleep: async (ms) => void delays.push(ms),
    ...options,
  });
  return { batcher, results, rejected, delays };
}

const usage = (subscriptionId = SUB_A, extra: Record<string, unknown> = {}) => ({
  subscriptionId,
  dimension: 'api-calls',
  quantity: 1,
  timestamp: '2026-01-15T10:42:00Z',
  ...extra,
});
const eventsOf = (request: ReceivedRequest) =>
  (JSON.parse(request.body) as { events: { subscriptionId: string; id: string }[] }).events;

describe('the metering client', () => {
  it('sends the API key and gives the API’s message and status in its errors', async () => {
    const server = await serve((request) =>
      request.path.endsWith('/budget')
        ? { status: 429, headers: { 'retry-after': '2' }, body: { message: 'Too Many Requests' } }
        : {
            status: 403,
            body: { error: { code: 'ForbiddenError', message: 'This key may not read subscription x.' } },
          },
    );
    const client = createMeteringClient({ baseUrl: server.url, apiKey: KEY });

    const forbidden = await client.getSubscription('x').catch((error: unknown) => error);
    const throttled = await client.getBudget('x').catch((error: unknown) => error);

    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(forbidden).toBeInstanceOf(MeteringApiError);
    expect(forbidden).toMatchObject({
      status: 403,
      code: 'ForbiddenError',
      message: 'This key may not read subscription x.',
    });
    expect(throttled).toMatchObject({ status: 429, message: 'Too Many Requests', retryAfterMs: 2000 });
  });

  it('reports a connection that gave no answer as a network error', async () => {
    const server = await serve(() => undefined);
    const client = createMeteringClient({ baseUrl: server.url, apiKey: KEY });

    await expect(client.getUsage(SUB_A, { months: 2 })).rejects.toBeInstanceOf(MeteringNetworkError);
    expect(server.requests[0]?.path).toBe(`/v1/subscriptions/${SUB_A}/usage?months=2`);
  });
});

describe('the usage batcher', () => {
  it('batches single events per subscription into requests of at most 1,000, each event with its own id', async () => {
    const server = await serve((request) => acceptAll(request.body));
    const { batcher, results } = batcherFor(server.url);

    for (let i = 0; i < 2500; i++) await batcher.add(usage(SUB_A));
    for (let i = 0; i < 3; i++) await batcher.add(usage(SUB_B));
    const stats = await batcher.close();

    const sizes = server.requests.map((request) => {
      const events = eventsOf(request);
      expect(new Set(events.map((event) => event.subscriptionId)).size).toBe(1);
      return `${events[0]?.subscriptionId === SUB_A ? 'A' : 'B'}:${events.length}`;
    });
    expect(sizes.sort()).toEqual(['A:1000', 'A:1000', 'A:500', 'B:3']);
    const ids = server.requests.flatMap((request) => eventsOf(request).map((event) => event.id));
    expect(new Set(ids).size).toBe(2503);
    expect(stats).toMatchObject({ accepted: 2503, rejected: 0, buffered: 0, requests: 4, retries: 0 });
    expect(results.reduce((sum, result) => sum + result.answer.accepted, 0)).toBe(2503);
  });

  it('keeps every request body within the byte limit', async () => {
    const server = await serve((request) => acceptAll(request.body));
    const { batcher } = batcherFor(server.url, { maxBatchBytes: 2_000 });

    for (let i = 0; i < 60; i++) await batcher.add(usage(SUB_A, { id: `${i}-${'x'.repeat(100)}` }));
    await batcher.close();

    expect(server.requests.length).toBeGreaterThan(4);
    for (const request of server.requests) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(2_000);
    expect(server.requests.flatMap(eventsOf)).toHaveLength(60);
  });

  it('sends a batch that is not full once its first event has waited the flush interval', async () => {
    const server = await serve((request) => acceptAll(request.body));
    const { batcher, results } = batcherFor(server.url, { flushIntervalMs: 20 });

    await batcher.add(usage());
    await expect.poll(() => results.length).toBe(1);

    expect(server.requests).toHaveLength(1);
    await batcher.close();
  });

  it('keeps filling a due batch while every request slot is busy, instead of queueing small requests', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await serve(async (request, index) => {
      if (index === 0) await released;
      return acceptAll(request.body);
    });
    const { batcher } = batcherFor(server.url, { maxConcurrentRequests: 1, flushIntervalMs: 5 });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 30));

    await batcher.add(usage());
    await expect.poll(() => server.requests.length).toBe(1);
    for (let i = 0; i < 25; i++) await batcher.add(usage());
    await pause(); // the batch of these 25 is due, but the one slot is busy
    for (let i = 0; i < 25; i++) await batcher.add(usage());
    await pause();
    release();
    await batcher.close();

    expect(server.requests.map((request) => eventsOf(request).length)).toEqual([1, 50]);
  });

  it('retries 429 and 503 no sooner than Retry-After, with the same Idempotency-Key and the same events', async () => {
    const server = await serve((request, index) => {
      if (index === 0) return { status: 429, headers: { 'retry-after': '3' }, body: { message: 'Too Many Requests' } };
      if (index === 1) {
        const at = new Date(Date.now() + 6_000).toUTCString();
        return { status: 503, headers: { 'retry-after': at }, body: { error: { code: 'X', message: 'queue down' } } };
      }
      return acceptAll(request.body);
    });
    const { batcher, results, delays } = batcherFor(server.url);

    await batcher.add(usage(SUB_A, { id: 'e1' }));
    await batcher.add(usage(SUB_A, { id: 'e2' }));
    await batcher.close();

    expect(server.requests).toHaveLength(3);
    const keys = server.requests.map((request) => request.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1);
    expect(delays[0]).toBeGreaterThanOrEqual(3_000);
    // An HTTP date has whole seconds: 6 s ahead is at least 5 s away.
    expect(delays[1]).toBeGreaterThanOrEqual(5_000);
    expect(results).toEqual([expect.objectContaining({ attempts: 3, idempotencyKey: keys[0] })]);
  });

  it('retries a dropped connection and a 500 with the same key, backing off', async () => {
    const server = await serve((request, index) => {
      if (index === 0) return undefined;
      if (index === 1) return { status: 500, body: { error: { code: 'InternalError', message: 'oops' } } };
      return acceptAll(request.body);
    });
    const { batcher, delays } = batcherFor(server.url, { retry: { initialDelayMs: 100 } });

    await batcher.add(usage());
    const stats = await batcher.close();

    expect(new Set(server.requests.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(stats).toMatchObject({ accepted: 1, retries: 2, requests: 3 });
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
  });

  it('does not retry other 4xx: their events are reported with the API’s message', async () => {
    const server = await serve(() => ({
      status: 403,
      body: { error: { code: 'ForbiddenError', message: 'Sending usage needs a publisher key.' } },
    }));
    const { batcher, rejected } = batcherFor(server.url);

    await batcher.add(usage(SUB_A, { id: 'e1' }));
    await batcher.add(usage(SUB_A, { id: 'e2' }));
    const stats = await batcher.close();

    expect(server.requests).toHaveLength(1);
    expect(rejected.map(({ event, reason, status, message }) => [event.id, reason, status, message])).toEqual([
      ['e1', 'requestRefused', 403, 'Sending usage needs a publisher key.'],
      ['e2', 'requestRefused', 403, 'Sending usage needs a publisher key.'],
    ]);
    expect(stats).toMatchObject({ rejected: 2, accepted: 0 });
  });

  it('drops the one event a 400 names and sends the others under a new key', async () => {
    const server = await serve((request, index) =>
      index === 0
        ? {
            status: 400,
            body: {
              error: {
                code: 'ValidationError',
                message: 'timestamp must have a zone',
                field: 'body.events.1.timestamp',
              },
            },
          }
        : acceptAll(request.body),
    );
    const { batcher, rejected } = batcherFor(server.url);

    for (const id of ['e0', 'e1', 'e2']) await batcher.add(usage(SUB_A, { id }));
    await batcher.close();

    expect(rejected).toEqual([expect.objectContaining({ reason: 'invalidEvent', status: 400 })]);
    expect(rejected[0]?.event.id).toBe('e1');
    expect(eventsOf(server.requests[1] as ReceivedRequest).map((event) => event.id)).toEqual(['e0', 'e2']);
    expect(server.requests[1]?.headers['idempotency-key']).not.toBe(server.requests[0]?.headers['idempotency-key']);
  });

  it('surfaces the per-event answers: rejected events with their message, duplicates counted', async () => {
    const server = await serve((request) => {
      const events = eventsOf(request);
      return {
        status: 202,
        body: {
          accepted: 1,
          rejected: 1,
          duplicate: 1,
          // The short form of a large answer: messages once per reason.
          results: [
            { index: 0, status: 'accepted' },
            { index: 1, status: 'duplicate' },
            { index: 2, status: 'rejected', reason: 'unknownDimension' },
          ].slice(0, events.length),
          explanations: { unknownDimension: { index: 2, message: 'Dimension "x" is not in plan team.' } },
          note: 'short form',
        },
      };
    });
    const { batcher, rejected } = batcherFor(server.url);

    for (const id of ['e0', 'e1', 'e2']) await batcher.add(usage(SUB_A, { id }));
    const stats = await batcher.close();

    expect(rejected).toEqual([
      expect.objectContaining({ reason: 'unknownDimension', message: 'Dimension "x" is not in plan team.' }),
    ]);
    expect(rejected[0]?.event.id).toBe('e2');
    expect(stats).toMatchObject({ accepted: 1, duplicate: 1, rejected: 1 });
  });

  it('holds at most maxBufferedEvents: tryAdd refuses and add waits until answers free room', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await serve(async (request) => {
      await released;
      return acceptAll(request.body);
    });
    const { batcher } = batcherFor(server.url, { maxBufferedEvents: 5, maxBatchEvents: 2, flushIntervalMs: 5 });

    for (let i = 0; i < 5; i++) expect(batcher.tryAdd(usage())).toBeDefined();
    expect(batcher.tryAdd(usage())).toBeUndefined();
    let added = false;
    const waiting = batcher.add(usage()).then(() => {
      added = true;
    });
    await expect.poll(() => server.requests.length).toBe(3);

    expect(added).toBe(false);
    expect(batcher.stats().buffered).toBe(6); // 5 held + 1 waiting in add, none of it dropped
    release();
    await waiting;
    const stats = await batcher.close();
    expect(server.requests.flatMap(eventsOf)).toHaveLength(6);
    expect(stats).toMatchObject({ accepted: 6, buffered: 0 });
  });

  it('close() sends everything held, waiting adds included, then refuses new events', async () => {
    const server = await serve((request) => acceptAll(request.body));
    const { batcher } = batcherFor(server.url, { maxBufferedEvents: 3, flushIntervalMs: 60_000 });

    const adds = Array.from({ length: 10 }, () => batcher.add(usage()));
    const stats = await batcher.close();
    await Promise.all(adds);

    expect(server.requests.flatMap(eventsOf)).toHaveLength(10);
    expect(stats).toMatchObject({ accepted: 10, buffered: 0 });
    await expect(batcher.add(usage())).rejects.toThrow(/closed/);
  });

  it('reports a batch as undelivered when it could not be delivered within maxElapsedMs', async () => {
    const server = await serve(() => ({ status: 503, body: { error: { code: 'X', message: 'down' } } }));
    const { batcher, rejected } = batcherFor(server.url, { retry: { maxElapsedMs: 0 } });

    await batcher.add(usage(SUB_A, { id: 'e1' }));
    await batcher.close();

    expect(rejected).toEqual([expect.objectContaining({ reason: 'undelivered', status: 503 })]);
    expect(rejected[0]?.message).toMatch(/resend with the same ids/);
  });

  it('refuses an event that could never be sent, naming what is missing', () => {
    const { batcher } = batcherFor('http://127.0.0.1:9');

    expect(() => batcher.tryAdd({ subscriptionId: '', dimension: 'd', quantity: 1 })).toThrow(/subscriptionId/);
    expect(() => batcher.tryAdd({ subscriptionId: SUB_A, dimension: 'd', quantity: Number.NaN })).toThrow(/quantity/);
  });
});
