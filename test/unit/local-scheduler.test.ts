import { describe, expect, it } from 'vitest';
import { startSchedules } from '#infra/local/scheduler.ts';

const schedule = { id: 'Tick', functionId: 'Fn', everyMinutes: 1, description: 'test' };
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the local scheduler', () => {
  it('runs a scheduled handler on every tick with a scheduled-event payload', async () => {
    const events: unknown[] = [];
    const timers = startSchedules(
      [schedule],
      () => async (event) => events.push(event),
      () => undefined,
      10, // a "minute" of 10 ms
    );

    await wait(55);
    await timers.stop();

    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events[0]).toMatchObject({ 'detail-type': 'Scheduled Event', id: 'Tick' });
  });

  it('never overlaps two runs of the same schedule, and keeps ticking after a failure', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const timers = startSchedules(
      [schedule],
      () => async () => {
        running += 1;
        runs += 1;
        maxRunning = Math.max(maxRunning, running);
        await wait(25);
        running -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
      (_schedule, error) => errors.push(error),
      5,
    );

    await wait(120);
    await timers.stop();

    expect(maxRunning).toBe(1);
    expect(errors).toHaveLength(1);
    expect(runs).toBeGreaterThan(1);
  });
});
