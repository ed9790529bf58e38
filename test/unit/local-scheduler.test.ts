import { describe, expect, it } from 'vitest';
import { startSchedules } from '#infra/local/scheduler.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';

const schedule = (id: string, everyMinutes: number) => ({ id, functionId: `${id}Fn`, everyMinutes, description: id });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A tick far beyond the tests' length: only `runDue` runs anything. */
const NO_TICK = 3_600_000;

describe('the local scheduler', () => {
  it('runs a scheduled handler on its timer as time flows, with a scheduled-event payload', async () => {
    const events: unknown[] = [];
    const timers = startSchedules(
      [schedule('Tick', 1)],
      () => async (event) => events.push(event),
      () => undefined,
      {
        clock: systemClock,
        tickMs: 2,
        minuteMs: 10, // a "minute" of 10 ms
      },
    );

    // Three runs take 30 ms of "minutes"; a loaded machine may take longer, never forever.
    for (let waited = 0; events.length < 3 && waited < 5_000; waited += 10) await wait(10);
    await timers.stop();

    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events[0]).toMatchObject({ 'detail-type': 'Scheduled Event', schedule: 'Tick' });
  });

  it('runs nothing before a schedule is due, then each due schedule once, earliest due first, at the clock’s time', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    const ran: { id: string; time: string }[] = [];
    const timers = startSchedules(
      [schedule('Hourly', 60), schedule('TenMinutes', 10), schedule('Daily', 24 * 60)],
      (s) => async (event) => ran.push({ id: s.id, time: (event as { time: string }).time }),
      () => undefined,
      { clock, tickMs: NO_TICK },
    );

    clock.advanceMinutes(9);
    const early = await timers.runDue();
    clock.advanceMinutes(111); // 12:00: TenMinutes skipped 11 runs, Hourly 1
    const late = await timers.runDue();
    await timers.stop();

    expect(early).toEqual([]);
    expect(late.map((run) => run.schedule)).toEqual(['TenMinutes', 'Hourly']);
    expect(ran).toEqual([
      { id: 'TenMinutes', time: '2026-12-07T12:00:00.000Z' },
      { id: 'Hourly', time: '2026-12-07T12:00:00.000Z' },
    ]);
  });

  it('runs the schedule that watches the others after them when a jump makes several due, so none looks overdue', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    const ran: string[] = [];
    const timers = startSchedules(
      [
        schedule('Hourly', 60),
        { ...schedule('Watcher', 10), watchesSchedules: true as const },
        schedule('Daily', 1440),
      ],
      (s) => async () => ran.push(s.id),
      () => undefined,
      { clock, tickMs: NO_TICK },
    );

    clock.advanceMinutes(10);
    await timers.runDue(); // alone, the watcher runs as usual
    clock.advanceMinutes(24 * 60); // a move of a day: all three due
    await timers.runDue();
    await timers.stop();

    expect(ran).toEqual(['Watcher', 'Hourly', 'Daily', 'Watcher']);
  });

  it('keeps each schedule on its grid after a jump: the next run is the first interval point after the new time', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    const timers = startSchedules(
      [schedule('TenMinutes', 10)],
      () => async () => undefined,
      () => undefined,
      {
        clock,
        tickMs: NO_TICK,
      },
    );

    clock.set('2026-12-07T12:05:00.000Z');
    await timers.runDue();
    const next = timers.nextRuns();
    clock.set('2026-12-07T12:09:59.000Z');
    const before = await timers.runDue();
    clock.set('2026-12-07T12:10:00.000Z');
    const at = await timers.runDue();
    await timers.stop();

    expect(next).toEqual([{ schedule: 'TenMinutes', at: '2026-12-07T12:10:00.000Z' }]);
    expect(before).toEqual([]);
    expect(at.map((run) => run.schedule)).toEqual(['TenMinutes']);
  });

  it('reports a failed run with the event it got and keeps the schedule: the next due run happens', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    const failures: { error: unknown; event: unknown }[] = [];
    let runs = 0;
    const timers = startSchedules(
      [schedule('Flaky', 10)],
      () => async () => {
        runs += 1;
        if (runs === 1) throw new Error('first run fails');
      },
      (_schedule, error, event) => void failures.push({ error, event }),
      { clock, tickMs: NO_TICK },
    );

    clock.advanceMinutes(10);
    const first = await timers.runDue();
    clock.advanceMinutes(10);
    const second = await timers.runDue();
    await timers.stop();

    expect(first).toEqual([{ schedule: 'Flaky', at: '2026-12-07T10:10:00.000Z', ok: false, error: 'first run fails' }]);
    expect(second).toEqual([{ schedule: 'Flaky', at: '2026-12-07T10:20:00.000Z', ok: true }]);
    expect(failures).toEqual([
      {
        error: new Error('first run fails'),
        event: expect.objectContaining({ schedule: 'Flaky', time: '2026-12-07T10:10:00.000Z' }),
      },
    ]);
  });

  it('never overlaps two runs: a run asked for while one is going waits for it', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    let running = 0;
    let maxRunning = 0;
    const timers = startSchedules(
      [schedule('Slow', 10)],
      () => async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await wait(20);
        running -= 1;
      },
      () => undefined,
      { clock, tickMs: NO_TICK },
    );

    clock.advanceMinutes(10);
    const first = timers.runDue();
    await wait(5); // the first run is going
    clock.advanceMinutes(10);
    const second = timers.runDue();
    const runs = [...(await first), ...(await second)];
    await timers.stop();

    expect(maxRunning).toBe(1);
    expect(runs.map((run) => run.at)).toEqual(['2026-12-07T10:10:00.000Z', '2026-12-07T10:20:00.000Z']);
  });

  it('runs nothing on its own timer while held: what falls due meanwhile runs when the holder asks, once', async () => {
    const clock = new FixedClock('2026-12-07T10:00:00.000Z');
    const ran: string[] = [];
    const timers = startSchedules(
      [schedule('TenMinutes', 10)],
      () => async (event) => {
        ran.push((event as { time: string }).time);
      },
      () => undefined,
      { clock, tickMs: 1 },
    );

    const runs = await timers.exclusive(async (runDue) => {
      clock.advanceMinutes(30);
      await wait(20); // 20 ticks of the timer, all while held
      const heldRuns = [...ran];
      return { heldRuns, asked: await runDue() };
    });
    await timers.stop();

    expect(runs.heldRuns).toEqual([]);
    expect(runs.asked.map((run) => run.at)).toEqual(['2026-12-07T10:30:00.000Z']);
    expect(ran).toEqual(['2026-12-07T10:30:00.000Z']);
  });
});
