import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import {
  assertApplicableMessage,
  InvalidUsageMessageError,
  type UsageMessage,
} from '#shared/domain/usage/usage-message.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import {
  type EvaluateAlertsAfterAggregationDeps,
  evaluateAlertsAfterAggregation,
} from '#shared/use-cases/alerts/evaluate-alerts-after-aggregation.ts';
import { type ApplyUsageMessagesResult, applyUsageMessages } from '#shared/use-cases/metering/apply-usage-messages.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { loadUsageAggregatorConfig } from './config.ts';
import { buildUsageAggregatorDependencies } from './dependencies.ts';
import { parseUsageMessage } from './schema.ts';

/** Time left for the function to return its batch response after the alert evaluation, whatever happens. */
const RESPONSE_MARGIN: TimeoutMargin = { ms: 5_000 };
/** No pause before another attempt at a stale hour set in the last 10 s: the batch answers in time instead. */
const STALE_RETRY_MARGIN: TimeoutMargin = { ms: 10_000 };

export type AggregatorDeps = EvaluateAlertsAfterAggregationDeps & { readonly ledger: UsageLedger };

/**
 * The SQS consumer of the usage queue: parses every record (a malformed one fails alone, and ends in the dead-letter
 * queue), applies the batch's messages together, each event exactly once (`applyUsageMessages`: merged per
 * subscription, so many small messages cost a few writes), and reports only the records that failed for retry;
 * then, once every record has its outcome (the batch response is fixed before it), evaluates the alerts of the
 * subscriptions whose usage grew (`evaluateAlertsAfterAggregation`: best effort, time-boxed, and never into the last
 * seconds of the function's timeout).
 */
export function createUsageAggregator(deps: AggregatorDeps) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const parsed: { record: SQSRecord; message: UsageMessage }[] = [];
    for (const record of event.Records) {
      try {
        const message = parseUsageMessage(record.body);
        assertApplicableMessage(message);
        parsed.push({ record, message });
      } catch (error) {
        reportFailure(record, error);
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    let grew: readonly string[] = [];
    if (parsed.length > 0) {
      let result: ApplyUsageMessagesResult;
      try {
        const pauseStaleRetriesUntil = stopBeforeTimeout(context, deps.clock.now(), STALE_RETRY_MARGIN);
        result = await applyUsageMessages(
          { ledger: deps.ledger, clock: deps.clock, ...(pauseStaleRetriesUntil ? { pauseStaleRetriesUntil } : {}) },
          parsed.map(({ message }) => message),
        );
      } catch (error) {
        // Not a record's fault (e.g. the legacy marker could not be read): every record is delivered again.
        for (const { record } of parsed) {
          reportFailure(record, error);
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
        return { batchItemFailures };
      }
      grew = result.subscriptionsAdded;
      result.outcomes.forEach((outcome, index) => {
        const { record, message } = parsed[index] as (typeof parsed)[number];
        if (outcome.status === 'failed') {
          reportFailure(record, outcome.error);
          batchItemFailures.push({ itemIdentifier: record.messageId });
        } else if (outcome.status === 'duplicate') {
          logger.info('Usage message counted before; acknowledged', { marker: message.marker });
        }
      });
      const count = (status: string) => result.outcomes.filter((outcome) => outcome.status === status).length;
      // Zero counts are not published (docs/cost.md): a redelivery-free system then pays for no DuplicateMessage.
      addCount('UsageMessagesApplied', count('applied'));
      addCount('DuplicateMessage', count('duplicate'));
      addCount('DuplicateEvents', result.duplicateEvents);
    }
    const stopAt = stopBeforeTimeout(context, deps.clock.now(), RESPONSE_MARGIN);
    const alerts = await evaluateAlertsAfterAggregation(deps, { subscriptionIds: grew, stopAt });
    addCount('AlertsSent', alerts.sent);
    addCount('AlertEvaluationsFailed', alerts.failed);
    addCount('AlertEvaluationsDeferred', alerts.deferred);
    return { batchItemFailures };
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
