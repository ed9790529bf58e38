/**
 * Webhook benchmark (`npm run bench:webhook`): p50 / p99 of the webhook function's handling time for customer-initiated
 * ChangeQuantity notifications, each one the full path Microsoft waits on (reference/marketplace-api.md §2.1: the
 * answer is due within 10 s): JWT check against the tenant's keys (cached after the first call), Get Operation, the
 * catalog policy, the DynamoDB writes (operation record, decision) and the PATCH queued for the operation-answers
 * consumer, which runs here too (behind a local queue poller) and PATCHes after the answer, as Microsoft expects.
 *
 * Real components only, all started here and stopped at the end: DynamoDB Local (Java), fauxqs (SQS/SNS) and the
 * marketplace emulator with its fake Entra (HTTPS). The emulator delivers each webhook to a local HTTP server that
 * runs the handler as API Gateway + Lambda would; the time measured is the handler's, from request to response.
 */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { startLocalMessaging } from '#infra/local/fauxqs.ts';
import { localAwsEnv, marketplaceClientEnv } from '#infra/local/function-env.ts';
import { localLambdaContext, toHttpApiEvent, writeHttpApiResult } from '#infra/local/lambda-http-adapter.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { provisionLocalResources } from '#infra/local/provision.ts';
import { type SqsLambdaHandler, startQueuePoller } from '#infra/local/queue-poller.ts';
import { createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { ENV } from '#shared/env-names.ts';
import { anActiveSubscription, marketplaceApi, tokenFor } from '#test/emulator/harness.ts';

const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 300);
const WARM_UP = 20;
const SUBSCRIPTIONS = 10;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [dynamodb, messaging] = await Promise.all([startDynamoDbLocal(), startLocalMessaging()]);
  const stops: (() => Promise<void>)[] = [() => messaging.stop(), () => dynamodb.stop()];
  try {
    const endpoints = { dynamodb: dynamodb.endpoint, sqs: messaging.endpoint, sns: messaging.endpoint };
    const admin = new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const resources = await provisionLocalResources(
      { dynamodb: admin, sqs: createSqsClient(endpoints), sns: createSnsClient(endpoints) },
      'bench',
    );
    admin.destroy();
    const catalogPath = join(REPO_ROOT, 'infra/catalog/catalog.yaml');
    const catalog = await loadCatalog(catalogPath);
    const emulator = await startMarketplaceEmulator({ catalog, clock: 'running' });
    stops.unshift(() => emulator.stop());
    const caPath = join(await mkdtemp(join(tmpdir(), 'bench-ca-')), 'ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
    Object.assign(process.env, {
      ...resources,
      ...localAwsEnv(endpoints),
      [ENV.catalogJson]: JSON.stringify(catalog),
      ...marketplaceClientEnv(emulator, caPath),
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    });
    // Imported only now: the handler reads its configuration when its module loads.
    const { handler } = await import('#functions/fulfillment-webhook/handler.ts');
    const answers = await import('#functions/operation-answers/handler.ts');
    const consumer = startQueuePoller(createSqsClient(endpoints), {
      queueUrl: resources[ENV.operationAnswersQueueUrl] ?? '',
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:bench-OperationAnswers',
      batchSize: 1,
      handler: answers.handler as unknown as SqsLambdaHandler,
      onError: () => undefined,
    });
    stops.unshift(() => consumer.stop());

    const timings: number[] = [];
    const outcomes = new Map<string, number>();
    const server = createServer((request, response) => {
      void (async () => {
        const started = performance.now();
        const event = await toHttpApiEvent(request, 'POST /webhook');
        const result = await handler(event, localLambdaContext('FulfillmentWebhook'));
        timings.push(performance.now() - started);
        const outcome = JSON.parse((result as { body?: string }).body ?? '{}').outcome ?? 'error';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        writeHttpApiResult(response, result);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    stops.unshift(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    emulator.control.setWebhookUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`);

    const api = marketplaceApi(emulator, await tokenFor(emulator));
    const subscriptions: string[] = [];
    for (let index = 0; index < SUBSCRIPTIONS; index++) {
      subscriptions.push(await anActiveSubscription(emulator, api, { planId: 'team', quantity: 1 }));
    }

    // Sequential, as Microsoft sends a subscription's notifications; the emulator returns once each is answered.
    const total = WARM_UP + WEBHOOKS;
    const wallStart = performance.now();
    for (let index = 0; index < total; index++) {
      const subscriptionId = subscriptions[index % SUBSCRIPTIONS] as string;
      // Seats cycle through 2..50 (the plan's limit), never the current count (Microsoft refuses a no-op change).
      const quantity = 2 + (Math.floor(index / SUBSCRIPTIONS) % 49);
      // The previous change of this subscription locks it until the consumer has PATCHed it (about 1 s).
      while (emulator.control.operations(subscriptionId).some((operation) => operation.status === 'InProgress')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await emulator.control.changeQuantityFromPortal(subscriptionId, quantity);
    }
    const wallSeconds = (performance.now() - wallStart) / 1000;

    const first = timings[0] ?? Number.NaN;
    const measured = timings.slice(WARM_UP).sort((a, b) => a - b);
    const mean = measured.reduce((sum, value) => sum + value, 0) / measured.length;
    const cpu = cpus();
    console.log(
      `Webhook benchmark: ${measured.length} ChangeQuantity webhooks (after ${WARM_UP} warm-up), ${SUBSCRIPTIONS} subscriptions`,
    );
    console.log(
      `machine: ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
    );
    console.log(`first call (cold: Entra token, JWKS fetch): ${ms(first)}`);
    console.log(
      `handling time: p50 ${ms(percentile(measured, 50))}, p90 ${ms(percentile(measured, 90))}, ` +
        `p99 ${ms(percentile(measured, 99))}, max ${ms(measured.at(-1) ?? Number.NaN)}, mean ${ms(mean)}`,
    );
    console.log(`throughput (sequential, emulator included): ${(total / wallSeconds).toFixed(1)} webhooks/s`);
    console.log(`outcomes: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
    if (outcomes.get('decided') !== total) throw new Error('not every webhook was decided: the figures are not valid');
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

main().then(
  // SDK clients built at module scope keep idle sockets open: leave once everything we started is stopped.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
