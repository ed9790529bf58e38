/**
 * Alert latency benchmark (issue 6): time from a usage ingest request to the alert it causes arriving, through the
 * SNS alerts topic with the recipient's filter policy, on a subscribed SQS queue; and DynamoDB reads per evaluated
 * subscription. Real components: DynamoDB Local (in memory) and fauxqs, started here and stopped at the end.
 *
 * In-process pipeline: the ingest Lambda handler (whole middy chain) called with API Gateway v2 events, paced at a
 * steady rate; the usage queue drained by several pollers calling the aggregator (`aggregateUsage`), which evaluates
 * the committed subscriptions and publishes to SNS; fauxqs delivers to the recipients' queues, long-polled here.
 * Each subscription has a budget whose 50% threshold its one request crosses, so each request causes one alert.
 *
 * Run with `npx tsx test/bench/alerts.bench.ts`. Environment: BENCH_ALERTS (default 200), BENCH_ALERT_RATE
 * (requests per second, default 10: what DynamoDB Local sustains here; 50 saturates it), BENCH_POLLERS (aggregator pollers, default 4).
 */
import './quiet-env.ts';
import { performance } from 'node:perf_hooks';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda';
import { localLambdaContext } from '#infra/local/lambda-http-adapter.ts';
import { ALERTS_TOPIC, MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { alertFromSqsBody, SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { parseBudgetSettings } from '#shared/domain/alerts/settings.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import {
  countsOf,
  fmt,
  forEachLimited,
  inPhase,
  instrumentDynamoDb,
  machineLine,
  percentile,
  startStandIns,
  toSqsRecord,
} from './bench-support.ts';

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${raw}`);
  return value;
};
const ALERTS = envInt('BENCH_ALERTS', 200);
const RATE = envInt('BENCH_ALERT_RATE', 10);
const POLLERS = envInt('BENCH_POLLERS', 4);
/** Recipient queues; each is subscribed with the filter policy of a share of the customers. */
const QUEUES = 4;
const DAY = 86_400_000;

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`);
  console.log(
    `workload: ${ALERTS} subscriptions with a budget, one request each (1,200 api-calls: crosses the 50% threshold), ` +
      `${RATE} requests/s, ${POLLERS} aggregator pollers, ${QUEUES} recipient queues`,
  );
  instrumentDynamoDb();
  const standIns = await startStandIns();
  try {
    const tableName = standIns.resources[MAIN_TABLE.envVar] ?? '';
    const queueUrl = standIns.resources[USAGE_QUEUE.envVar] ?? '';
    const documentClient = createDocumentClient(standIns.endpoints);
    const sqs = createSqsClient(standIns.endpoints);
    const publisher = new SnsAlertPublisher(
      createSnsClient(standIns.endpoints),
      standIns.resources[ALERTS_TOPIC.envVar] ?? '',
    );
    const store = new DynamoSubscriptionStore(documentClient, tableName);
    const budgets = new DynamoBudgetStore(documentClient, tableName);
    const { token } = await createApiKey(
      { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock },
      undefined,
      { name: 'bench publisher key', role: 'publisher' },
    );

    // --- subscriptions (basic plan, activated yesterday), budgets of $1,000 with one threshold, recipient queues ---
    const now = Date.now();
    const activatedAt = new Date(now - DAY).toISOString();
    const ids = Array.from({ length: ALERTS }, (_, index) => `alert-bench-${index}`);
    const recipientQueues: { url: string; arn: string }[] = [];
    for (let index = 0; index < QUEUES; index++) {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-alerts-${index}` }))).QueueUrl ?? '';
      const arn =
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
          ?.QueueArn ?? '';
      recipientQueues.push({ url, arn });
    }
    for (const [index, id] of ids.entries()) {
      const subscription: Subscription = {
        id,
        offerId: 'contoso-analytics',
        planId: 'basic',
        status: 'Subscribed',
        term: {
          startDate: activatedAt.slice(0, 10),
          endDate: new Date(now + 28 * DAY).toISOString().slice(0, 10),
          termUnit: 'P1M',
        },
        isFreeTrial: false,
        beneficiary: { tenantId: `tenant-${index}` },
        purchaser: { tenantId: `tenant-${index}` },
        timeline: [{ from: activatedAt, status: 'Subscribed', planId: 'basic' }],
      };
      await store.put(subscription);
      await budgets.putBudget(
        parseBudgetSettings({
          subscriptionId: id,
          customerId: `customer-${index}`,
          plannedMonthlyAmount: { amount: '1000', currency: 'USD' },
          thresholds: ['0.5'],
          // High enough that the first day's usage is never a spike: one alert per request, the budget's.
          spikeMinimumAmount: { amount: '1000000', currency: 'USD' },
        }),
      );
      const queue = recipientQueues[index % QUEUES] as { arn: string };
      await publisher.subscribeQueue({ kind: 'customer', id: `customer-${index}` }, queue.arn);
    }

    const ingest = (await import('#functions/usage-ingest/handler.ts')) as unknown as {
      handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const { aggregateUsage } = await import('#functions/usage-aggregator/handler.ts');
    const usageQueueArn =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn ?? '';

    // --- receivers: the recipients' queues, and the aggregator's pollers on the usage queue ---
    const sentAt = new Map<string, number>();
    /** Stage times per subscription: ingest answered, usage message received by a poller, aggregator returned. */
    const ingested = new Map<string, number>();
    const pickedUp = new Map<string, number>();
    const committed = new Map<string, number>();
    const latencies: number[] = [];
    const arrivals = new Map<string, number>();
    let stopped = false;
    let evaluated = 0;
    let finish: () => void = () => undefined;
    const allArrived = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const receive = async (url: string) => {
      while (!stopped) {
        const page = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const arrived = performance.now();
        const messages = page.Messages ?? [];
        if (messages.length === 0) continue;
        for (const message of messages) {
          const alert = alertFromSqsBody(message.Body ?? '');
          arrivals.set(alert.subscriptionId, (arrivals.get(alert.subscriptionId) ?? 0) + 1);
          const start = sentAt.get(alert.subscriptionId);
          if (start !== undefined) latencies.push(arrived - start);
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
        if (latencies.length >= ALERTS) finish();
      }
    };
    const poll = async () => {
      while (!stopped) {
        const page = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = page.Messages ?? [];
        if (messages.length === 0) continue;
        const received = performance.now();
        const subscriptions = new Set(
          messages.flatMap((message) =>
            (JSON.parse(message.Body ?? '{}') as { slots: { subscriptionId: string }[] }).slots.map(
              (slot) => slot.subscriptionId,
            ),
          ),
        );
        for (const id of subscriptions) pickedUp.set(id, received);
        const response = (await inPhase('aggregate', () =>
          aggregateUsage(
            { Records: messages.map((message) => toSqsRecord(message, usageQueueArn)) },
            { getRemainingTimeInMillis: () => 60_000 },
          ),
        )) as SQSBatchResponse;
        if (response.batchItemFailures.length > 0) throw new Error('the aggregator failed records');
        evaluated += subscriptions.size;
        for (const id of subscriptions) committed.set(id, performance.now());
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
      }
    };
    const loops = [...recipientQueues.map((queue) => receive(queue.url)), ...Array.from({ length: POLLERS }, poll)];

    // --- requests at a steady rate, each timed from the call of the ingest handler ---
    const events = ids.map((id) =>
      httpEvent('POST', '/v1/usage', {
        apiKey: token,
        body: {
          events: [
            {
              subscriptionId: id,
              dimension: 'api-calls',
              quantity: '1200',
              timestamp: new Date(Date.now() - 60_000).toISOString(),
            },
          ],
        },
      }),
    );
    const t0 = performance.now();
    await forEachLimited(
      events.map((event, index) => ({ event, index })),
      ALERTS,
      async ({ event, index }) => {
        const due = t0 + (index * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        sentAt.set(ids[index] as string, performance.now());
        const result = await inPhase('ingest', () => ingest.handler(event, localLambdaContext('usage-ingest')));
        if (result.statusCode !== 202) throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
        ingested.set(ids[index] as string, performance.now());
      },
    );
    const timeout = setTimeout(() => finish(), 60_000);
    await allArrived;
    clearTimeout(timeout);
    // Wait a little for any duplicate delivery before stopping.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    stopped = true;
    await Promise.all(loops);

    const stage = (to: Map<string, number>, from: Map<string, number>) =>
      ids.flatMap((id) => {
        const end = to.get(id);
        const start = from.get(id);
        return end === undefined || start === undefined ? [] : [end - start];
      });
    const describe = (values: number[]) =>
      `p50 ${percentile(values, 50).toFixed(0)} / p99 ${percentile(values, 99).toFixed(0)} ms`;
    console.log(
      `stages: ingest handler ${describe(stage(ingested, sentAt))}; queued → received by a poller ` +
        `${describe(stage(pickedUp, ingested))}; aggregator (commit + evaluation + publish) ` +
        `${describe(stage(committed, pickedUp))}`,
    );
    const aggregate = countsOf('aggregate');
    const duplicates = [...arrivals.values()].filter((count) => count > 1).length;
    console.log(
      `alerts: ${latencies.length} of ${ALERTS} arrived (${duplicates} subscriptions with more than one alert); ` +
        `ingest → SNS → SQS latency p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
        `p90 ${percentile(latencies, 90).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, ` +
        `max ${Math.max(...latencies).toFixed(0)} ms`,
    );
    console.log(
      `aggregator (after-commit evaluation): ${evaluated} subscriptions evaluated, ` +
        `${fmt(aggregate.readRequests / evaluated, 2)} DynamoDB reads per evaluated subscription ` +
        `${JSON.stringify(aggregate.byCommand)} (the TransactWriteItems are the usage commits and the alert record/sent marks)`,
    );

    // --- the same evaluations again (the hourly check, alerts already sent): steady-state reads ---
    const { buildAlertDependencies } = await import('#shared/adapters/compose/alert-dependencies.ts');
    const { loadConfiguredCatalog } = await import('#shared/adapters/catalog/configured-catalog.ts');
    const { loadAlertChecksConfig } = await import('#functions/alert-checks/config.ts');
    const { evaluateSubscriptionAlerts } = await import('#shared/use-cases/alerts/evaluate-subscription-alerts.ts');
    const config = loadAlertChecksConfig();
    const deps = buildAlertDependencies(config, documentClient, loadConfiguredCatalog(config.catalog));
    let resent = 0;
    const r0 = performance.now();
    await forEachLimited(ids, 8, async (id) => {
      const result = await inPhase('reevaluate', () => evaluateSubscriptionAlerts(deps, id));
      resent += result.results.filter((entry) => entry.outcome === 'sent').length;
    });
    const reevaluate = countsOf('reevaluate');
    console.log(
      `re-evaluation of the ${ALERTS} subscriptions (alerts already sent): ` +
        `${fmt(reevaluate.readRequests / ALERTS, 2)} reads per subscription ${JSON.stringify(reevaluate.byCommand)}, ` +
        `${resent} sent again, ${fmt((ALERTS / (performance.now() - r0)) * 1000)} evaluations/s`,
    );
  } finally {
    await standIns.stop();
  }
}

await main();
