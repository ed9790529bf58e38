import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildReportingRunAdapters } from '#shared/adapters/compose/reporting-run-adapters.ts';
import { buildUsageReporterDependencies } from '#shared/adapters/compose/usage-reporter-dependencies.ts';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import { type ReportUsageShardDeps, reportUsageShard } from '#shared/use-cases/metering/report-usage-shard.ts';
import { loadUsageReporterConfig } from './config.ts';
import { recordReportingMetrics } from './metrics.ts';
import { InvalidShardWorkError, parseShardWork } from './schema.ts';

/**
 * Stop starting chunks of work 25 s before the timeout: the chunk in progress may still wait up to 20 s for its batch
 * calls (`REPORTER_RETRY_POLICY`), then records its answers and the run record.
 */
const STOP_MARGIN: TimeoutMargin = { ms: 25_000 };
/** Longer than the 60 s timeout: a live worker never loses its shard; a crashed one holds it 90 s at most. */
const LEASE_MS = 90_000;

/**
 * The reporter's worker: one shard of a reporting run per message (`reportUsageShard`), within its time budget; the
 * shard is queued again when work is left. A failure (index unreadable, record unwritable) fails the message, which
 * SQS delivers again: doing a shard twice is safe.
 */
export function createUsageReporter(deps: ReportUsageShardDeps) {
  return (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> =>
    processSqsBatch(
      event,
      async (record) => {
        const work = parseShardWork(record.body);
        const stopAt = stopBeforeTimeout(context, deps.clock.now(), STOP_MARGIN);
        const report = await reportUsageShard(deps, work, stopAt);
        if (report.summary) recordReportingMetrics(metrics, report.summary);
        // Invocations are counted by Lambda for free (and alarmed: UsageReporterNotRunningAlarm); only a shard that
        // found its lease taken, or had groups to work on, is worth a custom metric (none when idle: docs/cost.md).
        if (report.state === 'busy') addCount('ReportingShardsBusy', 1);
        else if ((report.summary?.groups ?? 0) > 0) addCount('ReportingShardInvocations', 1);
      },
      reportFailure,
    );
}

function reportFailure(record: SQSRecord, error: unknown): void {
  const context = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error };
  if (error instanceof InvalidShardWorkError) logger.error('Usage report message can never be worked', context);
  else logger.warn('Usage report shard failed; SQS will deliver it again', context);
  metrics.addMetric('ReportingShardFailures', MetricUnit.Count, 1);
}

const config = loadUsageReporterConfig();
const report = createUsageReporter({
  ...(await buildUsageReporterDependencies(config)),
  ...buildReportingRunAdapters(config.tableName, config.usageReportQueueUrl),
  leaseMs: LEASE_MS,
  groupConcurrency: 16,
  sendConcurrency: 8,
});

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event, context) => report(event, context));
