/**
 * Metering pipeline benchmark (issue 5): usage ingest → SQS (fauxqs) → aggregator → DynamoDB Local → reporter →
 * marketplace emulator, on real components started here and stopped at the end, and the same workload through a
 * naive baseline (one item per event, summed at report time: the nearest peer's design).
 *
 * How a client meets it: the requests go over HTTP (keep-alive, BENCH_CLIENTS in flight) to the local mode's HTTP
 * adapter in front of the ingest Lambda handler (`functions/usage-ingest/handler.ts`, with its whole middy chain:
 * API-key authentication, Powertools idempotency on the `Idempotency-Key` header, zod parsing, the duplicate check of
 * event ids); every event carries an id; requests of 1,000 also carry an Idempotency-Key (an app batching usage),
 * smaller ones do not (an app sending usage as it happens, in time order, relying on event ids). The aggregator
 * (`aggregateUsage`, with its alert evaluation after each batch) is fed by the local mode's queue pollers
 * (`infra/local/queue-poller.ts`), gathering batches as the deployed event source mapping is configured to
 * (`USAGE_AGGREGATOR_FUNCTION.trigger`); the reporter (`reportUsage` with the deployed dependencies) talks HTTP to the
 * emulator. DynamoDB operations are counted for every client of the process (see `instrumentDynamoDb`).
 *
 * Warm-up: before anything is measured, a workload of BENCH_WARMUP_EVENTS (default 300,000) events at requests of
 * 1,000, for a second set of subscriptions, goes through the same pipeline, so that the JIT compilers of DynamoDB
 * Local's JVM and of Node have compiled the hot paths (a deployed system runs warm, and DynamoDB itself has no JIT):
 * on a cold JVM, the same requests run at about 60% of the warm speed. The warm-up's own figure is printed as the
 * cold-start figure. Its usage is reported and billed with the measured workload's.
 *
 * Run with `npx tsx test/bench/metering.bench.ts`. Environment: BENCH_EVENTS (events at requests of 1,000, default
 * 1,000,000), BENCH_EVENTS_100 / _10 / _1 (defaults 500,000 / 60,000 / 8,000), BENCH_SUBSCRIPTIONS (default 100),
 * BENCH_NAIVE_EVENTS (events of the naive baseline per request size, default 10,000), BENCH_CLIENTS (requests in
 * flight, default 16), BENCH_POLLERS (aggregator pollers, i.e. concurrent batches, default 2), BENCH_WARMUP_EVENTS (default 300,000; 0 for none),
 * BENCH_PROFILE (a file name: writes a V8 CPU profile of this process during the measured run at requests of 1,000,
 * to open in Chrome DevTools or VS Code).
 */

// First: the logger and metrics read their settings when their module loads.
import './quiet-env.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSBatchResponse,
  SQSRecord,
} from 'aws-lambda';
import { USAGE_AGGREGATOR_FUNCTION, USAGE_INGEST_FUNCTION } from '#infra/functions.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { marketplaceClientEnv } from '#infra/local/function-env.ts';
import { localLambdaContext, toHttpApiEvent, writeHttpApiResult } from '#infra/local/lambda-http-adapter.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { startQueuePoller } from '#infra/local/queue-poller.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { Dec } from '#shared/domain/money.ts';
import { lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { subscriptionFromEmulator } from '#test/helpers/emulator-subscription.ts';
import {
  billedOperationsOf,
  countsOf,
  countWriteUnits,
  fmt,
  forEachLimited,
  inPhase,
  instrumentAws,
  invokeFunction,
  machineLine,
  seeded,
  startStandIns,
} from './bench-support.ts';
import { type CostRow, costTable, loadAwsPrices } from './cost-model.ts';

const HOUR = 3_600_000;
const OFFER = 'contoso-analytics';
const PLAN = 'basic';
const DIMENSIONS = ['api-calls', 'gb-processed', 'reports'] as const;
/** The basic plan's included quantities per monthly term (infra/catalog/catalog.yaml), in hundredths. */
const INCLUDED_CENTS: Record<string, bigint> = { 'api-calls': 10_000n, 'gb-processed': 5_000n, reports: 1_000n };
const HOURS = 3;

const envInt = (name: string, fallback: number, minimum = 1) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be a whole number ≥ ${minimum}, got ${raw}`);
  }
  return value;
};
/**
 * Events per request size: about 20 s of requests each on a 2-core machine, so that the figure is the pipeline's
 * sustained rate. The aggregator's trigger gathers messages for up to 5 s (its batching window) before a batch runs,
 * so the last events are aggregated up to 5 s after their request was answered: a delay, not a limit on the rate. On a
 * workload of 2–4 s of requests (the defaults until 2026-12-07) that delay was most of the time measured, and every
 * size came out at its events divided by about 6.5 s. The delay is printed on its own ("then aggregated within").
 */
const SIZES: { size: number; events: number }[] = [
  { size: 1000, events: envInt('BENCH_EVENTS', 1_000_000) },
  { size: 100, events: envInt('BENCH_EVENTS_100', 500_000) },
  { size: 10, events: envInt('BENCH_EVENTS_10', 60_000) },
  { size: 1, events: envInt('BENCH_EVENTS_1', 8_000) },
];
/** Events of the naive baseline per request size (its PutItem per event is slow on DynamoDB Local). */
const NAIVE_EVENTS = envInt('BENCH_NAIVE_EVENTS', 10_000);
const SUBSCRIPTIONS = envInt('BENCH_SUBSCRIPTIONS', 100);
const CLIENTS = envInt('BENCH_CLIENTS', 16);
const POLLERS = envInt('BENCH_POLLERS', 2);
/** Events run through the pipeline before measuring, so both JIT compilers are warm (0: no warm-up). */
const WARMUP_EVENTS = envInt('BENCH_WARMUP_EVENTS', 300_000, 0);
/** Events of the cost pass per request size (BENCH_COST_SCALE multiplies them; default 1). */
const COST_SCALE = Number(process.env.BENCH_COST_SCALE ?? '1');
const COST_EVENTS: Record<number, number> = {
  1000: Math.round(20_000 * COST_SCALE),
  100: Math.round(10_000 * COST_SCALE),
  10: Math.round(3_000 * COST_SCALE),
  1: Math.round(1_000 * COST_SCALE),
};
/** PutItem calls in flight per request in the naive baseline. */
const NAIVE_PUTS_PER_REQUEST = 25;

interface Workload {
  readonly size: number;
  readonly events: number;
  readonly subscriptionIds: readonly string[];
  readonly bodies: readonly { subscriptionId: string; body: string; key?: string }[];
  /** Generated quantity per `<subscription>|<dimension>`, in hundredths (exact). */
  readonly cents: Map<string, bigint>;
  readonly totalCents: bigint;
}

interface Figures {
  design: 'ours' | 'naive';
  size: number;
  events: number;
  requests: number;
  seconds: number;
  writeItems: number;
  readRequests: number;
  exact: boolean;
}

/** Hundredths as an exact decimal string. */
const centsToDecimal = (cents: bigint) => {
  const text = cents.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
};

/**
 * Requests of `size` events, each of one subscription (round robin), over `hours` closed hours; every event has an id.
 * Requests of 1,000 (an app batching a period's usage) have random times over the hours and an Idempotency-Key;
 * smaller ones (an app sending usage as it happens) have times that advance with the requests, and no key.
 */
function generate(
  size: number,
  events: number,
  subscriptionIds: readonly string[],
  firstHour: number,
  label = 'measured',
): Workload {
  const random = seeded(size * 7919 + events);
  const bodies: Workload['bodies'][number][] = [];
  const cents = new Map<string, bigint>();
  let totalCents = 0n;
  const requests = Math.ceil(events / size);
  const asItHappens = size < 1000;
  for (let request = 0; request < requests; request++) {
    const subscriptionId = subscriptionIds[request % subscriptionIds.length] as string;
    const count = Math.min(size, events - request * size);
    const list = [];
    for (let index = 0; index < count; index++) {
      const dimension = DIMENSIONS[Math.floor(random() * DIMENSIONS.length)] as string;
      const hundredths = 1 + Math.floor(random() * 999);
      const quantity = centsToDecimal(BigInt(hundredths));
      const offset = asItHappens
        ? Math.floor(((request * size + index) / events) * HOURS * HOUR)
        : Math.floor(random() * HOURS * HOUR);
      const timestamp = new Date(firstHour + offset).toISOString();
      list.push({ subscriptionId, dimension, quantity, timestamp, id: `${label}-${size}-${request}-${index}` });
      const key = `${subscriptionId}|${dimension}`;
      cents.set(key, (cents.get(key) ?? 0n) + BigInt(hundredths));
      totalCents += BigInt(hundredths);
    }
    bodies.push({
      subscriptionId,
      body: JSON.stringify({ events: list }),
      key: asItHappens ? undefined : `bench-${label}-${size}-${request}`,
    });
  }
  return { size, events, subscriptionIds, bodies, cents, totalCents };
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`);
  console.log(
    `workload: ${SIZES.map((s) => `${fmt(s.events)} events at requests of ${s.size}`).join(', ')}; ` +
      `${SUBSCRIPTIONS} subscriptions per size, ${DIMENSIONS.length} dimensions, ${HOURS} closed hours; ` +
      `${CLIENTS} requests in flight, ${POLLERS} aggregator pollers; warm-up ${fmt(WARMUP_EVENTS)} events`,
  );
  instrumentAws();
  countWriteUnits(false);
  const startedAt = performance.now();
  const standIns = await startStandIns();
  let emulator: MarketplaceEmulator | undefined;
  // The local HTTP adapter in front of the ingest handler; closed at the end, or the process would never exit.
  let server: Server | undefined;
  try {
    const catalog = await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'));
    // Manual clock: the subscriptions are bought and activated 8 hours ago (emulator time), before every usage hour,
    // then the clock is set to the real time so the Metering API's 24-hour window is the real one.
    emulator = await startMarketplaceEmulator({
      catalog,
      clock: 'manual',
      startTime: new Date(Date.now() - 8 * HOUR),
      verifyTokenExpiry: false,
    });
    const caPath = join(await mkdtemp(join(tmpdir(), 'bench-ca-')), 'ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
    Object.assign(process.env, {
      ...marketplaceClientEnv(emulator, caPath),
    });
    const tableName = standIns.resources[MAIN_TABLE.envVar] ?? '';
    const queueUrl = standIns.resources[USAGE_QUEUE.envVar] ?? '';
    const documentClient = createDocumentClient(standIns.endpoints);
    const store = new DynamoSubscriptionStore(documentClient, tableName);
    const { token } = await createApiKey(
      { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock },
      undefined,
      { name: 'bench publisher key', role: 'publisher' },
    );

    // --- subscriptions: those of the main size live in the emulator too (the reporter bills them) ---
    const http = emulatorMarketplace(emulator);
    // The first SUBSCRIPTIONS are billed for the measured workload at requests of 1,000, the next ones for the warm-up.
    const billed: string[] = [];
    for (let index = 0; index < SUBSCRIPTIONS * (WARMUP_EVENTS > 0 ? 2 : 1); index++) {
      const tenantId = `0c1d2e3f-4a5b-4c6d-8e7f-${String(index).padStart(12, '0')}`;
      const bought = await emulator.control.purchase({
        offerId: OFFER,
        planId: PLAN,
        beneficiary: { tenantId, emailId: `user${index}@customer.example` },
        purchaser: { tenantId, emailId: `buyer${index}@customer.example` },
      });
      billed.push(bought.subscriptionId);
    }
    await forEachLimited(billed, 8, async (id) => {
      await http.activate(id, { planId: PLAN });
    });
    await emulator.control.setTime(new Date());
    const control = emulator.control;
    await forEachLimited(billed, 8, (id) => store.put(subscriptionFromEmulator(control, id, 'tenant-bench')));
    const warmupSubscriptions = billed.splice(SUBSCRIPTIONS);
    const others = new Map<number, string[]>();
    const costSubscriptions = new Map<number, string[]>();
    for (const { size } of SIZES) {
      const ids = Array.from({ length: SUBSCRIPTIONS }, (_, index) => `bench-cost-${size}-${index}`);
      costSubscriptions.set(size, ids);
      const term = billed[0] ? subscriptionFromEmulator(control, billed[0], 'tenant-bench') : undefined;
      await forEachLimited(ids, 8, (id) => store.put({ ...(term as Subscription), id }));
    }
    for (const { size } of SIZES.slice(1)) {
      const ids = Array.from({ length: SUBSCRIPTIONS }, (_, index) => `bench-${size}-${index}`);
      others.set(size, ids);
      const term = billed[0] ? subscriptionFromEmulator(control, billed[0], 'tenant-bench') : undefined;
      await forEachLimited(ids, 8, (id) => store.put({ ...(term as Subscription), id }));
    }

    // Handlers read their configuration when their module loads: imported only now.
    const ingest = (await import('#functions/usage-ingest/handler.ts')) as unknown as {
      handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const { aggregateUsage } = await import('#functions/usage-aggregator/handler.ts');
    const { buildUsageReporterDependencies } = await import('#shared/adapters/compose/usage-reporter-dependencies.ts');
    const { loadUsageReporterConfig } = await import('#functions/usage-reporter/config.ts');
    const sqs = createSqsClient(standIns.endpoints);
    const queueArn =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn ?? '';
    const ledger = new DynamoUsageLedger(documentClient, tableName);
    const lastHour = lastClosedHour(new Date(), 10).getTime();
    const firstHour = lastHour - (HOURS - 1) * HOUR;

    // The local mode's HTTP adapter in front of the ingest handler, as a client meets it.
    let ingestPhase = 'other';
    const ingestServer = createServer((request, response) => {
      toHttpApiEvent(request, 'POST /v1/usage')
        .then((event) =>
          inPhase(ingestPhase, () =>
            invokeFunction(USAGE_INGEST_FUNCTION, () => ingest.handler(event, localLambdaContext('usage-ingest')), {
              httpApiRequest: event,
            }),
          ),
        )
        .then((result) => writeHttpApiResult(response, result))
        .catch((error: unknown) => {
          response.statusCode = 500;
          response.end(String(error));
        });
    });
    server = ingestServer;
    ingestServer.keepAliveTimeout = 60_000;
    await new Promise<void>((listening) => ingestServer.listen(0, '127.0.0.1', listening));
    const ingestUrl = `http://127.0.0.1:${(ingestServer.address() as AddressInfo).port}/v1/usage`;
    const trigger = USAGE_AGGREGATOR_FUNCTION.trigger as NonNullable<typeof USAGE_AGGREGATOR_FUNCTION.trigger>;

    /** Our pipeline on one workload: HTTP → ingest handler → fauxqs → pollers → aggregator; returns the figures. */
    async function runPipeline(workload: Workload, label = 'ours'): Promise<Figures> {
      const phase = `${label}:${workload.size}`;
      ingestPhase = `${phase}:ingest`;
      let applied = 0;
      let finish: () => void = () => undefined;
      const allApplied = new Promise<void>((resolve) => {
        finish = resolve;
      });
      // The pollers' receives and deletes are SQS requests Lambda's event source mapping makes (and bills).
      const pollers = await inPhase(`${phase}:queue`, async () =>
        Array.from({ length: POLLERS }, () =>
          startQueuePoller(sqs, {
            queueUrl,
            queueArn,
            batchSize: trigger.batchSize,
            maxBatchingWindowSeconds: trigger.maxBatchingWindowSeconds,
            waitOutWindow: true,
            onError: (error) => console.error('aggregator batch failed', error),
            handler: async (event) => {
              const response = (await inPhase(`${phase}:aggregate`, () =>
                invokeFunction(USAGE_AGGREGATOR_FUNCTION, () =>
                  aggregateUsage(event, { getRemainingTimeInMillis: () => trigger.batchSize * 30 }),
                ),
              )) as SQSBatchResponse;
              const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
              applied += eventsIn(event.Records.filter((record) => !failed.has(record.messageId)));
              if (applied >= workload.events) finish();
              return response;
            },
          }),
        ),
      );
      const profile =
        label === 'ours' && workload.size === Number(process.env.BENCH_PROFILE_SIZE ?? 1000)
          ? await startProfile()
          : undefined;
      const jvm0 = standIns.dynamoDbCpuSeconds();
      const node0 = process.cpuUsage();
      const t0 = performance.now();
      let ingestSeconds = 0;
      await forEachLimited(workload.bodies, CLIENTS, async ({ body, key }) => {
        const answer = await fetch(ingestUrl, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            ...(key ? { 'idempotency-key': key } : {}),
          },
          body,
        });
        const text = await answer.text();
        const parsed = JSON.parse(text) as { rejected?: number; duplicate?: number };
        if (answer.status !== 202 || parsed.rejected !== 0 || parsed.duplicate !== 0) {
          throw new Error(`ingest answered ${answer.status}: ${text.slice(0, 400)}`);
        }
      });
      ingestSeconds = (performance.now() - t0) / 1000;
      const timeout = setTimeout(() => finish(), 300_000);
      await allApplied;
      clearTimeout(timeout);
      const seconds = (performance.now() - t0) / 1000;
      const nodeCpu = process.cpuUsage(node0);
      await profile?.stop();
      const nodeCpuSeconds = (nodeCpu.user + nodeCpu.system) / 1e6;
      const jvm1 = standIns.dynamoDbCpuSeconds();
      const jvmCpuSeconds = jvm0 === undefined || jvm1 === undefined ? undefined : jvm1 - jvm0;
      await Promise.all(pollers.map((poller) => poller.stop()));
      if (applied < workload.events) throw new Error(`only ${applied} of ${workload.events} events were aggregated`);

      // Exact totals: the ledger's slots, summed per (subscription, dimension), against the generated quantities.
      let exact = true;
      let total = new Dec(0);
      await forEachLimited(
        workload.subscriptionIds.flatMap((id) => DIMENSIONS.map((dimension) => [id, dimension] as const)),
        16,
        async ([id, dimension]) => {
          const slots = await inPhase('verify', () =>
            ledger.readSlots(id, dimension, new Date(firstHour), new Date(lastHour)),
          );
          const sum = slots.reduce((acc, slot) => acc.plus(slot.quantity), new Dec(0));
          total = total.plus(sum);
          const expected = centsToDecimal(workload.cents.get(`${id}|${dimension}`) ?? 0n);
          if (!sum.equals(expected)) exact = false;
        },
      );
      exact &&= total.equals(centsToDecimal(workload.totalCents));
      const ingestCounts = countsOf(`${phase}:ingest`);
      const aggregateCounts = countsOf(`${phase}:aggregate`);
      console.log(
        `  ${label.padEnd(5)} @${String(workload.size).padStart(4)}: ${fmt(workload.events)} events, ${fmt(workload.bodies.length)} requests, ` +
          `ingest done ${ingestSeconds.toFixed(2)} s (${fmt(workload.events / ingestSeconds)} events/s answered), ` +
          `then aggregated within ${(seconds - ingestSeconds).toFixed(2)} s, all aggregated ${seconds.toFixed(2)} s → ` +
          `${fmt(workload.events / seconds)} events/s; writes: ingest ${fmt(ingestCounts.writeItems)} ` +
          `${JSON.stringify(ingestCounts.byCommand)}, aggregator ${fmt(aggregateCounts.writeItems)} ` +
          `${JSON.stringify(aggregateCounts.byCommand)}; total ${total.toString()} ${exact ? 'exact' : 'MISMATCH'}`,
      );
      // Where the two cores went: this process (handlers, AWS SDK, fauxqs, pollers) and DynamoDB Local's JVM.
      const perRequest = (cpuSeconds: number) =>
        `${((cpuSeconds * 1000) / workload.bodies.length).toFixed(1)} ms/request`;
      console.log(
        `      CPU: node ${nodeCpuSeconds.toFixed(1)} s (${perRequest(nodeCpuSeconds)}), DynamoDB Local JVM ` +
          (jvmCpuSeconds === undefined
            ? 'not measurable here'
            : `${jvmCpuSeconds.toFixed(1)} s (${perRequest(jvmCpuSeconds)})`) +
          ` over ${seconds.toFixed(1)} s on ${cpus().length} cores`,
      );
      return {
        design: 'ours',
        size: workload.size,
        events: workload.events,
        requests: workload.bodies.length,
        seconds,
        writeItems: ingestCounts.writeItems + aggregateCounts.writeItems,
        readRequests: ingestCounts.readRequests + aggregateCounts.readRequests,
        exact,
      };
    }

    // --- the naive baseline: one PutItem per event at ingest, a Query and a sum per slot at report time ---
    const naiveClient = new DynamoDBClient({
      endpoint: standIns.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    let naiveSequence = 0;
    const naiveReports = new Map<number, Awaited<ReturnType<typeof naiveReport>>>();
    async function runNaive(workload: Workload): Promise<Figures> {
      const phase = `naive:${workload.size}`;
      const t0 = performance.now();
      await forEachLimited(workload.bodies, CLIENTS, async ({ body }) => {
        const { events } = JSON.parse(body) as {
          events: { subscriptionId: string; dimension: string; quantity: string; timestamp: string }[];
        };
        await inPhase(phase, () =>
          forEachLimited(events, NAIVE_PUTS_PER_REQUEST, async (event) => {
            await naiveClient.send(
              new PutItemCommand({
                TableName: tableName,
                Item: {
                  pk: { S: `NAIVE#${event.subscriptionId}` },
                  sk: { S: `${event.dimension}#${event.timestamp}#${naiveSequence++}` },
                  quantity: { N: event.quantity },
                },
              }),
            );
          }),
        );
      });
      const seconds = (performance.now() - t0) / 1000;
      const counts = countsOf(phase);
      const report = await naiveReport(workload);
      naiveReports.set(workload.size, report);
      console.log(
        `  naive @${String(workload.size).padStart(4)}: ${fmt(workload.events)} events, ${fmt(workload.bodies.length)} requests, ` +
          `all written ${seconds.toFixed(2)} s → ${fmt(workload.events / seconds)} events/s; writes ${fmt(counts.writeItems)}; ` +
          `total ${report.total.toString()} ${report.exact ? 'exact' : 'MISMATCH'}`,
      );
      return {
        design: 'naive',
        size: workload.size,
        events: workload.events,
        requests: workload.bodies.length,
        seconds,
        writeItems: counts.writeItems,
        readRequests: counts.readRequests,
        exact: report.exact,
      };
    }

    /** The naive report: per (subscription, dimension, hour), query the events and sum them. */
    async function naiveReport(workload: Workload) {
      const slots = workload.subscriptionIds.flatMap((id) =>
        DIMENSIONS.flatMap((dimension) =>
          Array.from({ length: HOURS }, (_, h) => ({ id, dimension, hour: firstHour + h * HOUR })),
        ),
      );
      const sums = new Map<string, Dec>();
      const phase = `naive:${workload.size}:report`;
      const t0 = performance.now();
      await forEachLimited(slots, 8, async ({ id, dimension, hour }) => {
        let sum = new Dec(0);
        let startKey: Record<string, never> | undefined;
        do {
          const page = await inPhase(phase, () =>
            naiveClient.send(
              new QueryCommand({
                TableName: tableName,
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
                ExpressionAttributeValues: {
                  ':pk': { S: `NAIVE#${id}` },
                  ':prefix': { S: `${dimension}#${new Date(hour).toISOString().slice(0, 13)}` },
                },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
            ),
          );
          for (const item of page.Items ?? []) sum = sum.plus(item.quantity?.N ?? '0');
          startKey = page.LastEvaluatedKey as typeof startKey;
        } while (startKey);
        const key = `${id}|${dimension}`;
        sums.set(key, (sums.get(key) ?? new Dec(0)).plus(sum));
      });
      const seconds = (performance.now() - t0) / 1000;
      let exact = true;
      let total = new Dec(0);
      for (const [key, sum] of sums) {
        total = total.plus(sum);
        if (!sum.equals(centsToDecimal(workload.cents.get(key) ?? 0n))) exact = false;
      }
      exact &&= total.equals(centsToDecimal(workload.totalCents));
      return { slots: slots.length, seconds, queries: countsOf(phase).readRequests, total, exact };
    }

    // --- requests of 1,000: our pipeline, the reporter against the emulator, then the baseline ---
    const figures: Figures[] = [];
    const [main, ...smaller] = SIZES as [(typeof SIZES)[number], ...typeof SIZES];
    const workloads: Workload[] = [];
    if (WARMUP_EVENTS > 0) {
      const warmup = generate(main.size, WARMUP_EVENTS, warmupSubscriptions, firstHour, 'warm-up');
      workloads.push(warmup);
      const figures = await runPipeline(warmup, 'warm-up (cold start)');
      if (!figures.exact) throw new Error('the warm-up workload was not aggregated exactly');
    }
    const mainWorkload = generate(main.size, main.events, billed, firstHour);
    workloads.push(mainWorkload);
    figures.push(await runPipeline(mainWorkload));

    const reporterDeps = await buildUsageReporterDependencies(loadUsageReporterConfig());
    const r0 = performance.now();
    const summary = await inPhase('report', () => reportUsage(reporterDeps));
    const reportSeconds = (performance.now() - r0) / 1000;
    const reportCounts = countsOf('report');
    const reportedExact = checkBilled(emulator.control.usageLedger(), workloads);
    console.log(
      `  reporter: ${fmt(summary.slotsRated)} slots rated (${fmt(summary.eventsSent)} events sent, ` +
        `${fmt(summary.slotsIncluded)} within the included quantity) in ${reportSeconds.toFixed(2)} s → ` +
        `${fmt(summary.slotsRated / reportSeconds)} slots/s; ${fmt(reportCounts.writeItems)} item writes, ` +
        `${fmt(reportCounts.readRequests)} reads; billed overage ${reportedExact.billed} ` +
        `${reportedExact.exact ? 'exact' : 'MISMATCH'} (answers ${JSON.stringify(summary.answers)})`,
    );

    figures.push(
      await runNaive(
        generate(
          main.size,
          Math.min(main.events, NAIVE_EVENTS),
          billed.map((id) => `${id}-naive`),
          firstHour,
        ),
      ),
    );
    const naiveMain = naiveReports.get(main.size) as Awaited<ReturnType<typeof naiveReport>>;

    for (const { size, events } of smaller) {
      const workload = generate(size, events, others.get(size) ?? [], firstHour);
      figures.push(await runPipeline(workload));
      const naiveWorkload = generate(
        size,
        Math.min(events, NAIVE_EVENTS),
        (others.get(size) ?? []).map((id) => `${id}-naive`),
        firstHour,
      );
      figures.push(await runNaive(naiveWorkload));
    }
    naiveClient.destroy();

    // --- cost: each size again, smaller, with DynamoDB request units sized item by item (which slows the run) ---
    countWriteUnits(true);
    const costRows: CostRow[] = [];
    for (const { size } of SIZES) {
      const events = COST_EVENTS[size] ?? 1000;
      const workload = generate(size, events, costSubscriptions.get(size) ?? [], firstHour, 'cost');
      const figures = await runPipeline(workload, 'cost');
      if (!figures.exact) throw new Error(`the cost workload at requests of ${size} was not aggregated exactly`);
      costRows.push({
        eventsPerRequest: size,
        events,
        operations: billedOperationsOf(`cost:${size}:ingest`, `cost:${size}:aggregate`, `cost:${size}:queue`),
      });
    }
    countWriteUnits(false);

    // --- summary ---
    console.log('');
    console.log('| request size | design | events | requests | time (s) | events/s | item writes/event | exact |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const f of figures) {
      console.log(
        `| ${f.size} | ${f.design} | ${fmt(f.events)} | ${fmt(f.requests)} | ${f.seconds.toFixed(2)} | ` +
          `${fmt(f.events / f.seconds)} | ${(f.writeItems / f.events).toFixed(4)} | ${f.exact ? 'yes' : 'NO'} |`,
      );
    }
    console.log('');
    for (const { size } of SIZES) {
      const ours = figures.find((f) => f.design === 'ours' && f.size === size);
      const naive = figures.find((f) => f.design === 'naive' && f.size === size);
      if (!ours || !naive) continue;
      console.log(
        `ratio @${size}: events/s ours/naive ${(ours.events / ours.seconds / (naive.events / naive.seconds)).toFixed(2)}×, ` +
          `writes/event naive/ours ${(naive.writeItems / naive.events / (ours.writeItems / ours.events)).toFixed(1)}×`,
      );
    }
    console.log(
      `reporter slots/s: ours ${fmt(summary.slotsRated / reportSeconds)} (rate + write-ahead + emulator call + answer), ` +
        `naive ${fmt(naiveMain.slots / naiveMain.seconds)} (Query + sum only, ${fmt(naiveMain.queries / naiveMain.slots, 2)} queries/slot, ` +
        `no rating and no call)`,
    );
    const oursMain = figures[0] as Figures;
    const target = (size: number, minRate: number, maxWrites: number) => {
      const f = figures.find((figure) => figure.design === 'ours' && figure.size === size);
      if (!f) return '';
      const rate = f.events / f.seconds;
      const writes = f.writeItems / f.events;
      return (
        `@${size}: ≥ ${fmt(minRate)} events/s → ${fmt(rate)} ${rate >= minRate ? 'MET' : 'MISSED'}; ` +
        `≤ ${maxWrites} item writes/event → ${writes.toFixed(4)} ${writes <= maxWrites ? 'MET' : 'MISSED'}`
      );
    };
    console.log('targets (issue 12):');
    console.log(`  ${target(1000, 30_000, 0.05)}`);
    console.log(`  ${target(10, 5_000, 0.2)}`);
    console.log(`  ${target(1, 1_000, 2)}`);
    console.log(
      `  exact totals → ${figures.every((f) => f.exact) && reportedExact.exact ? 'MET' : 'MISSED'} ` +
        `(main run ${fmt(oursMain.events)} events)`,
    );
    console.log('');
    console.log('Cost per million events (AWS list prices of test/bench/aws-prices.json):');
    console.log(costTable(costRows, loadAwsPrices()));
    console.log(`total run time ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
  } finally {
    server?.closeAllConnections();
    server?.close();
    await emulator?.stop();
    await standIns.stop();
  }
}

/** With BENCH_PROFILE set, starts V8's CPU profiler; `stop` writes the profile to that file. */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`      CPU profile of the measured run written to ${file}`);
    },
  };
}

/** Events carried by the usage messages (sum of their slots' `eventCount`). */
function eventsIn(records: readonly SQSRecord[]): number {
  let count = 0;
  for (const record of records) {
    const body = JSON.parse(record.body) as { slots?: { eventCount: number }[] };
    for (const slot of body.slots ?? []) count += slot.eventCount;
  }
  return count;
}

/** The emulator's accepted ledger against the expected overage: per (subscription, dimension), total minus included. */
function checkBilled(
  ledger: readonly { resourceId: string; dimension: string; quantity: number }[],
  workloads: readonly Workload[],
): { billed: string; exact: boolean } {
  const billed = new Map<string, Dec>();
  let total = new Dec(0);
  for (const event of ledger) {
    const key = `${event.resourceId}|${event.dimension}`;
    billed.set(key, (billed.get(key) ?? new Dec(0)).plus(String(event.quantity)));
    total = total.plus(String(event.quantity));
  }
  let exact = true;
  for (const [key, cents] of workloads.flatMap((workload) => [...workload.cents])) {
    const dimension = key.split('|')[1] ?? '';
    const overage = cents > (INCLUDED_CENTS[dimension] ?? 0n) ? cents - (INCLUDED_CENTS[dimension] ?? 0n) : 0n;
    if (!(billed.get(key) ?? new Dec(0)).equals(centsToDecimal(overage))) exact = false;
  }
  return { billed: total.toString(), exact };
}

await main();
