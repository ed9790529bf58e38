import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMeteringClient,
  createUsageBatcher,
  type MeteringClient,
  type RejectedUsageEvent,
} from '#clients/typescript/src/index.ts';
import { type LocalSystem, startLocalSystem } from '#infra/local/local-system.ts';
import { USAGE_QUEUE } from '#infra/resources.ts';
import { startCuttableProxy } from '#test/helpers/cuttable-proxy.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { localClients, localEndpoints } from '#test/helpers/local-aws.ts';
import { activateOnLandingPage } from '#test/helpers/local-landing.ts';

/**
 * Issue 14 item 3: the TypeScript client's usage batcher against the whole local system over HTTP (the usage
 * function behind the local HTTP server, the usage queue polled into the aggregator, DynamoDB Local): an app adds
 * events one by one and every event is counted exactly once — also when the API goes away in the middle and comes
 * back, and when answers are lost after the API did the work.
 */
describe('the usage batcher against the local system', () => {
  let system: LocalSystem;
  let workDir: string;
  let client: MeteringClient;
  let publisherKey: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'usage-batcher-'));
    system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `b${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    });
    publisherKey = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
    client = createMeteringClient({ baseUrl: system.apiUrl, apiKey: publisherKey });
  }, 60_000);
  afterAll(async () => {
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** A `basic` subscription (metered `api-calls`) bought in the emulator and activated on the local landing page. */
  async function aSubscribedSubscription(): Promise<string> {
    const bought = await system.emulator.control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
    const { page, activated } = await activateOnLandingPage(system, bought);
    expect(page.status).toBe(200);
    expect(activated.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 10)); // usage stamped after the activation instant
    return bought.subscriptionId;
  }

  /** The month's api-calls of a subscription as the API reports them, once the aggregator has counted `expected`. */
  async function countedApiCalls(subscriptionId: string, expected: string): Promise<string> {
    const read = async () => {
      const usage = await client.getUsage(subscriptionId, { months: 1 });
      const dimension = usage.months.at(-1)?.dimensions.find((d) => d.dimensionId === 'api-calls');
      return dimension?.quantity ?? '0';
    };
    // Up to a minute: on a loaded machine (the whole suite in parallel) an aggregator batch can take that long; a
    // count still short after it fails the test, as a lost event must.
    await eventually(async () => (await read()) === expected, 60_000).catch(() => undefined);
    // Read again after a moment: a count that only grows past `expected` later would be a double count.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const counted = await read();
    // A short count says whether the rest is late (messages in flight, back after the visibility timeout) or lost.
    if (counted !== expected) console.error(`api-calls ${counted} of ${expected}: ${await queueState()}`);
    return counted;
  }

  /** The usage queue's and the dead-letter queue's message counts (visible, in flight). */
  async function queueState(): Promise<string> {
    const sqs = localClients().sqs;
    const queues = { usage: system.resources[USAGE_QUEUE.envVar] ?? '', deadLetters: system.deadLetterQueueUrl };
    const states = await Promise.all(
      Object.entries(queues).map(async ([name, url]) => {
        const { Attributes: counts = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return `${name} ${counts.ApproximateNumberOfMessages} visible, ${counts.ApproximateNumberOfMessagesNotVisible} in flight`;
      }),
    );
    return states.join('; ');
  }

  it('counts exactly the events an app adds one by one, across subscriptions', async () => {
    const [first, second] = [await aSubscribedSubscription(), await aSubscribedSubscription()];
    const rejected: RejectedUsageEvent[] = [];
    const batcher = createUsageBatcher({ client, onRejected: (events) => rejected.push(...events) });

    for (let i = 0; i < 2_400; i++) {
      await batcher.add({ subscriptionId: i % 3 === 0 ? second : first, dimension: 'api-calls', quantity: 1 });
    }
    // One event with a dimension the plan does not have: reported with the API's reason and message, not counted.
    await batcher.add({ subscriptionId: first, dimension: 'api-call', quantity: 1 });
    const stats = await batcher.close();

    expect(stats).toMatchObject({ accepted: 2_400, rejected: 1, duplicate: 0, buffered: 0 });
    expect(rejected).toEqual([expect.objectContaining({ reason: 'unknownDimension' })]);
    expect(rejected[0]?.message).toContain('api-calls');
    expect(await countedApiCalls(first, '1600')).toBe('1600');
    expect(await countedApiCalls(second, '800')).toBe('800');
  }, 180_000);

  it('counts every event once when the API goes away mid-stream, comes back, and loses answers', async () => {
    const subscriptionId = await aSubscribedSubscription();
    const proxy = await startCuttableProxy(system.apiUrl);
    const retries: string[] = [];
    const batcher = createUsageBatcher({
      client: createMeteringClient({ baseUrl: proxy.url, apiKey: publisherKey, timeoutMs: 10_000 }),
      maxBatchEvents: 100,
      flushIntervalMs: 20,
      maxBufferedEvents: 1_000,
      retry: { initialDelayMs: 50, maxDelayMs: 400 },
      onRetry: ({ error }) => retries.push(error.name),
    });

    try {
      for (let i = 0; i < 3_000; i++) {
        if (i === 800) {
          // The API goes away with requests in flight, and comes back a second later on the same port.
          await proxy.cut();
          setTimeout(() => void proxy.restore(), 1_000);
        }
        // The next answers are lost after the API counted their events: the retries bring the same events again.
        if (i === 2_000) proxy.dropAnswers(4);
        await batcher.add({ subscriptionId, dimension: 'api-calls', quantity: '0.5' });
      }
      const stats = await batcher.close();

      expect(proxy.counts.droppedAnswers).toBe(4);
      expect(retries).toContain('MeteringNetworkError');
      expect(stats.rejected).toBe(0);
      expect(stats.accepted + stats.duplicate).toBe(3_000);
      expect(await countedApiCalls(subscriptionId, '1500')).toBe('1500');
    } finally {
      await proxy.stop();
    }
  }, 180_000);
});
