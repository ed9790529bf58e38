import { describe, expect, it } from 'vitest';
import { EmulatorClock, type SharedTime } from '#infra/local/emulator/clock.ts';

/** A shared clock standing still (as in a test) that records the moves asked of it. */
function aSharedTime(start: string) {
  let now = Date.parse(start);
  const moves: string[] = [];
  const shared: SharedTime = {
    nowMs: () => now,
    jumpTo: (ms) => {
      if (ms < now) throw new RangeError('back');
      now = ms;
    },
    move: async (target) => {
      moves.push(target.toISOString());
    },
  };
  return { shared, moves };
}

describe('the emulator on a shared clock', () => {
  it('reads the shared time and, on its owner’s move, runs its timers each at its own time on that clock', async () => {
    const { shared } = aSharedTime('2026-12-07T10:00:00.000Z');
    const clock = new EmulatorClock(new Date(0), shared);
    const seen: string[] = [];
    clock.schedule(Date.parse('2026-12-07T11:00:00.000Z'), () => {
      seen.push(`renew at ${new Date(shared.nowMs()).toISOString()}`);
    });
    clock.schedule(Date.parse('2026-12-07T10:15:00.000Z'), () => {
      seen.push(`webhook at ${clock.now().toISOString()}`);
    });

    await clock.setTime(new Date('2026-12-07T12:00:00.000Z'));
    clock.stop();

    expect(clock.mode).toBe('shared');
    expect(seen).toEqual(['webhook at 2026-12-07T10:15:00.000Z', 'renew at 2026-12-07T11:00:00.000Z']);
    expect(clock.now().toISOString()).toBe('2026-12-07T12:00:00.000Z');
  });

  it('hands a move asked from outside (control API) to the owner of the shared clock', async () => {
    const { shared, moves } = aSharedTime('2026-12-07T10:00:00.000Z');
    const clock = new EmulatorClock(new Date(0), shared);

    await clock.requestMove(new Date('2026-12-08T10:00:00.000Z'));
    clock.stop();

    expect(moves).toEqual(['2026-12-08T10:00:00.000Z']);
    expect(clock.now().toISOString()).toBe('2026-12-07T10:00:00.000Z');
  });
});
