import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';

// On a UTC host a time stamp without a zone reads as UTC anyway, so these tests could not tell the rule from its
// absence there. They run in a zone far from UTC, where ECMAScript's local-time reading would be 9 hours off.
let hostZone: string | undefined;
beforeAll(() => {
  hostZone = process.env.TZ;
  process.env.TZ = 'Asia/Tokyo';
});
afterAll(() => {
  if (hostZone === undefined) delete process.env.TZ;
  else process.env.TZ = hostZone;
});

/** Instants whose ISO form has a four-digit year (what Microsoft writes), milliseconds included. */
const instants = fc.date({
  min: new Date('0001-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});
/** Instants a day inside those years, so that their wall-clock time at any offset still has a four-digit year. */
const innerInstants = fc.date({
  min: new Date('0001-01-02T00:00:00.000Z'),
  max: new Date('9999-12-30T23:59:59.999Z'),
  noInvalidDate: true,
});
/** Offsets from UTC in whole minutes, as zone designators carry them: −12:00 to +14:00. */
const offsetsInMinutes = fc.integer({ min: -12 * 60, max: 14 * 60 });

function withOffset(instant: Date, offsetMinutes: number): string {
  const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}${sign}${hours}:${minutes}`;
}

describe('reading a marketplace time stamp', () => {
  it('reads a time stamp without a zone designator as UTC, whatever the host zone', () => {
    expect(parseMarketplaceInstant('2018-12-01T08:00:00')?.toISOString()).toBe('2018-12-01T08:00:00.000Z');
  });

  it("reads Microsoft's placeholder time stamp as the first instant of year 1, UTC", () => {
    expect(parseMarketplaceInstant('0001-01-01T00:00:00')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it('reads seven fractional digits (.NET ticks) to the millisecond', () => {
    expect(parseMarketplaceInstant('2026-01-15T09:00:00.1234567')?.toISOString()).toBe('2026-01-15T09:00:00.123Z');
  });

  it.each([
    ['2026-01-15T09:00:00Z', '2026-01-15T09:00:00.000Z'],
    ['2026-01-15T09:00:00z', '2026-01-15T09:00:00.000Z'],
    ['2026-01-15T18:00:00+09:00', '2026-01-15T09:00:00.000Z'],
    ['2026-01-15T04:00:00-0500', '2026-01-15T09:00:00.000Z'],
  ])('reads %s with its own zone designator', (text, instant) => {
    expect(parseMarketplaceInstant(text)?.toISOString()).toBe(instant);
  });

  it.each(['', 'soon', '2026-13-45T99:00:00', '2026-01-15T09:00:00+09'])('reads %j as no instant', (text) => {
    expect(parseMarketplaceInstant(text)).toBeUndefined();
  });

  it('reads any instant printed without its Z as the same instant as with it', () => {
    fc.assert(
      fc.property(instants, (instant) => {
        const withZ = instant.toISOString();
        const withoutZ = withZ.slice(0, -1);

        expect(parseMarketplaceInstant(withoutZ)?.getTime()).toBe(instant.getTime());
        expect(parseMarketplaceInstant(withZ)?.getTime()).toBe(instant.getTime());
      }),
    );
  });

  it('reads any instant printed with an offset from UTC as that instant', () => {
    fc.assert(
      fc.property(innerInstants, offsetsInMinutes, (instant, offset) => {
        expect(parseMarketplaceInstant(withOffset(instant, offset))?.getTime()).toBe(instant.getTime());
      }),
    );
  });
});
