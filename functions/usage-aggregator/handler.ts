import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { InvalidUsageMessageError } from '#shared/domain/usage/usage-message.ts';
import { logger, metrics } from '#shared/observability.ts';
import {
  type EvaluateSubscriptionAlertsDeps,
  type EvaluationLogger,
  evaluateSubscriptionsBestEffort,
} from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import type { AlertSettingsReader } from '#shared/use-cases/alerts/ports/alert-settings-reader.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-message.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { loadUsageAggregatorConfig } from './config.ts';
import { buildUsageAggregatorDependencies } from './dependencies.ts';
import { parseUsageMessage } from './schema.ts';

/** Longest the alert evaluation after a batch may take: alerts are near real time, not on the counting path. */
export const ALERT_EVALUATION_BUDGET_MS = 10_000;
/** Time left for the function to return its batch response after the evaluation, whatever happens. */
const RESPONSE_MARGIN_MS = 5_000;

export type AggregatorDeps = EvaluateSubscriptionAlertsDeps & {
  readonly ledger: UsageLedger;
  readonly logger: EvaluationLogger;
  /** Reads the alert settings of a whole batch's subscriptions at once (else two reads per subscription). */
  readonly alertSettings?: AlertSettingsReader;
};

/**
 * The SQS consumer of the usage queue: applies each message exactly once and reports only failed records for retry;
 * then evaluates the alerts of the subscriptions whose usage it committed (DESIGN "Shape": aggregator → alert
 * evaluation).
 *
 * Why here, after the batch, rather than a separate function behind a new queue: the alert rules need the committed
 * usage, which is exactly what this function just wrote, and an extra queue would add a hop, a send in the counting
 * path and a DLQ to run, for no gain in safety. The evaluation cannot endanger counting: it starts only after every
 * record has its outcome (the batch response is fixed before it), each subscription is evaluated once per batch
 * however many messages touched it, every error is logged and counted (`AlertEvaluationsFailed`) and never fails a
 * record, and it is time-boxed (at most `ALERT_EVALUATION_BUDGET_MS`, and never into the last seconds of the
 * function's timeout), so a slow evaluation cannot make Lambda time out and SQS redeliver applied messages. What it
 * misses (an error, the time box) the hourly alert check (functions/alert-checks) catches: alert keys make the second
 * evaluation send only what the first did not.
 */
export function createUsageAggregator(deps: AggregatorDeps) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const committed = new Set<string>();
    const response = await processSqsBatch(
      event,
      async (record) => {
        const message = parseUsageMessage(record.body);
        const outcome = await applyUsageMessage(deps, message);
        if (outcome === 'duplicate')
          logger.info('Usage message applied before; acknowledged', { marker: message.marker });
        else for (const slot of message.slots) committed.add(slot.subscriptionId);
        metrics.addMetric(outcome === 'duplicate' ? 'DuplicateMessage' : 'UsageMessagesApplied', MetricUnit.Count, 1);
      },
      reportFailure,
    );
    if (committed.size > 0) {
      const remaining = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      const budgetMs = Math.min(ALERT_EVALUATION_BUDGET_MS, remaining - RESPONSE_MARGIN_MS);
      const summary = await evaluateSubscriptionsBestEffort(deps, [...committed], budgetMs);
      if (summary.sent > 0) metrics.addMetric('AlertsSent', MetricUnit.Count, summary.sent);
      if (summary.failed > 0) metrics.addMetric('AlertEvaluationsFailed', MetricUnit.Count, summary.failed);
      if (summary.deferred > 0) metrics.addMetric('AlertEvaluationsDeferred', MetricUnit.Count, summary.deferred);
    }
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
