import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { scheduledRunRecording } from '#shared/adapters/compose/scheduled-run-recording.ts';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import {
  type EvaluateAllDeps,
  type EvaluateAllSummary,
  evaluateAllSubscriptionAlerts,
} from '#shared/use-cases/alerts/evaluate-all-subscription-alerts.ts';
import { loadAlertChecksConfig } from './config.ts';
import { buildAlertChecksDependencies } from './dependencies.ts';

/**
 * Stop starting evaluations this long before the function's timeout (at most; a tenth of the time left when that is
 * less), so the run ends cleanly and reports what it did.
 */
const STOP_MARGIN: TimeoutMargin = { ms: 30_000, shrinkWithTimeLeft: true };

/**
 * The hourly alert check (SCHEDULES `AlertChecks`): day close, month start and a catch-up of the near-real-time
 * evaluation, in one idempotent pass (`evaluateAllSubscriptionAlerts`).
 */
export function createAlertChecks(deps: EvaluateAllDeps) {
  return async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<EvaluateAllSummary> => {
    const stopAt = stopBeforeTimeout(context, deps.clock.now(), STOP_MARGIN);
    const summary = await evaluateAllSubscriptionAlerts(deps, { stopAt });
    logger.info('Alert checks done', { ...summary });
    // Counts only when non-zero: an hourly run that sent nothing publishes no custom metric (docs/cost.md).
    addCount('AlertsSent', summary.sent);
    addCount('AlertEvaluationsFailed', summary.failed);
    if (summary.stoppedEarly) {
      // Not every subscription was evaluated this hour: the next run starts over, so the tail may wait. Alarm on it.
      logger.warn('Alert checks ran out of time before the last subscription', { ...summary });
      addCount('AlertChecksIncomplete', 1);
    }
    return summary;
  };
}

const config = loadAlertChecksConfig();
export const checkAlerts = createAlertChecks(buildAlertChecksDependencies(config));

export const handler = middy<unknown, EvaluateAllSummary>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(scheduledRunRecording(config.tableName))
  .handler((event, context) => checkAlerts(event, context));
