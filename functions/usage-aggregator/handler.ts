import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { loadConfig } from '#shared/config.ts';
import { InvalidUsageMessageError } from '#shared/domain/usage.ts';
import { logger, metrics } from '#shared/observability.ts';
import { applyUsageMessage } from '#shared/use-cases/apply-usage-message.ts';
import { buildUsageAggregatorDependencies } from './dependencies.ts';
import { parseUsageMessage } from './schema.ts';

const deps = buildUsageAggregatorDependencies(loadConfig());

async function applyRecord(record: SQSRecord): Promise<void> {
  const message = parseUsageMessage(record.body);
  const outcome = await applyUsageMessage(deps, message);
  if (outcome === 'duplicate') logger.info('Usage message applied before; acknowledged', { marker: message.marker });
  metrics.addMetric(outcome === 'duplicate' ? 'DuplicateMessage' : 'UsageMessagesApplied', MetricUnit.Count, 1);
}

function reportFailure(record: SQSRecord, error: unknown): void {
  const context = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error };
  // A poison message fails on every delivery on purpose, so that it ends in the dead-letter queue with this reason.
  if (error instanceof InvalidUsageMessageError) logger.error('Usage message can never be applied', context);
  else logger.warn('Usage message not applied; SQS will deliver it again', context);
  metrics.addMetric('UsageMessagesFailed', MetricUnit.Count, 1);
}

/** SQS consumer of the usage queue: applies each message exactly once; reports only failed records for retry. */
export const aggregateUsage = (event: SQSEvent): Promise<SQSBatchResponse> =>
  processSqsBatch(event, applyRecord, reportFailure);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(aggregateUsage);
