import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import {
  CANARY_STREAK_KEY,
  DynamoCanaryStreak,
  DynamoScheduleRuns,
  scheduleRunKey,
} from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { checkSchedules } from '#shared/use-cases/operations/check-schedules.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

describe('the schedules’ runs and the canary’s streak in the table (DynamoDB Local)', () => {
  const { documentClient } = localClients();
  let tableName: string;
  let runs: DynamoScheduleRuns;

  beforeEach(async () => {
    // A table of its own per test: the records share one partition.
    tableName = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
    runs = new DynamoScheduleRuns(documentClient, tableName);
  });

  const stored = async (key: Record<string, string>) =>
    (await documentClient.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  it('keeps the last run of each schedule and what the watcher expects, each written without erasing the other', async () => {
    await runs.startWatching('AlertChecks', new Date('2026-12-07T10:00:00Z'));
    await runs.recordRun('AlertChecks', new Date('2026-12-07T10:05:00Z'));
    await runs.recordRun('AlertChecks', new Date('2026-12-07T11:05:00Z'));
    await runs.recordRun('UsageReconcile', new Date('2026-12-07T00:30:00Z'));
    // A second watcher (a retried dispatch) keeps the first time.
    await runs.startWatching('AlertChecks', new Date('2026-12-07T12:00:00Z'));

    const records = await runs.list();

    expect(records.sort((a, b) => a.schedule.localeCompare(b.schedule))).toEqual([
      {
        schedule: 'AlertChecks',
        lastRunAt: new Date('2026-12-07T11:05:00Z'),
        watchedSince: new Date('2026-12-07T10:00:00Z'),
      },
      { schedule: 'UsageReconcile', lastRunAt: new Date('2026-12-07T00:30:00Z') },
    ]);
    expect(await stored(scheduleRunKey('AlertChecks'))).toMatchObject({
      pk: 'SCHEDULE_RUNS',
      sk: 'SCHEDULE#AlertChecks',
    });
  });

  it('stops expecting a schedule without erasing its last run, and makes no item for one it never saw', async () => {
    await runs.startWatching('UsageReconcile', new Date('2026-12-07T10:00:00Z'));
    await runs.recordRun('UsageReconcile', new Date('2026-12-07T10:30:00Z'));

    await runs.stopWatching('UsageReconcile');
    await runs.stopWatching('NeverSeen');

    expect(await runs.list()).toEqual([{ schedule: 'UsageReconcile', lastRunAt: new Date('2026-12-07T10:30:00Z') }]);
  });

  it('lets the watcher find a schedule that stopped, from the records the runs wrote', async () => {
    const clock = new FixedClock('2026-12-07T09:00:00.000Z');
    const watched = [
      { id: 'SubscriptionSync', everyMinutes: 60 },
      { id: 'EntraCanary', everyMinutes: 60 },
    ];
    const first = await checkSchedules({ runs, clock, watched });
    // Both run hourly until 12:00; then the sync's schedule is disabled.
    for (const hour of ['10', '11', '12']) {
      await runs.recordRun('SubscriptionSync', new Date(`2026-12-07T${hour}:00:30Z`));
      await runs.recordRun('EntraCanary', new Date(`2026-12-07T${hour}:00:40Z`));
    }
    for (const hour of ['13', '14', '15', '16'])
      await runs.recordRun('EntraCanary', new Date(`2026-12-07T${hour}:00:40Z`));
    clock.set('2026-12-07T15:00:00.000Z');
    const atThreeHours = await checkSchedules({ runs, clock, watched });
    clock.set('2026-12-07T15:01:00.000Z');
    const past = await checkSchedules({ runs, clock, watched });

    expect(first).toEqual({ overdue: [], startWatching: ['SubscriptionSync', 'EntraCanary'], stopWatching: [] });
    expect(atThreeHours.overdue).toEqual([]);
    expect(past.overdue).toEqual([
      {
        schedule: 'SubscriptionSync',
        everyMinutes: 60,
        lastRunAt: new Date('2026-12-07T12:00:30Z'),
        minutesSince: 180,
      },
    ]);
  });

  it('remembers the canary’s failures in a row across containers', async () => {
    const streaks = new DynamoCanaryStreak(documentClient, tableName);
    const before = await streaks.read();

    await streaks.write({ failuresInARow: 1, lastAttemptAt: new Date('2026-12-07T10:00:00Z') });
    const elsewhere = await new DynamoCanaryStreak(documentClient, tableName).read();

    expect(before).toBeUndefined();
    expect(elsewhere).toEqual({ failuresInARow: 1, lastAttemptAt: new Date('2026-12-07T10:00:00Z') });
    expect(await stored(CANARY_STREAK_KEY)).toEqual({
      pk: 'SCHEDULE_RUNS',
      sk: 'ENTRA_CANARY_STREAK',
      failuresInARow: 1,
      lastAttemptAt: '2026-12-07T10:00:00.000Z',
    });
    // The streak is no schedule: the watcher does not read it as one.
    expect(await runs.list()).toEqual([]);
  });
});
