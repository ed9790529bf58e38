/**
 * What the aggregator's concurrency cap allows (issue 15, point 4): how many events a second one copy of the
 * aggregator applies while a backlog keeps its batches full, and from that the throughput of each cap of its queue
 * trigger (`maxConcurrency` in infra/functions.ts).
 *
 * A backlog is queued first through the real usage ingest handler (in process; every event has an id, every request
 * an Idempotency-Key), not timed. Then the local mode's queue pollers (`infra/local/queue-poller.ts`, gathering as the
 * deployed event source mapping does: up to 2,000 messages or 6 MB per batch) feed the real aggregator
 * (`aggregateUsage`, alert evaluation included) until the queue is empty, one poller: one copy. Per copy: events
 * applied ÷ the handler's own seconds (its invocation slot is busy exactly that long). A cap of N copies allows about
 * N times that while DynamoDB keeps up. Copies are not run side by side here: this machine's 2 cores also run
 * DynamoDB Local, so a second local copy measures the machine (a deployed copy has its own CPU, and DynamoDB is not
 * on it). The largest batch the trigger hands over follows from the message size: 2,000 messages or 6 MB.
 *
 * Run with `npm run bench:concurrency`. Environment: BENCH_EVENTS (events of the backlog per request size, default
 * 40,000), BENCH_SUBSCRIPTIONS (default 50), BENCH_WARMUP_EVENTS (default 20,000; 0 for none), BENCH_REQUEST_SIZES (default
 * `1000,10`; e.g. `BENCH_REQUEST_SIZES=1000 BENCH_EVENTS=220000` times one full 6 MB batch).
 */

// First: the logger and metrics read their settings when their module loads.
import './quiet-env.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { USAGE_AGGREGATOR_FUNCTION } from '#infra/functions.ts';
import { startQueuePoller } from '#infra/local/queue-poller.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { fmt, forEachLimited, machineLine, startStandIns } from './bench-support.ts';

const envInt = (name: string, fallback: number, minimum = 1) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be a whole number ≥ ${minimum}`);
  return value;
};
const EVENTS = envInt('BENCH_EVENTS', 40_000);
const SUBSCRIPTIONS = envInt('BENCH_SUBSCRIPTIONS', 50);
const WARMUP_EVENTS = envInt('BENCH_WARMUP_EVENTS', 20_000, 0);
/** Requests of 1,000 (an app batching its usage) and of 10 (usage sent as it happens): small and large messages. */
const REQUEST_SIZES = (process.env.BENCH_REQUEST_SIZES ?? '1000,10').split(',').map((size) => {
  const value = Number(size);
  if (!Number.isInteger(value) || value < 1 || value > 1_000)
    throw new Error('BENCH_REQUEST_SIZES: whole numbers 1–1000');
  return value;
});
const CAPS = [1, 2, 5, 10] as const;
const DIMENSIONS = ['api-calls', 'gb-processed', 'reports'] as const;
/** Lambda's limit on one invocation's payload, where the event source mapping stops gathering a batch. */
const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;

interface Drain {
  readonly pollers: number;
  readonly events: number;
  readonly batches: number;
  readonly messages: number;
  readonly bytes: number;
  readonly handlerSeconds: number;
  readonly wallSeconds: number;
}

async function main(): Promise<void> {
  const trigger = USAGE_AGGREGATOR_FUNCTION.trigger;
  if (!trigger) throw new Error('the aggregator has no queue trigger in infra/functions.ts');
  console.log(`machine: ${machineLine()}`);
  console.log(
    `backlog: ${fmt(EVENTS)} events per request size (${REQUEST_SIZES.join(', ')}), ${SUBSCRIPTIONS} subscriptions; ` +
      `trigger: batches of up to ${fmt(trigger.batchSize)} messages or 6 MB, window ${trigger.maxBatchingWindowSeconds} s, ` +
      `deployed cap ${trigger.maxConcurrency}`,
  );
  const standIns = await startStandIns();
  try {
    const tableName = standIns.resources[MAIN_TABLE.envVar] ?? '';
    const queueUrl = standIns.resources[USAGE_QUEUE.envVar] ?? '';
    const documentClient = createDocumentClient(standIns.endpoints);
    const { token } = await createApiKey(
      { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock },
      undefined,
      { name: 'bench publisher key', role: 'publisher' },
    );
    const store = new DynamoSubscriptionStore(documentClient, tableName);
    const subscriptionIds = Array.from({ length: SUBSCRIPTIONS }, () => randomUUID());
    await forEachLimited(subscriptionIds, 8, (id) => store.put(aSubscription({ id })));
    // Handlers read their configuration when their module loads: imported only now.
    const ingest = (await import('#functions/usage-ingest/handler.ts')).handler;
    const { aggregateUsage } = await import('#functions/usage-aggregator/handler.ts');
    const sqs = createSqsClient(standIns.endpoints);
    const queueArn =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn ?? '';

    /** Queues `events` at requests of `size` through the ingest handler (not timed). */
    async function queueBacklog(size: number, events: number, label: string): Promise<void> {
      const requests = Math.ceil(events / size);
      await forEachLimited(
        Array.from({ length: requests }, (_, index) => index),
        8,
        async (request) => {
          const subscriptionId = subscriptionIds[request % subscriptionIds.length] as string;
          const list = Array.from({ length: Math.min(size, events - request * size) }, (_, index) => ({
            subscriptionId,
            dimension: DIMENSIONS[index % DIMENSIONS.length],
            quantity: '0.25',
            // The last hour, so every request spans one or two hours as an app's usage does.
            timestamp: new Date(Date.now() - 60_000 - ((request * size + index) % 3_000_000)).toISOString(),
            id: `${label}-${size}-${request}-${index}`,
          }));
          const answer = (await ingest(
            httpEvent('POST', '/v1/usage', {
              apiKey: token,
              body: { events: list },
              headers: { 'idempotency-key': `${label}-${size}-${request}` },
            }),
            aLambdaContext('UsageIngest'),
          )) as APIGatewayProxyStructuredResultV2;
          if (answer.statusCode !== 202) throw new Error(`ingest answered ${answer.statusCode}: ${answer.body}`);
        },
      );
    }

    /** Runs `pollers` aggregator copies until `events` events are applied; times each invocation. */
    async function drain(pollers: number, events: number): Promise<Drain> {
      let applied = 0;
      let batches = 0;
      let messages = 0;
      let bytes = 0;
      let handlerSeconds = 0;
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const t0 = performance.now();
      const running = Array.from({ length: pollers }, () =>
        startQueuePoller(sqs, {
          queueUrl,
          queueArn,
          batchSize: trigger?.batchSize ?? 10,
          maxBatchingWindowSeconds: trigger?.maxBatchingWindowSeconds,
          onError: (error) => console.error('aggregator batch failed', error),
          handler: async (event) => {
            const started = performance.now();
            const response = (await aggregateUsage(event, {
              getRemainingTimeInMillis: () => (USAGE_AGGREGATOR_FUNCTION.timeoutSeconds ?? 30) * 1000,
            } as never)) as SQSBatchResponse;
            handlerSeconds += (performance.now() - started) / 1000;
            const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
            const ok = event.Records.filter((record) => !failed.has(record.messageId));
            batches += 1;
            messages += event.Records.length;
            bytes += event.Records.reduce((sum, record) => sum + Buffer.byteLength(record.body), 0);
            applied += eventsIn(ok);
            if (applied >= events) finish();
            return response;
          },
        }),
      );
      const timeout = setTimeout(finish, 600_000);
      await done;
      clearTimeout(timeout);
      const wallSeconds = (performance.now() - t0) / 1000;
      await Promise.all(running.map((poller) => poller.stop()));
      if (applied < events) throw new Error(`only ${applied} of ${events} events were aggregated`);
      return { pollers, events: applied, batches, messages, bytes, handlerSeconds, wallSeconds };
    }

    if (WARMUP_EVENTS > 0) {
      await queueBacklog(1_000, WARMUP_EVENTS, 'warmup');
      const warm = await drain(1, WARMUP_EVENTS);
      console.log(`warm-up: ${fmt(warm.events)} events in ${warm.wallSeconds.toFixed(1)} s (not counted)`);
    }

    console.log(
      '\n| events per request | events | batches | messages/batch | KB/message | events/batch | s/batch | events/s per copy | largest batch (events) |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const perCopy = new Map<number, number>();
    for (const size of REQUEST_SIZES) {
      await queueBacklog(size, EVENTS, 'measured');
      const run = await drain(1, EVENTS);
      const eventsPerMessage = run.events / run.messages;
      const bytesPerMessage = run.bytes / run.messages;
      const largest =
        Math.min(trigger.batchSize, Math.floor(MAX_BATCH_PAYLOAD_BYTES / bytesPerMessage)) * eventsPerMessage;
      perCopy.set(size, run.events / run.handlerSeconds);
      console.log(
        `| ${fmt(size)} | ${fmt(run.events)} | ${run.batches} | ${fmt(run.messages / run.batches)} | ` +
          `${(bytesPerMessage / 1024).toFixed(1)} | ${fmt(run.events / run.batches)} | ` +
          `${(run.handlerSeconds / run.batches).toFixed(2)} | ${fmt(run.events / run.handlerSeconds)} | ${fmt(largest)} |`,
      );
    }
    console.log(
      '\n| cap (maxConcurrency) | ' +
        REQUEST_SIZES.map((size) => `events/s at requests of ${fmt(size)}`).join(' | ') +
        ' |',
    );
    console.log(`| ---: | ${REQUEST_SIZES.map(() => '---:').join(' | ')} |`);
    for (const cap of CAPS) {
      console.log(`| ${cap} | ${REQUEST_SIZES.map((size) => fmt(cap * (perCopy.get(size) ?? 0))).join(' | ')} |`);
    }
  } finally {
    await standIns.stop();
  }
}

/** Events the messages of a batch carry (each slot says how many it sums). */
function eventsIn(records: readonly SQSRecord[]): number {
  let count = 0;
  for (const record of records) {
    const body = JSON.parse(record.body) as { slots?: { eventCount: number }[] };
    for (const slot of body.slots ?? []) count += slot.eventCount;
  }
  return count;
}

await main();
