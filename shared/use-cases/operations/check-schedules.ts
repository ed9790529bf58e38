import { type ScheduleWatch, type WatchedSchedule, watchSchedules } from '#shared/domain/scheduled-runs.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { ScheduleRunRecords } from './ports/schedule-runs.ts';

/**
 * The watcher of schedules: reads every schedule's record, judges the `watched` ones (`watchSchedules`), and notes
 * which it begins or stops expecting. Run by the usage report dispatcher every 10 minutes; its caller counts the
 * overdue ones (`ScheduleOverdue`, NeedsAttention).
 * @throws Error when the records cannot be read or written.
 */
export async function checkSchedules(deps: {
  readonly runs: ScheduleRunRecords;
  readonly clock: Clock;
  readonly watched: readonly WatchedSchedule[];
}): Promise<ScheduleWatch> {
  const now = deps.clock.now();
  const watch = watchSchedules(deps.watched, await deps.runs.list(), now);
  for (const schedule of watch.startWatching) await deps.runs.startWatching(schedule, now);
  for (const schedule of watch.stopWatching) await deps.runs.stopWatching(schedule);
  return watch;
}
