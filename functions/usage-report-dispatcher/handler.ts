import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { buildReportingRunAdapters } from '#shared/adapters/compose/reporting-run-adapters.ts';
import { DynamoScheduleRuns } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import type { ScheduleWatch, WatchedSchedule } from '#shared/domain/scheduled-runs.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import {
  type DispatchedRun,
  type DispatchUsageReportDeps,
  dispatchUsageReport,
} from '#shared/use-cases/metering/dispatch-usage-report.ts';
import { checkSchedules } from '#shared/use-cases/operations/check-schedules.ts';
import type { ScheduleRunRecords } from '#shared/use-cases/operations/ports/schedule-runs.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { loadUsageReportDispatcherConfig } from './config.ts';

export interface DispatcherRun extends DispatchedRun {
  /** What the watcher of schedules found (`checkSchedules`). */
  readonly schedules: ScheduleWatch;
}

/**
 * Scheduled every 10 minutes (SCHEDULES `UsageReport`): starts a reporting run, one message per shard for the
 * reporter's workers (`dispatchUsageReport`), then watches the other schedules (`checkSchedules`): each one whose last
 * run is overdue is logged and counted (`ScheduleOverdue`, NeedsAttention). The dispatcher watches because its own
 * schedule is watched by `UsageReporterNotRunningAlarm` (a free metric), so every schedule is covered without an alarm
 * per schedule. Throws when the run cannot be started or the schedules' records cannot be read; Scheduler retries it.
 */
export function createUsageReportDispatcher(
  deps: DispatchUsageReportDeps & {
    readonly scheduleRuns: ScheduleRunRecords;
    readonly watched: readonly WatchedSchedule[];
  },
) {
  return async (event: unknown): Promise<DispatcherRun> => {
    scheduledEventSchema.parse(event);
    const run = await dispatchUsageReport(deps, 'schedule');
    const schedules = await checkSchedules({ runs: deps.scheduleRuns, clock: deps.clock, watched: deps.watched });
    addCount('ScheduleOverdue', schedules.overdue.length);
    if (schedules.overdue.length > 0) {
      logger.error('Schedules overdue: disabled, deleted or failing to start', { overdue: schedules.overdue });
    }
    return { ...run, schedules };
  };
}

const config = loadUsageReportDispatcherConfig();
const dispatch = createUsageReportDispatcher({
  ...buildReportingRunAdapters(config.tableName, config.usageReportQueueUrl),
  scheduleRuns: new DynamoScheduleRuns(createDocumentClient(), config.tableName),
  watched: config.watchedSchedules,
  clock: systemClock,
  graceMinutes: config.graceMinutes,
  logger,
});

export const handler = middy<unknown, DispatcherRun>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event) => dispatch(event));
