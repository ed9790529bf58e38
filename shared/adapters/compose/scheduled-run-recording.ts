import type middy from '@middy/core';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoScheduleRuns } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { recordScheduledRun } from '#shared/adapters/lambda/record-scheduled-run.ts';
import { logger } from '#shared/observability.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * The middleware of a scheduled function that notes each run of its schedule in the main table (`SCHEDULE_RUNS`, an
 * UpdateItem its table access must declare: infra/functions.ts), for the watcher of schedules.
 */
export function scheduledRunRecording(tableName: string): middy.MiddlewareObj<unknown, unknown> {
  return recordScheduledRun(new DynamoScheduleRuns(createDocumentClient(), tableName), systemClock, logger);
}
