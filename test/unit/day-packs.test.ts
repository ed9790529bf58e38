import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDayPack,
  DayPackProductMismatchError,
  isTermActive,
  MAX_DAY_PACK_DAYS,
  MS_PER_DAY,
  newDayPack,
  normaliseDayPackCode,
  type PrepaidTerm,
  planRedemption,
} from '#shared/domain/day-packs.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { aDayPack, aPrepaidTerm, aSubscriptionRef } from '#test/builders/day-packs.ts';

const at = (iso: string) => new Date(iso);
const lengthInDays = (term: PrepaidTerm) => (term.end.getTime() - term.start.getTime()) / MS_PER_DAY;

describe('applying a day pack', () => {
  it('adds the days to the end of a term that is still active, keeping its start', () => {
    const term = aPrepaidTerm({ start: at('2025-01-01T00:00:00Z'), end: at('2025-01-31T00:00:00Z') });

    const after = applyDayPack(term, aDayPack({ days: 90 }), aSubscriptionRef(), at('2025-01-20T12:00:00Z'));

    expect(after).toEqual({ ...term, end: at('2025-05-01T00:00:00Z'), extensions: 2 });
  });

  it('starts a new term on the redemption instant when the term has expired', () => {
    const term = aPrepaidTerm({ end: at('2025-01-31T00:00:00Z') });

    const after = applyDayPack(term, aDayPack({ days: 30 }), aSubscriptionRef(), at('2025-03-10T09:30:00Z'));

    expect(after).toEqual({
      subscriptionId: term.subscriptionId,
      productKey: term.productKey,
      start: at('2025-03-10T09:30:00Z'),
      end: at('2025-04-09T09:30:00Z'),
      extensions: 1,
    });
  });

  it('does not charge the expired gap: the new term is exactly the pack long', () => {
    const term = aPrepaidTerm({ end: at('2025-01-31T00:00:00Z') });

    const after = applyDayPack(term, aDayPack({ days: 365 }), aSubscriptionRef(), at('2025-06-01T00:00:00Z'));

    // Back-dating the term to the old end would spend paid days on the gap (2025-01-31 to 2025-06-01).
    expect(after.start).toEqual(at('2025-06-01T00:00:00Z'));
    expect(lengthInDays(after)).toBe(365);
  });

  it('starts the first term at the redemption instant when the subscription has none', () => {
    const after = applyDayPack(undefined, aDayPack({ days: 30 }), aSubscriptionRef(), at('2025-02-01T08:00:00Z'));

    expect(after).toEqual({
      subscriptionId: 'sub-1',
      productKey: 'contoso-analytics',
      start: at('2025-02-01T08:00:00Z'),
      end: at('2025-03-03T08:00:00Z'),
      extensions: 1,
    });
  });

  it('treats the term end as exclusive: one millisecond before extends, the end instant itself starts anew', () => {
    const term = aPrepaidTerm({ end: at('2025-01-31T00:00:00Z') });

    const justBefore = planRedemption(term, aDayPack(), aSubscriptionRef(), at('2025-01-30T23:59:59.999Z'));
    const atEnd = planRedemption(term, aDayPack(), aSubscriptionRef(), at('2025-01-31T00:00:00Z'));

    expect(justBefore.outcome).toBe('extended');
    expect(atEnd.outcome).toBe('newTerm');
    expect(isTermActive(term, at('2025-01-31T00:00:00Z'))).toBe(false);
  });

  it('refuses a pack for another product and says which product the pack is for', () => {
    const pack = aDayPack({ productKey: 'fabrikam-backup' });

    const act = () => applyDayPack(aPrepaidTerm(), pack, aSubscriptionRef(), at('2025-01-10T00:00:00Z'));

    expect(act).toThrow(DayPackProductMismatchError);
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(/for product 'fabrikam-backup'.*'contoso-analytics'/);
  });

  it('refuses a pack that has already been redeemed, since an extension cannot be moved', () => {
    const redeemed = planRedemption(undefined, aDayPack(), aSubscriptionRef(), at('2025-01-01T00:00:00Z')).pack;

    const act = () => applyDayPack(undefined, redeemed, aSubscriptionRef({ id: 'sub-2' }), at('2025-01-02T00:00:00Z'));

    expect(act).toThrow(ConflictError);
  });

  it('records the term before and after on the redeemed pack', () => {
    const term = aPrepaidTerm();

    const planned = planRedemption(term, aDayPack({ days: 30 }), aSubscriptionRef(), at('2025-01-15T00:00:00Z'));

    expect(planned.pack.redemption).toEqual({
      subscriptionId: 'sub-1',
      redeemedAt: at('2025-01-15T00:00:00Z'),
      termBefore: term,
      termAfter: planned.term,
    });
  });
});

describe('issuing a day pack', () => {
  it.each([0, -30, 1.5, Number.NaN, MAX_DAY_PACK_DAYS + 1])('refuses %s days', (days) => {
    const act = () => newDayPack({ codeHash: 'h', productKey: 'contoso-analytics', days }, at('2025-01-01T00:00:00Z'));

    expect(act).toThrow(ValidationError);
  });

  it('accepts any positive whole number of days, not only 30, 90 or 365', () => {
    const pack = newDayPack(
      { codeHash: 'h', productKey: 'contoso-analytics', days: 7, partnerId: 'partner-1' },
      at('2025-01-01T00:00:00Z'),
    );

    expect(pack).toEqual({
      codeHash: 'h',
      productKey: 'contoso-analytics',
      days: 7,
      partnerId: 'partner-1',
      issuedAt: at('2025-01-01T00:00:00Z'),
    });
  });
});

describe('normalising a day-pack code', () => {
  it('ignores case, dashes and spaces', () => {
    expect(normaliseDayPackCode(' abcd-efgh 2345\t-6789 ')).toBe('ABCDEFGH23456789');
  });

  it('folds full-width characters and Crockford look-alikes (I, L → 1; O → 0)', () => {
    expect(normaliseDayPackCode('ＡＢＣＤ－ｏｉｌ１')).toBe('ABCD0111');
  });
});

describe('invariants of redeeming packs over time', () => {
  const days = fc.integer({ min: 1, max: 400 });
  const startAt = fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z'), noInvalidDate: true });

  it('never shortens the term: every redemption ends it later than every earlier term ended', () => {
    fc.assert(
      fc.property(
        startAt,
        fc.array(fc.record({ days, gapMs: fc.integer({ min: 0, max: 500 * MS_PER_DAY }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        (first, steps) => {
          let now = first;
          let term: PrepaidTerm | undefined;
          const ends: number[] = [];
          for (const step of steps) {
            now = new Date(now.getTime() + step.gapMs);
            term = applyDayPack(term, aDayPack({ days: step.days }), aSubscriptionRef(), now);
            ends.push(term.end.getTime());
          }
          const finalEnd = ends.at(-1) ?? Number.NaN;
          expect(ends.every((end) => end <= finalEnd)).toBe(true);
          expect(ends.every((end, index) => index === 0 || end > (ends[index - 1] ?? end))).toBe(true);
        },
      ),
    );
  });

  it('adds up exactly when every redemption is made while the term is active', () => {
    fc.assert(
      fc.property(
        startAt,
        days,
        fc.array(fc.record({ days, position: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }), {
          maxLength: 30,
        }),
        (start, initialDays, steps) => {
          let term = aPrepaidTerm({ start, end: new Date(start.getTime() + initialDays * MS_PER_DAY) });
          let now = start;
          for (const step of steps) {
            // Somewhere in [now, term.end): the term is still active.
            now = new Date(now.getTime() + Math.floor(step.position * (term.end.getTime() - now.getTime())));
            term = applyDayPack(term, aDayPack({ days: step.days }), aSubscriptionRef(), now);
          }
          const total = initialDays + steps.reduce((sum, step) => sum + step.days, 0);
          expect(term.start).toEqual(start);
          expect(lengthInDays(term)).toBe(total);
          expect(term.extensions).toBe(1 + steps.length);
        },
      ),
    );
  });
});
