/**
 * When a schedule has stopped running, and when the Entra canary's failures are worth a page. Pure rules; the records
 * come from the table (shared/adapters/dynamodb/dynamo-schedule-runs.ts).
 *
 * A count cannot tell "nothing happened" from "the function did not run": a schedule someone disabled (or deleted, or
 * whose role lost its right to invoke) raises no error, no dead letter and no count. So each scheduled run records
 * when it started, and one watcher (the usage report dispatcher, every 10 minutes, whose own schedule
 * `UsageReporterNotRunningAlarm` watches) counts the schedules whose last run is older than they allow.
 */

const MINUTE_MS = 60_000;

/** A schedule the watcher expects to run, as the stack deployed it. */
export interface WatchedSchedule {
  readonly id: string;
  readonly everyMinutes: number;
}

/** What the table holds of one schedule. */
export interface ScheduleRunRecord {
  readonly schedule: string;
  /** When the schedule last started a run of its function. */
  readonly lastRunAt?: Date;
  /**
   * When the watcher began to expect it: the first time it found the schedule in its list. Removed when the schedule
   * leaves the list, so a schedule deployed again later is not judged by the runs it had before.
   */
  readonly watchedSince?: Date;
}

/**
 * Minutes past which a schedule's last run is overdue: two of its intervals and an hour. A run may start up to one
 * interval late and still be healthy (Scheduler and Lambda give up on a run that could not start within its interval,
 * infra/constructs/scheduled-run-failures.ts), so two runs can legitimately start up to two intervals apart; the hour
 * covers Lambda's retries of a run and the watcher's own 10-minute step. An hourly schedule is overdue after 3 hours,
 * the daily reconciliation after 49.
 */
export function overdueAfterMinutes(everyMinutes: number): number {
  return 2 * everyMinutes + 60;
}

export interface OverdueSchedule {
  readonly schedule: string;
  readonly everyMinutes: number;
  /** Its last run, if it ever ran while watched. */
  readonly lastRunAt?: Date;
  /** Whole minutes since its last run (or since the watcher began to expect it). */
  readonly minutesSince: number;
}

export interface ScheduleWatch {
  readonly overdue: readonly OverdueSchedule[];
  /** Watched schedules without `watchedSince`: the watcher records that it expects them from now on. */
  readonly startWatching: readonly string[];
  /** Records with `watchedSince` of schedules no longer deployed (a setting turned them off): no longer expected. */
  readonly stopWatching: readonly string[];
}

/**
 * Judges the watched schedules against their records at `now`. A schedule is overdue when the later of its last run
 * and the time the watcher began to expect it is more than `overdueAfterMinutes` ago. A schedule seen for the first
 * time is not overdue (its expectation starts now), so a new deployment, or a schedule turned on again by a setting,
 * is given its full allowance before it counts. Records of schedules that are not watched never count: a schedule
 * left out of the deployment on purpose is not late.
 */
export function watchSchedules(
  watched: readonly WatchedSchedule[],
  records: readonly ScheduleRunRecord[],
  now: Date,
): ScheduleWatch {
  const byId = new Map(records.map((record) => [record.schedule, record]));
  const overdue: OverdueSchedule[] = [];
  const startWatching: string[] = [];
  for (const schedule of watched) {
    const record = byId.get(schedule.id);
    if (!record?.watchedSince) {
      startWatching.push(schedule.id);
      continue;
    }
    const since = Math.max(record.lastRunAt?.getTime() ?? Number.NEGATIVE_INFINITY, record.watchedSince.getTime());
    const minutesSince = Math.floor((now.getTime() - since) / MINUTE_MS);
    if (now.getTime() - since > overdueAfterMinutes(schedule.everyMinutes) * MINUTE_MS) {
      overdue.push({
        schedule: schedule.id,
        everyMinutes: schedule.everyMinutes,
        ...(record.lastRunAt ? { lastRunAt: record.lastRunAt } : {}),
        minutesSince,
      });
    }
  }
  const watchedIds = new Set(watched.map((schedule) => schedule.id));
  const stopWatching = records
    .filter((record) => record.watchedSince && !watchedIds.has(record.schedule))
    .map((record) => record.schedule);
  return { overdue, startWatching, stopWatching };
}

/** The Entra canary's failed attempts in a row, as the canary remembers them between runs. */
export interface CanaryStreak {
  readonly failuresInARow: number;
  /** When the last attempt (failed or passed) ran. */
  readonly lastAttemptAt: Date;
}

/**
 * Failed attempts in a row that page. One failed attempt is often Entra or the landing page blinking (a token
 * request timing out once, a cold start): the next hourly run decides. Two in a row is a lasting failure.
 */
export const CANARY_FAILURES_TO_PAGE = 2;

/**
 * The canary's streak after an attempt at `now`, and whether this attempt pages. A failure continues the streak only
 * when the previous attempt failed and ran within `overdueAfterMinutes` of the canary's interval: a failure after the
 * canary did not run for longer than that (disabled, then turned on again) starts a new streak, since the runs in
 * between are unknown.
 */
export function nextCanaryStreak(
  previous: CanaryStreak | undefined,
  passed: boolean,
  now: Date,
  everyMinutes: number,
): { readonly streak: CanaryStreak; readonly page: boolean } {
  if (passed) return { streak: { failuresInARow: 0, lastAttemptAt: now }, page: false };
  const continues =
    previous !== undefined &&
    previous.failuresInARow > 0 &&
    now.getTime() - previous.lastAttemptAt.getTime() <= overdueAfterMinutes(everyMinutes) * MINUTE_MS;
  const failuresInARow = continues ? previous.failuresInARow + 1 : 1;
  return { streak: { failuresInARow, lastAttemptAt: now }, page: failuresInARow >= CANARY_FAILURES_TO_PAGE };
}
