import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import type { ScheduleRunLog } from '#shared/use-cases/operations/ports/schedule-runs.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * Notes, before the handler runs, that the schedule named in the event (`schedule`, set by the stack's Scheduler
 * target input and by the local scheduler) started a run, for the watcher of schedules (shared/domain/scheduled-runs.ts).
 * An invocation without a schedule name (`aws lambda invoke` by hand, a test) notes nothing: only the schedule firing
 * proves the schedule works. A failure to note is logged and the run goes on: its work matters more than the note,
 * and a note that keeps failing shows as the schedule being overdue (`ScheduleOverdue`), whose runbook names this log
 * line.
 */
export function recordScheduledRun(
  log: ScheduleRunLog,
  clock: Clock,
  logger: Pick<Logger, 'warn'>,
): middy.MiddlewareObj<unknown, unknown> {
  return {
    before: async (request) => {
      const parsed = scheduledEventSchema.safeParse(request.event);
      const schedule = parsed.success ? parsed.data?.schedule : undefined;
      if (!schedule) return;
      try {
        await log.recordRun(schedule, clock.now());
      } catch (error) {
        logger.warn('Scheduled run not recorded', { schedule, error: error as Error });
      }
    },
  };
}
