import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCHEDULES } from '#infra/functions.ts';
import {
  type CanaryStreak,
  nextCanaryStreak,
  overdueAfterMinutes,
  type ScheduleRunRecord,
  watchSchedules,
} from '#shared/domain/scheduled-runs.ts';
import { ENTRA_CANARY_EVERY_MINUTES } from '#shared/use-cases/operations/run-entra-canary.ts';

const MINUTE = 60_000;
const start = new Date('2026-12-07T00:00:00.000Z').getTime();
const at = (minutes: number) => new Date(start + minutes * MINUTE);

/** The intervals of the deployed schedules: 10 minutes, hourly, daily. */
const intervals = fc.constantFrom(...new Set(SCHEDULES.map((schedule) => schedule.everyMinutes)));

describe('a schedule that stops running', () => {
  it('is never overdue while it runs, however late within its interval each run starts', () => {
    fc.assert(
      fc.property(
        intervals,
        // Each run's start delay, as a share of the interval: a run that could not start within it is dropped.
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 9 }),
        (every, delays, watcherOffset) => {
          const runStarts = delays.map((delay, index) => Math.floor((index + delay) * every));
          // The watcher looks every 10 minutes, from when it first saw the schedule (before its first run).
          let record: ScheduleRunRecord = { schedule: 'S' };
          for (let minute = watcherOffset; minute <= delays.length * every; minute += 10) {
            const lastRun = runStarts.filter((runStart) => runStart <= minute).at(-1);
            record = { ...record, ...(lastRun !== undefined ? { lastRunAt: at(lastRun) } : {}) };
            const watch = watchSchedules([{ id: 'S', everyMinutes: every }], [record], at(minute));
            for (const id of watch.startWatching) record = { ...record, schedule: id, watchedSince: at(minute) };
            expect(watch.overdue).toEqual([]);
          }
        },
      ),
    );
  });

  it('is overdue at every look once its last run is more than two intervals and an hour old, and not before', () => {
    fc.assert(
      fc.property(
        intervals,
        fc.integer({ min: 0, max: 3 * 24 * 60 }),
        fc.integer({ min: 0, max: 5 * 24 * 60 }),
        (every, lastRun, elapsed) => {
          const record = { schedule: 'S', lastRunAt: at(lastRun), watchedSince: at(0) };

          const watch = watchSchedules([{ id: 'S', everyMinutes: every }], [record], at(lastRun + elapsed));

          expect(watch.overdue.length).toBe(elapsed > overdueAfterMinutes(every) ? 1 : 0);
          expect(watch.startWatching).toEqual([]);
        },
      ),
    );
  });

  it('names the overdue schedule with its interval, last run and the minutes since', () => {
    const watch = watchSchedules(
      [
        { id: 'SubscriptionSync', everyMinutes: 60 },
        { id: 'AlertChecks', everyMinutes: 60 },
      ],
      [
        { schedule: 'SubscriptionSync', lastRunAt: at(0), watchedSince: at(0) },
        { schedule: 'AlertChecks', lastRunAt: at(170), watchedSince: at(0) },
      ],
      at(181),
    );

    expect(watch.overdue).toEqual([
      { schedule: 'SubscriptionSync', everyMinutes: 60, lastRunAt: at(0), minutesSince: 181 },
    ]);
  });

  it('counts a schedule that never ran once the watcher has expected it for its allowance', () => {
    const watched = [{ id: 'UsageReconcile', everyMinutes: 24 * 60 }];

    const first = watchSchedules(watched, [], at(0));
    const early = watchSchedules(watched, [{ schedule: 'UsageReconcile', watchedSince: at(0) }], at(49 * 60));
    const late = watchSchedules(watched, [{ schedule: 'UsageReconcile', watchedSince: at(0) }], at(49 * 60 + 1));

    expect(first).toEqual({ overdue: [], startWatching: ['UsageReconcile'], stopWatching: [] });
    expect(early.overdue).toEqual([]);
    expect(late.overdue).toEqual([{ schedule: 'UsageReconcile', everyMinutes: 24 * 60, minutesSince: 49 * 60 + 1 }]);
  });
});

describe('a schedule left out of the deployment on purpose', () => {
  it('never counts, however old its last run, and the watcher stops expecting it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 24 * 60 }), fc.boolean(), (age, wasWatched) => {
        const record: ScheduleRunRecord = {
          schedule: 'UsageReconcile',
          lastRunAt: at(0),
          ...(wasWatched ? { watchedSince: at(0) } : {}),
        };

        const watch = watchSchedules([{ id: 'AlertChecks', everyMinutes: 60 }], [record], at(age));

        expect(watch.overdue.map((overdue) => overdue.schedule)).not.toContain('UsageReconcile');
        expect(watch.stopWatching).toEqual(wasWatched ? ['UsageReconcile'] : []);
      }),
    );
  });

  it('gets its full allowance again when deployed again: its old runs do not count against it', () => {
    const watched = [{ id: 'UsageReconcile', everyMinutes: 24 * 60 }];
    // Off for a month (the watcher removed its watchedSince), then deployed again.
    const stale = { schedule: 'UsageReconcile', lastRunAt: at(0) };

    const watch = watchSchedules(watched, [stale], at(31 * 24 * 60));

    expect(watch).toEqual({ overdue: [], startWatching: ['UsageReconcile'], stopWatching: [] });
  });
});

describe('the Entra canary’s failures in a row', () => {
  /** Hourly attempts, each passing or failing; what each attempt decides. */
  const runAttempts = (outcomes: readonly boolean[]) => {
    let streak: CanaryStreak | undefined;
    return outcomes.map((passed, hour) => {
      const next = nextCanaryStreak(streak, passed, at(hour * 60), ENTRA_CANARY_EVERY_MINUTES);
      streak = next.streak;
      return next.page;
    });
  };

  it('pages on a failure exactly when the attempt before it failed too', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }), (outcomes) => {
        const pages = runAttempts(outcomes);

        expect(pages).toEqual(outcomes.map((passed, index) => !passed && index > 0 && outcomes[index - 1] === false));
      }),
    );
  });

  it('does not page for one failed attempt between passing ones', () => {
    expect(runAttempts([true, false, true, false, true])).toEqual([false, false, false, false, false]);
    expect(runAttempts([true, false, false, false])).toEqual([false, false, true, true]);
  });

  it('starts a new streak when the previous failure is older than the canary’s allowance', () => {
    const failedLongAgo: CanaryStreak = { failuresInARow: 1, lastAttemptAt: at(0) };
    const allowance = overdueAfterMinutes(ENTRA_CANARY_EVERY_MINUTES);

    const within = nextCanaryStreak(failedLongAgo, false, at(allowance), ENTRA_CANARY_EVERY_MINUTES);
    const after = nextCanaryStreak(failedLongAgo, false, at(allowance + 1), ENTRA_CANARY_EVERY_MINUTES);

    expect(within).toEqual({ streak: { failuresInARow: 2, lastAttemptAt: at(allowance) }, page: true });
    expect(after).toEqual({ streak: { failuresInARow: 1, lastAttemptAt: at(allowance + 1) }, page: false });
  });

  it('judges by the interval the EntraCanary schedule is deployed with', () => {
    expect(SCHEDULES.find((schedule) => schedule.id === 'EntraCanary')?.everyMinutes).toBe(ENTRA_CANARY_EVERY_MINUTES);
  });
});
