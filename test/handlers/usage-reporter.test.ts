import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MAIN_TABLE, USAGE_REPORT_QUEUE } from '#infra/resources.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { scheduleRunKey } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { ENV } from '#shared/env-names.ts';
import { metrics } from '#shared/observability.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Dispatcher = typeof import('#functions/usage-report-dispatcher/handler.ts')['handler'];
type Reporter = typeof import('#functions/usage-reporter/handler.ts')['handler'];

const HOUR = 3_600_000;

describe('the usage report dispatcher and reporter functions against DynamoDB Local, fauxqs and the emulator', () => {
  let emulator: MarketplaceEmulator;
  let dispatcher: Dispatcher;
  let reporter: Reporter;
  let table: string;
  let queueUrl: string;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    table = resources[MAIN_TABLE.envVar] ?? '';
    queueUrl = resources[USAGE_REPORT_QUEUE.envVar] ?? '';
    // The function runs on the real clock, so the emulator does too (started three hours back for the activation).
    emulator = await startMarketplaceEmulator({
      catalog: await loadCatalog('infra/catalog/catalog.yaml'),
      startTime: new Date(Date.now() - 3 * HOUR),
    });
    const directory = await mkdtemp(join(tmpdir(), 'reporter-ca-'));
    await writeFile(join(directory, 'ca.pem'), emulator.entra.caCertificatePem);
    Object.assign(process.env, {
      [ENV.marketplaceApiBaseUrl]: emulator.baseUrl,
      [ENV.entraTenantId]: emulator.entra.tenantId,
      [ENV.entraClientId]: emulator.entra.clientId,
      [ENV.entraCredentialKind]: 'secret',
      [ENV.entraClientSecret]: emulator.entra.clientSecret,
      [ENV.entraAuthorityHost]: emulator.entra.authorityHost,
      [ENV.entraCaCertPath]: join(directory, 'ca.pem'),
    });
    dispatcher = asDeclaredFunction(
      'UsageReportDispatcher',
      (await import('#functions/usage-report-dispatcher/handler.ts')).handler,
    );
    reporter = asDeclaredFunction('UsageReporter', (await import('#functions/usage-reporter/handler.ts')).handler);
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  it('reports the overage of a closed hour: the schedule dispatches one message per shard, workers report them, the run is recorded and the call audited', async () => {
    const tenantId = randomUUID();
    const bought = await emulator.control.purchase({
      offerId: 'contoso-analytics',
      planId: 'basic',
      beneficiary: { tenantId, emailId: 'user@customer.example' },
      purchaser: { tenantId, emailId: 'buyer@customer.example' },
    });
    const activatedAt = emulator.control.now().toISOString();
    const { documentClient } = localClients();
    await emulatorMarketplace(emulator).activate(bought.subscriptionId, { planId: 'basic' });
    await emulator.control.setTime(new Date());
    await new DynamoSubscriptionStore(documentClient, table).put(
      aSubscription({
        id: bought.subscriptionId,
        term: { startDate: activatedAt.slice(0, 10), endDate: activatedAt.slice(0, 10), termUnit: 'P1M' },
        timeline: [{ from: activatedAt, status: 'Subscribed', planId: 'basic' }],
      }),
    );
    const closedHour = new Date(Math.floor((Date.now() - 10 * 60_000) / HOUR) * HOUR - HOUR).toISOString();
    await applyUsageMessage(
      { ledger: new DynamoUsageLedger(documentClient, table) },
      aUsageMessage({
        slots: [
          aSlot({ subscriptionId: bought.subscriptionId, dimension: 'api-calls', hour: closedHour, quantity: '130.5' }),
        ],
      }),
    );

    const run = await dispatcher(sampleEvent('scheduler/usage-report.json'), aLambdaContext('UsageReportDispatcher'));
    const { sqs } = localClients();
    const messages = [];
    while (messages.length < run.shards) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      messages.push(...(received.Messages ?? []));
    }
    for (const message of messages) {
      const event = sampleEvent<SQSEvent>('sqs/usage-report-shard.json');
      const record = {
        ...event.Records[0],
        messageId: message.MessageId,
        body: message.Body,
      } as SQSEvent['Records'][0];
      const answer = await reporter({ Records: [record] }, aLambdaContext('UsageReporter'));
      expect(answer.batchItemFailures).toEqual([]);
    }

    expect(run).toMatchObject({ shards: 8, backlog: 1, oldestUnreportedHour: closedHour });
    // basic includes 100 api-calls per term.
    expect(emulator.control.usageLedger()).toEqual([
      expect.objectContaining({
        resourceId: bought.subscriptionId,
        dimension: 'api-calls',
        quantity: 30.5,
        planId: 'basic',
        effectiveStartTime: closedHour,
      }),
    ]);
    const { runs } = await new DynamoReportingRuns(documentClient, table).listRuns({ limit: 1 });
    expect(runs[0]).toMatchObject({
      runId: run.runId,
      trigger: 'schedule',
      backlog: 1,
      oldestUnreportedHour: closedHour,
      counts: { sent: 1, accepted: 1, duplicate: 0, errors: 0, rated: 1, calls: 1 },
    });
    expect(runs[0]?.finishedAt).toBeDefined();
    expect(runs[0]?.shards.every((shard) => shard.state === 'finished')).toBe(true);
    const audit = await new DynamoAuditLog(documentClient, table).list(bought.subscriptionId);
    expect(audit.entries).toContainEqual(
      expect.objectContaining({ kind: 'marketplaceCall', what: 'postBatchUsageEvents (1 events)', result: '200' }),
    );
  });

  it('counts ScheduleOverdue for a watched schedule that stopped running, and not for one the deployment left out', async () => {
    const { documentClient } = localClients();
    const fiveHoursAgo = new Date(Date.now() - 5 * HOUR).toISOString();
    // SubscriptionSync is deployed and was expected, but last ran five hours ago (someone disabled it); Retired ran
    // as long ago but is not deployed any more (WATCHED_SCHEDULES does not list it).
    for (const schedule of ['SubscriptionSync', 'Retired']) {
      await documentClient.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...scheduleRunKey(schedule),
            schedule,
            lastRunAt: fiveHoursAgo,
            watchedSince: new Date(Date.now() - 48 * HOUR).toISOString(),
          },
        }),
      );
    }
    const added = vi.spyOn(metrics, 'addMetric');

    const run = await dispatcher(sampleEvent('scheduler/usage-report.json'), aLambdaContext('UsageReportDispatcher'));

    expect(run.schedules.overdue).toEqual([
      expect.objectContaining({ schedule: 'SubscriptionSync', everyMinutes: 60, minutesSince: 300 }),
    ]);
    expect(run.schedules.stopWatching).toEqual(['Retired']);
    expect(added).toHaveBeenCalledWith('ScheduleOverdue', 'Count', 1);
    added.mockRestore();
  });
});
