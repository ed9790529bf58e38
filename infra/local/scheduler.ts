import type { ScheduleDefinition } from '#infra/functions.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

export type ScheduledHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** One run of a schedule, as the local clock's control endpoint reports it. */
export interface ScheduleRun {
  readonly schedule: string;
  readonly at: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The event a local scheduled run gets: the schedule's id (as the stack's target input gives it) and the time. */
export interface ScheduledRunEvent {
  readonly schedule: string;
  readonly source: 'local.scheduler';
  readonly 'detail-type': 'Scheduled Event';
  readonly id: string;
  readonly time: string;
}

export interface LocalSchedules {
  /**
   * Runs every schedule due on the clock, once each (however many of its runs the clock skipped), earliest due
   * first, one after the other; resolves with what ran.
   */
  runDue(): Promise<ScheduleRun[]>;
  /**
   * Runs `work` while no schedule runs on its own timer (after any run in progress), handing it `runDue` to call
   * when it wants: a clock move takes the schedules over this way, so that what fell due runs, and is reported, once.
   */
  exclusive<T>(work: (runDue: () => Promise<ScheduleRun[]>) => Promise<T>): Promise<T>;
  /** When each schedule runs next, on the clock. */
  nextRuns(): { schedule: string; at: string }[];
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  /** The clock schedules are due on: the local system's, which a person can move ahead. */
  readonly clock: Clock;
  /** How often the real timer looks for due schedules (default 1 s). */
  readonly tickMs?: number;
  /** Length of a schedule's minute, shorter in tests (default 60 000). */
  readonly minuteMs?: number;
}

/**
 * Runs scheduled handlers on the local clock, as EventBridge Scheduler does in AWS: each schedule first runs one
 * interval after the start, then every interval, with an event naming the schedule (`schedule`, as the stack's target
 * input does). A real timer runs what fell due as time flows; a move of the clock calls `runDue` at once. Runs never
 * overlap (a slow run delays the next one instead), and a failure is handed to `onFailure` (with the event, so the
 * local mode can dead-letter it as Lambda does) without stopping the schedule, which is how a scheduled Lambda behaves
 * too. The run counts as finished once `onFailure` has finished.
 *
 * After a jump of hours, a schedule runs once rather than once per skipped interval: every scheduled function here
 * catches up from its own records (the reporter reports every closed hour not yet reported, the checks look at the
 * current day and month), so one run at the new time does what the skipped runs would have.
 */
export function startSchedules(
  schedules: readonly ScheduleDefinition[],
  handlerFor: (schedule: ScheduleDefinition) => ScheduledHandler,
  onFailure: (schedule: ScheduleDefinition, error: unknown, event: ScheduledRunEvent) => void | Promise<void>,
  options: ScheduleOptions,
): LocalSchedules {
  const { clock } = options;
  const minuteMs = options.minuteMs ?? 60_000;
  const start = clock.now().getTime();
  const entries = schedules.map((schedule, order) => ({
    schedule,
    order,
    everyMs: schedule.everyMinutes * minuteMs,
    nextDue: start + schedule.everyMinutes * minuteMs,
  }));
  let chain: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;

  const runOnce = async (): Promise<ScheduleRun[]> => {
    const now = clock.now().getTime();
    const due = entries
      .filter((entry) => entry.nextDue <= now)
      // The schedule that watches the others runs after them: a clock move makes them all due at once, and watched
      // first they would all look overdue (see `watchesSchedules`).
      .sort(
        (a, b) =>
          Number(a.schedule.watchesSchedules ?? false) - Number(b.schedule.watchesSchedules ?? false) ||
          a.nextDue - b.nextDue ||
          a.order - b.order,
      );
    const runs: ScheduleRun[] = [];
    for (const entry of due) {
      if (stopped) break;
      // The next run stays on the schedule's grid (start + k × interval), the first point after now.
      entry.nextDue += Math.floor((now - entry.nextDue) / entry.everyMs + 1) * entry.everyMs;
      const at = clock.now().toISOString();
      const event: ScheduledRunEvent = {
        schedule: entry.schedule.id,
        source: 'local.scheduler',
        'detail-type': 'Scheduled Event',
        id: entry.schedule.id,
        time: at,
      };
      try {
        await handlerFor(entry.schedule)(event, {});
        runs.push({ schedule: entry.schedule.id, at, ok: true });
      } catch (error) {
        try {
          await onFailure(entry.schedule, error, event);
        } catch {
          // What reports a failure must not stop the schedules; the reporter logs its own trouble.
        }
        runs.push({ schedule: entry.schedule.id, at, ok: false, error: String((error as Error)?.message ?? error) });
      }
    }
    return runs;
  };
  const exclusive = <T>(work: (runDue: () => Promise<ScheduleRun[]>) => Promise<T>): Promise<T> => {
    const run = chain.then(async () => {
      busy = true;
      try {
        return await work(runOnce);
      } finally {
        busy = false;
      }
    });
    chain = run.catch(() => undefined);
    return run;
  };
  const runDue = () => exclusive((runNow) => runNow());
  const timer = setInterval(() => {
    if (!busy && !stopped) void runDue();
  }, options.tickMs ?? 1_000);

  return {
    runDue,
    exclusive,
    nextRuns: () =>
      entries.map((entry) => ({ schedule: entry.schedule.id, at: new Date(entry.nextDue).toISOString() })),
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
}
