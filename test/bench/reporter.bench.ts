/**
 * Reporter fan-out benchmark (issue 12 item 4): 100,000 (subscription, dimension) slots of one closed hour, reported
 * by the dispatcher and the shard workers against DynamoDB Local, fauxqs and the marketplace emulator, started here
 * and stopped at the end. Target: every slot reported within 5 minutes of the start, no worker invocation over 60 s.
 *
 * Seeding (not measured): the emulator gets BENCH_SUBSCRIPTIONS subscriptions Subscribed since before the hour
 * (`control.seedSubscribed`); the store gets the same subscriptions; the usage ledger gets one usage message per
 * subscription with a slot per metered dimension (`applyUsageMessage`, as the aggregator writes them),
 * each over the included quantity, so every slot is sent.
 *
 * Measured: `dispatchUsageReport` queues one message per shard on the usage-report queue (fauxqs); BENCH_WORKERS
 * pollers (default 8, the deployed maximum concurrency) receive them one at a time, as Lambda's event source mapping
 * does, and run the worker exactly as `functions/usage-reporter/handler.ts` does (`reportUsageShard` with the deployed
 * group and send concurrency, a 60 s timeout and its 25 s stop margin, continuations queued on the same queue), with
 * the marketplace client over HTTP to the emulator wrapped in the audit decorator. It ends when every shard of the run
 * record has finished. Printed: wall time, slots/s, metering calls, DynamoDB items written and requests per slot,
 * the longest invocation.
 *
 * Run with `npm run bench:reporter` (defaults: BENCH_SUBSCRIPTIONS 10,000 × 10 dimensions = 100,000 slots);
 * BENCH_SUBSCRIPTIONS / BENCH_DIMENSIONS (≤ 10) / BENCH_WORKERS override it for a quicker look.
 */

// First: the logger and metrics read their settings when their module loads.
import './quiet-env.ts';
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { startQueuePoller } from '#infra/local/queue-poller.ts';
import { MAIN_TABLE, USAGE_REPORT_QUEUE } from '#infra/resources.ts';
import { createDocumentClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { SqsShardWorkQueue } from '#shared/adapters/sqs/sqs-shard-work-queue.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { dispatchUsageReport } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type { ReportingRunRecord } from '#shared/use-cases/metering/ports/reporting-runs.ts';
import { reportUsageShard } from '#shared/use-cases/metering/report-usage-shard.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace } from '#shared/use-cases/ports/marketplace.ts';
import { aBillingTerm, aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from '#test/builders/catalog.ts';
import { RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { emulatorMarketplace, quietLogger } from '#test/helpers/emulator-client.ts';
import { subscriptionFromEmulator } from '#test/helpers/emulator-subscription.ts';
import {
  countsOf,
  fmt,
  forEachLimited,
  inPhase,
  instrumentDynamoDb,
  machineLine,
  startStandIns,
} from './bench-support.ts';

const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10_000);
const DIMENSION_COUNT = Math.min(10, Number(process.env.BENCH_DIMENSIONS ?? 10));
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
/** As deployed (functions/usage-reporter/handler.ts); BENCH_GROUP_CONCURRENCY to try another. */
const GROUP_CONCURRENCY = Number(process.env.BENCH_GROUP_CONCURRENCY ?? 16);
const SLOTS = SUBSCRIPTIONS * DIMENSION_COUNT;
const OFFER = 'bench-metered';
const DIMENSIONS = Array.from({ length: DIMENSION_COUNT }, (_, index) => `dim-${index}`);
const HOUR_MS = 3_600_000;
/** As deployed (infra/functions.ts USAGE_REPORTER_FUNCTION and its handler). */
const TIMEOUT_MS = 60_000;
const STOP_MARGIN_MS = 25_000;

function benchCatalog(): Catalog {
  return aCatalog({
    offers: [
      anOffer({
        id: OFFER,
        dimensions: DIMENSIONS.map((id) => aDimension({ id })),
        plans: [
          aPlan({
            id: 'metered',
            billingTerms: [aBillingTerm({ includedQuantities: Object.fromEntries(DIMENSIONS.map((id) => [id, '1'])) })],
            meteredDimensions: DIMENSIONS.map((dimensionId) =>
              aDimensionPrice({ dimensionId, pricePerUnit: { USD: '0.01' } }),
            ),
          }),
        ],
      }),
    ],
  });
}

console.log(machineLine());
console.log(
  `Reporter fan-out: ${fmt(SUBSCRIPTIONS)} subscriptions × ${DIMENSION_COUNT} dimensions = ${fmt(SLOTS)} slots, ${WORKERS} workers`,
);
instrumentDynamoDb();
const standIns = await startStandIns();
let emulator: MarketplaceEmulator | undefined;
const stopPollers: (() => Promise<void>)[] = [];
try {
  const table = standIns.resources[MAIN_TABLE.envVar] ?? '';
  const queueUrl = standIns.resources[USAGE_REPORT_QUEUE.envVar] ?? '';
  const catalog = benchCatalog();
  // The hour reported: the last full hour before now; the emulator runs on its own clock, set so that the hour is
  // closed (+ grace) and the subscriptions were Subscribed all through it.
  const hour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS);
  emulator = await startMarketplaceEmulator({
    catalog,
    startTime: new Date(hour.getTime() - 30 * 60_000),
    verifyTokenExpiry: false,
  });
  const { control } = emulator;
  const clock: Clock = { now: () => control.now() };
  const documentClient = createDocumentClient(standIns.endpoints);

  // ----- seeding (not measured) -----
  const seedStart = performance.now();
  const ids = control.seedSubscribed({ offerId: OFFER, planId: 'metered', count: SUBSCRIPTIONS, tenantId: 'bench' });
  await control.setTime(new Date(hour.getTime() + HOUR_MS + 11 * 60_000));
  const store = new DynamoSubscriptionStore(documentClient, table);
  const usage = new DynamoUsageLedger(documentClient, table, clock);
  await inPhase('seed', () =>
    forEachLimited(ids, 16, async (id) => {
      await store.put(subscriptionFromEmulator(control, id, 'bench'));
      await applyUsageMessage(
        { ledger: usage },
        aUsageMessage({
          slots: DIMENSIONS.map((dimension) =>
            aSlot({ subscriptionId: id, offerId: OFFER, dimension, hour: hour.toISOString(), quantity: '11' }),
          ),
        }),
      );
    }),
  );
  console.log(`Seeded in ${fmt((performance.now() - seedStart) / 1000, 1)} s`);

  // ----- the fan-out, measured -----
  let calls = 0;
  const http = emulatorMarketplace(emulator);
  const counting: Pick<Marketplace, 'postBatchUsageEvents'> = {
    postBatchUsageEvents: (events, options) => {
      calls += 1;
      return http.postBatchUsageEvents(events, options);
    },
  };
  const runs = new DynamoReportingRuns(documentClient, table);
  const sqs = createSqsClient(standIns.endpoints);
  const queue = new SqsShardWorkQueue(sqs, queueUrl);
  const deps = {
    ledger: new DynamoReportingLedger(documentClient, table, clock),
    subscriptions: store,
    catalog,
    marketplace: new AuditingMarketplace(
      counting as Marketplace,
      new DynamoAuditLog(documentClient, table),
      clock,
      quietLogger,
    ),
    alerts: new RecordingMeteringAlerts(),
    clock,
    graceMinutes: 10,
    runs,
    leases: runs,
    queue,
    leaseMs: 90_000,
    groupConcurrency: GROUP_CONCURRENCY,
    sendConcurrency: 8,
  };
  const invocations: number[] = [];
  const queueArn =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn ?? '';
  const start = performance.now();
  const run = await inPhase('report', () => dispatchUsageReport(deps, 'manual'));
  for (let worker = 0; worker < WORKERS; worker++) {
    const poller = startQueuePoller(sqs, {
      queueUrl,
      queueArn,
      batchSize: 1,
      waitTimeSeconds: 1,
      onError: (error) => console.error('worker failed:', error),
      handler: (event) =>
        inPhase('report', () =>
          processSqsBatch(
            event,
            async (record) => {
              const began = performance.now();
              // A 60 s timeout less the handler's 25 s margin, on the clock the use case reads.
              const stopAt = new Date(clock.now().getTime() + TIMEOUT_MS - STOP_MARGIN_MS);
              await reportUsageShard(deps, JSON.parse(record.body), stopAt);
              invocations.push(performance.now() - began);
            },
            (_record, error) => console.error('shard failed:', error),
          ),
        ),
    });
    stopPollers.push(poller.stop);
  }
  let record: ReportingRunRecord | undefined;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    record = (await runs.listRuns({ limit: 1 })).runs.find((candidate) => candidate.runId === run.runId);
    if (record?.finishedAt) break;
    if (performance.now() - start > 15 * 60_000) throw new Error('the run did not finish within 15 minutes');
  }
  const seconds = (performance.now() - start) / 1000;
  const billed = control.usageLedger().length;
  const report = countsOf('report');
  const longest = Math.max(...invocations);
  console.log(`\nReported ${fmt(record.counts.sent)} of ${fmt(SLOTS)} slots (${fmt(billed)} accepted by the emulator)`);
  console.log(`  wall time            ${fmt(seconds, 1)} s (target ≤ 300 s)`);
  console.log(`  slots/s              ${fmt(SLOTS / seconds)}`);
  console.log(`  metering calls       ${fmt(calls)} (${fmt(SLOTS / Math.max(1, calls), 1)} events per call)`);
  console.log(`  worker invocations   ${invocations.length}, longest ${fmt(longest / 1000, 1)} s (limit 60 s)`);
  console.log(
    `  DynamoDB per slot    ${fmt(report.writeItems / SLOTS, 2)} items written in ${fmt(report.writeRequests / SLOTS, 2)} write requests, ${fmt(report.readRequests / SLOTS, 2)} reads`,
  );
  console.log(`  by command           ${JSON.stringify(report.byCommand)}`);
  console.log(`  run counts           ${JSON.stringify(record.counts)}`);
  const cpu = standIns.dynamoDbCpuSeconds();
  if (cpu !== undefined) console.log(`  DynamoDB Local CPU   ${fmt(cpu, 0)} s (whole process life, seeding included)`);
  // Issue 12's targets: every slot sent and accepted once, within 5 minutes, no invocation over 60 s. A miss makes the
  // run fail (exit code 1).
  const misses = [
    seconds > 300 ? `${fmt(seconds, 1)} s > 300 s` : '',
    longest > 60_000 ? `an invocation of ${fmt(longest / 1000, 1)} s > 60 s` : '',
    billed !== SLOTS || record.counts.sent !== SLOTS ? `${fmt(billed)} accepted, ${fmt(record.counts.sent)} sent` : '',
  ].filter(Boolean);
  if (misses.length > 0) process.exitCode = 1;
  console.log(
    `target: ${fmt(SLOTS)} slots once within 300 s, none over 60 s → ${misses.length === 0 ? 'MET' : `MISSED (${misses.join('; ')})`}`,
  );
} finally {
  await Promise.allSettled(stopPollers.map((stop) => stop()));
  await emulator?.stop();
  await standIns.stop();
}
