/**
 * Usage batcher benchmark (issue 14 item 3): an app emitting single usage events through the TypeScript client's
 * batcher (`clients/typescript`), against the whole local system over HTTP (`startLocalSystem`: the usage function
 * behind the local HTTP adapter, the usage queue polled into the aggregator as deployed, DynamoDB Local), compared in
 * the same run with the same app sending one event per request (each with an id, BENCH_CLIENT_INFLIGHT in flight).
 *
 * Scenarios:
 * - burst: BENCH_CLIENT_EVENTS (default 50,000) events over BENCH_CLIENT_SUBSCRIPTIONS (default 20) subscriptions,
 *   `await batcher.add(event)` in a loop as fast as the batcher takes them (batches fill to 1,000);
 * - paced: an app emitting BENCH_CLIENT_RATE events/s (default 500) for BENCH_CLIENT_SECONDS (default 10 s) over the
 *   same subscriptions, so batches are sent by the 1 s flush interval, not by size;
 * - one per request: BENCH_CLIENT_SINGLE (default 2,000) events, `client.postUsage([event])` each.
 *
 * Figures: events/s until `close()` resolved (every event answered by the API), events/s until the aggregator had
 * counted them all (the usage queue empty), and DynamoDB item writes per event (every write of the process, counted
 * by `instrumentDynamoDb`; the schedules of the local system run too, but none falls due in a run of this length
 * unless it crosses a reporting minute). Totals are checked exact through `GET /v1/subscriptions/{id}/usage`.
 *
 * Run with `npm run bench:client`.
 */

// First: the logger and metrics read their settings when their module loads.
import './quiet-env.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createMeteringClient, createUsageBatcher, type MeteringClient } from '#clients/typescript/src/index.ts';
import { startLocalSystem } from '#infra/local/local-system.ts';
import { USAGE_QUEUE } from '#infra/resources.ts';
import { createSqsClient } from '#shared/adapters/aws-clients.ts';
import { aPurchaseInput } from '#test/helpers/fulfillment-flow.ts';
import { countsOf, fmt, forEachLimited, instrumentDynamoDb, machineLine } from './bench-support.ts';

const EVENTS = Number(process.env.BENCH_CLIENT_EVENTS ?? 50_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_CLIENT_SUBSCRIPTIONS ?? 20);
const RATE = Number(process.env.BENCH_CLIENT_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_CLIENT_SECONDS ?? 10);
const SINGLE = Number(process.env.BENCH_CLIENT_SINGLE ?? 2_000);
const INFLIGHT = Number(process.env.BENCH_CLIENT_INFLIGHT ?? 16);

interface Row {
  readonly scenario: string;
  readonly events: number;
  readonly requests: number;
  readonly answeredPerSecond: number;
  readonly countedPerSecond: number;
  readonly writesPerEvent: number;
}

async function main(): Promise<void> {
  console.log(machineLine());
  instrumentDynamoDb();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-client-'));
  const system = await startLocalSystem({
    prefix: `cli${randomUUID().slice(0, 6)}`,
    apiPort: 0,
    localDir: workDir,
    bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    // A failed aggregator batch is retried after the queue's visibility timeout (180 s): say so when it happens.
    log: (line) => {
      if (line.includes('failed')) console.log(`local system: ${line.slice(0, 300)}`);
    },
  });
  try {
    const apiKey = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
    const client = createMeteringClient({ baseUrl: system.apiUrl, apiKey });
    const sqs = createSqsClient(system.endpoints);
    const usageQueueUrl = system.resources[USAGE_QUEUE.envVar] ?? '';
    const subscriptions: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) subscriptions.push(await aSubscription(system.apiUrl, system.emulator));
    const expected = new Map<string, number>(subscriptions.map((id) => [id, 0]));
    const emitted = (subscriptionId: string) => expected.set(subscriptionId, (expected.get(subscriptionId) ?? 0) + 1);

    /** Waits until the usage queue is empty (nothing visible, in flight or delayed) on two polls in a row. */
    const drained = async () => {
      for (let empty = 0; empty < 2; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: usageQueueUrl,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        const left = Object.values(Attributes).reduce((sum, value) => sum + Number(value ?? 0), 0);
        empty = left === 0 ? empty + 1 : 0;
      }
    };

    const measure = async (scenario: string, events: number, run: () => Promise<number>): Promise<Row> => {
      await drained();
      const writesBefore = countsOf('other').writeItems;
      const started = performance.now();
      const requests = await run();
      const answered = performance.now();
      await drained();
      // The last poll that found the queue empty came up to 250 ms after it was: the drain time is rounded up.
      const counted = performance.now();
      const row = {
        scenario,
        events,
        requests,
        answeredPerSecond: events / ((answered - started) / 1000),
        countedPerSecond: events / ((counted - started) / 1000),
        writesPerEvent: (countsOf('other').writeItems - writesBefore) / events,
      };
      console.log(
        `${scenario}: ${fmt(events)} events in ${fmt(requests)} requests, ${fmt(row.answeredPerSecond)} events/s ` +
          `answered, ${fmt(row.countedPerSecond)} events/s counted, ${fmt(row.writesPerEvent, 3)} item writes/event`,
      );
      return row;
    };

    const throughBatcher = async (count: number, pace?: number) => {
      const batcher = createUsageBatcher({
        client,
        onRejected: (rejected) => {
          throw new Error(`rejected: ${JSON.stringify(rejected[0])}`);
        },
      });
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        const subscriptionId = subscriptions[i % subscriptions.length] as string;
        if (pace !== undefined) {
          const due = started + (i / pace) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        await batcher.add({ subscriptionId, dimension: 'api-calls', quantity: 1 });
        emitted(subscriptionId);
      }
      const stats = await batcher.close();
      if (stats.accepted !== count) throw new Error(`accepted ${stats.accepted} of ${count}`);
      return stats.requests;
    };

    // Warm-up: the JIT of Node and of DynamoDB Local's JVM, and the functions' first requests.
    await throughBatcher(5_000);
    await singleRequests(client, subscriptions.slice(0, 2), 200, INFLIGHT, emitted);

    const rows = [
      await measure('batcher, burst', EVENTS, () => throughBatcher(EVENTS)),
      await measure(`batcher, paced ${RATE}/s`, RATE * SECONDS, () => throughBatcher(RATE * SECONDS, RATE)),
      await measure(`one event per request (${INFLIGHT} in flight)`, SINGLE, () =>
        singleRequests(client, subscriptions, SINGLE, INFLIGHT, emitted),
      ),
    ];

    for (const [subscriptionId, count] of expected) {
      const usage = await client.getUsage(subscriptionId, { months: 1 });
      const quantity = usage.months.at(-1)?.dimensions.find((d) => d.dimensionId === 'api-calls')?.quantity;
      if (quantity !== String(count)) throw new Error(`${subscriptionId}: counted ${quantity}, sent ${count}`);
    }
    console.log(`exact: every subscription's api-calls equal the events sent (${subscriptions.length} checked)`);
    console.log('\n| scenario | events | requests | events/s answered | events/s counted | item writes/event |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) {
      console.log(
        `| ${row.scenario} | ${fmt(row.events)} | ${fmt(row.requests)} | ${fmt(row.answeredPerSecond)} | ` +
          `${fmt(row.countedPerSecond)} | ${fmt(row.writesPerEvent, 3)} |`,
      );
    }
  } finally {
    await system.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The app without the batcher: each event in its own request, with an id, `inflight` requests at a time. */
async function singleRequests(
  client: MeteringClient,
  subscriptions: readonly string[],
  count: number,
  inflight: number,
  emitted: (subscriptionId: string) => void,
): Promise<number> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  await forEachLimited(indexes, inflight, async (i) => {
    const subscriptionId = subscriptions[i % subscriptions.length] as string;
    const answer = await client.postUsage([
      { subscriptionId, dimension: 'api-calls', quantity: 1, timestamp: new Date().toISOString(), id: randomUUID() },
    ]);
    if (answer.accepted !== 1) throw new Error(`not accepted: ${JSON.stringify(answer)}`);
    emitted(subscriptionId);
  });
  return count;
}

/** A `basic` subscription (metered api-calls) bought in the emulator and activated on the local landing page. */
async function aSubscription(
  apiUrl: string,
  emulator: Awaited<ReturnType<typeof startLocalSystem>>['emulator'],
): Promise<string> {
  const bought = await emulator.control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
  await fetch(bought.landingUrl);
  const activated = await fetch(`${apiUrl}/landing`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: bought.token }).toString(),
  });
  if (activated.status !== 200) throw new Error(`activation answered ${activated.status}`);
  await new Promise((resolve) => setTimeout(resolve, 10));
  return bought.subscriptionId;
}

await main();
