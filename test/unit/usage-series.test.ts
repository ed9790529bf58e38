import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import {
  assertSeriesRange,
  defaultSeriesRange,
  mergeStretches,
  planSeriesReads,
  seriesBuckets,
} from '#shared/domain/usage-series.ts';

const at = (iso: string) => new Date(iso);
const iso = (dates: readonly { start: Date; end: Date }[]) =>
  dates.map((d) => [d.start.toISOString(), d.end.toISOString()]);

describe('usage series buckets and ranges', () => {
  it('cuts local days in the zone, 23 hours long on the day the clocks go forward', () => {
    const buckets = seriesBuckets('day', at('2026-03-07T05:00:00Z'), at('2026-03-09T05:00:00Z'), 'America/New_York');

    expect(iso(buckets)).toEqual([
      ['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z'],
      ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
      ['2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z'],
    ]);
  });

  it('defaults to the last 48 hours, the previous month to now, and the last 12 months', () => {
    const now = at('2026-12-07T03:30:00Z');

    expect(defaultSeriesRange('hour', now, 'UTC')).toEqual({
      from: at('2026-12-05T04:00:00Z'),
      to: at('2026-12-07T04:00:00Z'),
    });
    expect(defaultSeriesRange('day', now, 'Asia/Tokyo').from).toEqual(at('2026-10-31T15:00:00Z'));
    expect(defaultSeriesRange('month', now, 'UTC').from).toEqual(at('2026-01-01T00:00:00Z'));
  });

  it.each([
    ['hour', '2026-01-01T00:00:00Z', '2026-02-01T00:00:01Z', /31 days/],
    ['day', '2025-01-01T00:00:00Z', '2026-02-10T00:00:00Z', /400 days/],
    ['month', '2023-01-01T00:00:00Z', '2026-01-01T00:00:01Z', /36 months/],
    ['day', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', /must be before/],
  ] as const)('refuses a %s series from %s to %s', (granularity, from, to, message) => {
    expect(() => assertSeriesRange(granularity, at(from), at(to), 'UTC')).toThrow(ValidationError);
    expect(() => assertSeriesRange(granularity, at(from), at(to), 'UTC')).toThrow(message);
  });

  it('accepts exactly 31 days of hours and 36 months of months', () => {
    expect(() =>
      assertSeriesRange('hour', at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), 'UTC'),
    ).not.toThrow();
    expect(() =>
      assertSeriesRange('month', at('2023-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), 'UTC'),
    ).not.toThrow();
  });
});

describe('planSeriesReads (READ PLAN)', () => {
  it('reads whole UTC days from the totals for a daily series in UTC, and the hours of a day with a plan change', () => {
    const buckets = seriesBuckets('day', at('2026-11-01T00:00:00Z'), at('2026-11-04T00:00:00Z'), 'UTC');

    const plan = planSeriesReads({
      readFrom: at('2026-11-01T00:00:00Z'),
      end: at('2026-11-04T00:00:00Z'),
      buckets,
      boundaries: [at('2026-11-01T00:00:00Z'), at('2026-11-02T13:00:00Z')],
    });

    expect(plan.totalDays.map((d) => d.toISOString())).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
    ]);
    expect(iso(plan.hourRanges)).toEqual([['2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z']]);
  });

  it('reads every hour of a daily series whose days do not start at 00:00 UTC', () => {
    const buckets = seriesBuckets('day', at('2026-10-31T15:00:00Z'), at('2026-11-03T15:00:00Z'), 'Asia/Tokyo');

    const plan = planSeriesReads({
      readFrom: at('2026-10-31T00:00:00Z'),
      end: at('2026-11-03T15:00:00Z'),
      buckets,
      boundaries: [],
    });

    expect(plan.totalDays).toEqual([]);
    expect(iso(plan.hourRanges)).toEqual([['2026-10-31T00:00:00.000Z', '2026-11-03T15:00:00.000Z']]);
  });

  it('reads the days before an hourly series from the totals and only its own days hour by hour', () => {
    const buckets = seriesBuckets('hour', at('2026-12-05T04:00:00Z'), at('2026-12-07T04:00:00Z'), 'UTC');

    const plan = planSeriesReads({
      readFrom: at('2026-12-01T00:00:00Z'),
      end: at('2026-12-07T03:31:00Z'),
      buckets,
      boundaries: [],
    });

    expect(plan.totalDays.map((d) => d.toISOString().slice(0, 10))).toEqual([
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
    ]);
    expect(iso(plan.hourRanges)).toEqual([['2026-12-05T00:00:00.000Z', '2026-12-07T03:31:00.000Z']]);
  });
});

describe('mergeStretches (STRETCHES)', () => {
  const dayOfHours = (dimension: string) =>
    Array.from({ length: 24 }, (_, h) => ({
      dimension,
      hour: `2026-11-02T${String(h).padStart(2, '0')}:00:00.000Z`,
      quantity: '1',
    }));
  const buckets = seriesBuckets('day', at('2026-11-01T15:00:00Z'), at('2026-11-03T15:00:00Z'), 'Asia/Tokyo');

  it('rates the hours of a UTC day in one local day together, per dimension, at the first of them', () => {
    const merged = mergeStretches([...dayOfHours('a'), ...dayOfHours('b')].reverse(), buckets, []);

    expect(merged.sort((x, y) => (x.dimension + x.hour < y.dimension + y.hour ? -1 : 1))).toEqual([
      { dimension: 'a', hour: '2026-11-02T00:00:00.000Z', quantity: '15' },
      { dimension: 'a', hour: '2026-11-02T15:00:00.000Z', quantity: '9' },
      { dimension: 'b', hour: '2026-11-02T00:00:00.000Z', quantity: '15' },
      { dimension: 'b', hour: '2026-11-02T15:00:00.000Z', quantity: '9' },
    ]);
  });

  it('keeps apart the hours on either side of a plan change', () => {
    const merged = mergeStretches(dayOfHours('a'), buckets, [at('2026-11-02T05:17:00Z')]);

    expect(merged.map((m) => [m.hour, m.quantity])).toEqual([
      ['2026-11-02T00:00:00.000Z', '6'],
      ['2026-11-02T06:00:00.000Z', '9'],
      ['2026-11-02T15:00:00.000Z', '9'],
    ]);
  });
});
