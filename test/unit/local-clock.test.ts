import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClockFollowers, ClockMoveError, LocalClock, parseClockMove } from '#infra/local/local-clock.ts';
import { systemClock, takeSystemClockControl } from '#shared/use-cases/ports/clock.ts';

const NOW = new Date('2026-12-07T10:20:00.000Z');
const HOUR = 3_600_000;

describe('parsing a clock move', () => {
  it.each([
    ['+2h', '2026-12-07T12:20:00.000Z'],
    ['+30m', '2026-12-07T10:50:00.000Z'],
    ['+1d', '2026-12-08T10:20:00.000Z'],
    ['+45s', '2026-12-07T10:20:45.000Z'],
    ['+1w', '2026-12-14T10:20:00.000Z'],
    ['+1d2h30m', '2026-12-08T12:50:00.000Z'],
    [' +2h ', '2026-12-07T12:20:00.000Z'],
    ['2026-12-08T09:00:00Z', '2026-12-08T09:00:00.000Z'],
    ['2026-12-08T18:00:00+09:00', '2026-12-08T09:00:00.000Z'],
  ])('reads %j as %s', (text, expected) => {
    expect(parseClockMove(text, NOW).toISOString()).toBe(expected);
  });

  it('refuses a duration that goes beyond the last representable date', () => {
    expect(() => parseClockMove('+99999999999d', NOW)).toThrow(/beyond the last date/);
  });

  it('refuses a move back with a message saying the clock only moves forward', () => {
    expect(() => parseClockMove('-2h', NOW)).toThrow(/only moves forward/);
  });

  it.each(['2h', '+2x', '+', 'tomorrow', '2026-12-08', '2026-12-08T09:00:00'])(
    'refuses %j, naming both accepted forms',
    (text) => {
      const error = (() => {
        try {
          parseClockMove(text, NOW);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ClockMoveError);
      expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/\+2h.*ISO 8601/) });
    },
  );
});

describe('the local clock', () => {
  let clock: LocalClock | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    clock?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Followers that write down what the move asked of them, in order, with the clock's time then. */
  function recordingFollowers(of: () => LocalClock) {
    const steps: string[] = [];
    /** How far ahead of the real clock the local clock is then, in whole hours. */
    const at = () => `+${Math.round(of().offsetMs / HOUR)}h`;
    const followers: ClockFollowers = {
      runTimersUntil: async (target) => {
        steps.push(`timers until the target (clock ${at()})`);
        of().jumpTo(target.getTime());
      },
      holdSchedules: async (move) => {
        steps.push('hold schedules');
        const result = await move(async () => {
          steps.push(`schedules (clock ${at()})`);
          return [{ schedule: 'UsageReport', at: of().now().toISOString(), ok: true }];
        });
        steps.push('release schedules');
        return result;
      },
      settle: async () => {
        steps.push('settle');
        return true;
      },
    };
    return { steps, followers };
  }

  it('moves the functions’ systemClock: with the schedules held, settles queued work, runs the emulator’s timers, then the due schedules', async () => {
    clock = await LocalClock.start(takeSystemClockControl({}));
    const local = clock;
    const { steps, followers } = recordingFollowers(() => local);
    local.follow(followers);
    const target = new Date(Date.now() + 2 * HOUR);

    const moved = await local.move(target);

    expect(systemClock.now().getTime()).toBeGreaterThanOrEqual(target.getTime());
    expect(systemClock.now().getTime() - target.getTime()).toBeLessThan(1_000);
    expect(steps).toEqual([
      'hold schedules',
      'settle',
      'timers until the target (clock +0h)',
      'schedules (clock +2h)',
      'settle',
      'release schedules',
    ]);
    expect(moved).toMatchObject({ ran: [{ schedule: 'UsageReport', ok: true }], settled: true });
    // The target was taken from the real clock a moment before the move read `from`: the answer reaches the target,
    // and spans the two hours less that moment.
    expect(Date.parse(moved.now)).toBeGreaterThanOrEqual(target.getTime());
    expect(Date.parse(moved.now) - Date.parse(moved.from)).toBeGreaterThan(2 * HOUR - 1_000);
  });

  it('refuses to go back with a 409 that names both times, and stays where it was', async () => {
    clock = await LocalClock.start(takeSystemClockControl({}));
    await clock.move(new Date(Date.now() + 2 * HOUR));
    const offset = clock.offsetMs;

    const back = clock.move(new Date(Date.now() + HOUR));

    await expect(back).rejects.toBeInstanceOf(ClockMoveError);
    await expect(back).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/only moves forward.*is before/),
    });
    expect(clock.offsetMs).toBe(offset);
  });

  it('keeps its offset in a file, so a restart over the same data resumes ahead and never goes back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-clock-'));
    const file = join(dir, 'clock.json');
    clock = await LocalClock.start(takeSystemClockControl({}), file);
    await clock.move(new Date(Date.now() + 26 * HOUR));
    const saved = JSON.parse(await readFile(file, 'utf8')) as { offsetMs: number };
    clock.release();

    clock = await LocalClock.start(takeSystemClockControl({}), file);

    expect(saved.offsetMs).toBeGreaterThan(26 * HOUR - 1_000);
    expect(clock.offsetMs).toBe(saved.offsetMs);
    expect(systemClock.now().getTime() - Date.now()).toBeGreaterThan(26 * HOUR - 1_000);
  });

  it('runs one move at a time: a second move waits for the first one’s schedules', async () => {
    clock = await LocalClock.start(takeSystemClockControl({}));
    const local = clock;
    const order: string[] = [];
    local.follow({
      runTimersUntil: async (target) => local.jumpTo(target.getTime()),
      holdSchedules: (move) =>
        move(async () => {
          order.push(`start ${order.length}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          order.push(`end ${order.length}`);
          return [];
        }),
      settle: async () => true,
    });

    await Promise.all([local.move(new Date(Date.now() + HOUR)), local.move(new Date(Date.now() + 2 * HOUR))]);

    expect(order).toEqual(['start 0', 'end 1', 'start 2', 'end 3']);
  });
});
