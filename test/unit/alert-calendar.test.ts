import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths, dayOf, dayPeriod, monthOf, monthPeriod } from '#shared/domain/alerts/calendar.ts';
import { ValidationError } from '#shared/domain/errors.ts';

const iso = (d: Date) => d.toISOString();

describe('calendar periods in a time zone', () => {
  it('starts a Tokyo month at 15:00 UTC on the previous day', () => {
    const april = monthOf(new Date('2025-03-31T15:00:00Z'), 'Asia/Tokyo');
    expect([april.key, iso(april.start), iso(april.end)]).toEqual([
      '2025-04',
      '2025-03-31T15:00:00.000Z',
      '2025-04-30T15:00:00.000Z',
    ]);
    expect(monthOf(new Date('2025-03-31T14:59:59.999Z'), 'Asia/Tokyo').key).toBe('2025-03');
  });

  it('starts a Tokyo day at 15:00 UTC the day before', () => {
    const day = dayOf(new Date('2025-01-01T02:00:00Z'), 'Asia/Tokyo');
    expect([day.key, iso(day.start), iso(day.end)]).toEqual([
      '2025-01-01',
      '2024-12-31T15:00:00.000Z',
      '2025-01-01T15:00:00.000Z',
    ]);
  });

  it('uses UTC by default', () => {
    expect(iso(monthOf(new Date('2025-06-15T12:00:00Z')).start)).toBe('2025-06-01T00:00:00.000Z');
  });

  it('makes days 23 and 25 hours long across daylight-saving changes', () => {
    const spring = dayPeriod('2025-03-09', 'America/New_York');
    const autumn = dayPeriod('2025-11-02', 'America/New_York');
    expect((spring.end.getTime() - spring.start.getTime()) / 3_600_000).toBe(23);
    expect((autumn.end.getTime() - autumn.start.getTime()) / 3_600_000).toBe(25);
  });

  it('starts a day at its first local instant where midnight is skipped (Santiago springs forward at 00:00)', () => {
    expect(iso(dayPeriod('2025-09-07', 'America/Santiago').start)).toBe('2025-09-07T04:00:00.000Z');
  });

  it('steps month and day keys across year ends and leap days', () => {
    expect([addMonths('2025-01', -1), addMonths('2024-12', 1), addMonths('2025-03', -6)]).toEqual([
      '2024-12',
      '2025-01',
      '2024-09',
    ]);
    expect([addDays('2024-03-01', -1), addDays('2025-03-01', -1), addDays('2024-12-31', 1)]).toEqual([
      '2024-02-29',
      '2025-02-28',
      '2025-01-01',
    ]);
  });

  it('rejects unknown time zones and malformed keys with a ValidationError naming the field', () => {
    expect(() => monthOf(new Date(), 'Mars/Olympus')).toThrow(ValidationError);
    expect(() => monthPeriod('2025-13')).toThrow(ValidationError);
    expect(() => dayPeriod('2025-02-30')).toThrow(ValidationError);
  });

  it('puts every instant inside its month and day, with periods that tile the timeline', () => {
    const zones = ['UTC', 'Asia/Tokyo', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 11, 31) }),
        fc.constantFrom(...zones),
        (t, zone) => {
          for (const period of [monthOf(new Date(t), zone), dayOf(new Date(t), zone)]) {
            expect(period.start.getTime()).toBeLessThanOrEqual(t);
            expect(period.end.getTime()).toBeGreaterThan(t);
          }
          const month = monthOf(new Date(t), zone);
          expect(monthOf(new Date(month.start.getTime() - 1), zone).key).toBe(addMonths(month.key, -1));
          expect(monthOf(month.end, zone).key).toBe(addMonths(month.key, 1));
          const day = dayOf(new Date(t), zone);
          expect(dayOf(new Date(day.start.getTime() - 1), zone).key).toBe(addDays(day.key, -1));
          expect(day.key.slice(0, 7)).toBe(month.key);
        },
      ),
    );
  });
});
