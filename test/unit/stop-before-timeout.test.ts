import { describe, expect, it } from 'vitest';
import { stopBeforeTimeout } from '#shared/adapters/lambda/stop-before-timeout.ts';

const NOW = new Date('2026-01-15T10:00:00.000Z');
const withTimeLeft = (ms: number) => ({ getRemainingTimeInMillis: () => ms });
const secondsAfterNow = (stopAt: Date | undefined) => ((stopAt?.getTime() ?? Number.NaN) - NOW.getTime()) / 1000;

describe('stopBeforeTimeout', () => {
  it('stops the margin before the timeout', () => {
    expect(secondsAfterNow(stopBeforeTimeout(withTimeLeft(300_000), NOW, { ms: 30_000 }))).toBe(270);
  });

  it('keeps a whole margin even when little time is left, unless told to shrink it to a tenth of the time left', () => {
    expect(secondsAfterNow(stopBeforeTimeout(withTimeLeft(12_000), NOW, { ms: 5_000 }))).toBe(7);
    expect(
      secondsAfterNow(stopBeforeTimeout(withTimeLeft(100_000), NOW, { ms: 30_000, shrinkWithTimeLeft: true })),
    ).toBe(90);
    // A tenth of 400 s is more than the margin: the margin stands.
    expect(
      secondsAfterNow(stopBeforeTimeout(withTimeLeft(400_000), NOW, { ms: 30_000, shrinkWithTimeLeft: true })),
    ).toBe(370);
  });

  it('sets no deadline when the context cannot tell the time left', () => {
    expect(stopBeforeTimeout(undefined, NOW, { ms: 5_000 })).toBeUndefined();
    expect(stopBeforeTimeout({} as never, NOW, { ms: 5_000 })).toBeUndefined();
  });
});
