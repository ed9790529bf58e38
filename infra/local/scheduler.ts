import type { ScheduleDefinition } from '#infra/functions.ts';

export type ScheduledHandler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Runs scheduled handlers on timers, as EventBridge Scheduler does in AWS. A run never overlaps the previous run
 * of the same schedule (a slow run delays the next one instead), and a failure is reported without stopping the
 * timer, which is how a scheduled Lambda behaves too.
 */
export function startSchedules(
  schedules: readonly ScheduleDefinition[],
  handlerFor: (schedule: ScheduleDefinition) => ScheduledHandler,
  onError: (schedule: ScheduleDefinition, error: unknown) => void,
  minuteMs = 60_000,
): { stop(): Promise<void> } {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  for (const schedule of schedules) {
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const event = {
        source: 'local.scheduler',
        'detail-type': 'Scheduled Event',
        id: schedule.id,
        time: new Date().toISOString(),
      };
      const run = handlerFor(schedule)(event, {})
        .catch((error: unknown) => onError(schedule, error))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    timers.push(setInterval(tick, schedule.everyMinutes * minuteMs));
  }
  return {
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
