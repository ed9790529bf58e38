import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { buildReportingRunAdapters } from '#shared/adapters/compose/reporting-run-adapters.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { logger, metrics } from '#shared/observability.ts';
import {
  type DispatchedRun,
  type DispatchUsageReportDeps,
  dispatchUsageReport,
} from '#shared/use-cases/metering/dispatch-usage-report.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { loadUsageReportDispatcherConfig } from './config.ts';

/**
 * Scheduled every 10 minutes (SCHEDULES `UsageReport`): starts a reporting run, one message per shard for the
 * reporter's workers (`dispatchUsageReport`). Throws when the run cannot be started; Scheduler retries it.
 */
export function createUsageReportDispatcher(deps: DispatchUsageReportDeps) {
  return async (event: unknown): Promise<DispatchedRun> => {
    scheduledEventSchema.parse(event);
    return dispatchUsageReport(deps, 'schedule');
  };
}

const config = loadUsageReportDispatcherConfig();
const dispatch = createUsageReportDispatcher({
  ...buildReportingRunAdapters(config.tableName, config.usageReportQueueUrl),
  clock: systemClock,
  graceMinutes: config.graceMinutes,
  logger,
});

export const handler = middy<unknown, DispatchedRun>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event) => dispatch(event));
