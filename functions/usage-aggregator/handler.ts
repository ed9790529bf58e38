import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { InvalidUsageMessageError, type UsageMessage } from '#shared/domain/usage/usage-message.ts';
import { logger, metrics } from '#shared/observability.ts';
import {
  type EvaluateAlertsAfterAggregationDeps,
  evaluateAlertsAfterAggregation,
} from '#shared/use-cases/alerts/evaluate-alerts-after-aggregation.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-message.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { loadUsageAggregatorConfig } from './config.ts';
import { buildUsageAggregatorDependencies } from './dependencies.ts';
import { parseUsageMessage } from './schema.ts';

/** Time left for the function to return its batch response after the alert evaluation, whatever happens. */
const RESPONSE_MARGIN: TimeoutMargin = { ms: 5_000 };

export type AggregatorDeps = EvaluateAlertsAfterAggregationDeps & { readonly ledger: UsageLedger };

/**
 * The SQS consumer of the usage queue: applies each message exactly once (`applyUsageMessage`) and reports only failed
 * records for retry; then, once every record has its outcome (the batch response is fixed before it), evaluates the
 * alerts of the subscriptions whose usage it committed (`evaluateAlertsAfterAggregation`: best effort, time-boxed, and
 * never into the last seconds of the function's timeout).
 */
export function createUsageAggregator(deps: AggregatorDeps) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const applied: UsageMessage[] = [];
    const response = await processSqsBatch(
      event,
      async (record) => {
        const message = parseUsageMessage(record.body);
        const outcome = await applyUsageMessage(deps, message);
        if (outcome === 'duplicate')
          logger.info('Usage message applied before; acknowledged', { marker: message.marker });
        else applied.push(message);
        metrics.addMetric(outcome === 'duplicate' ? 'DuplicateMessage' : 'UsageMessagesApplied', MetricUnit.Count, 1);
      },
      reportFailure,
    );
    const stopAt = stopBeforeTimeout(context, deps.clock.now(), RESPONSE_MARGIN);
    const alerts = await evaluateAlertsAfterAggregation(deps, { applied, stopAt });
    if (alerts.sent > 0) metrics.addMetric('AlertsSent', MetricUnit.Count, alerts.sent);
    if (alerts.failed > 0) metrics.addMetric('AlertEvaluationsFailed', MetricUnit.Count, alerts.failed);
    if (alerts.deferred > 0) metrics.addMetric('AlertEvaluationsDeferred', MetricUnit.Count, alerts.deferred);
    return response;
  };
}

function reportFailure(record: SQSRecord, error: unknown): void {
  const context = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error };
  // A poison message fails on every delivery on purpose, so that it ends in the dead-letter queue with this reason.
  if (error instanceof InvalidUsageMessageError) logger.error('Usage message can never be applied', context);
  else logger.warn('Usage message not applied; SQS will deliver it again', context);
  metrics.addMetric('UsageMessagesFailed', MetricUnit.Count, 1);
}

/** The aggregator with the deployed dependencies. */
export const aggregateUsage = createUsageAggregator(buildUsageAggregatorDependencies(loadUsageAggregatorConfig()));

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event, context) => aggregateUsage(event, context));
