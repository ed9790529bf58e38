import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import {
  addMonthsClamped,
  billingPeriodContaining,
  billingPeriodsOfTerm,
  nextTerm,
  termAt,
  termContaining,
  termEnd,
  termUnitMonths,
} from '#shared/domain/terms.ts';
import { utc } from '#test/builders/rating.ts';

const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('terms', () => {
  it('counts 1, 12, 24 and 36 months for P1M, P1Y, P2Y and P3Y', () => {
    expect((['P1M', 'P1Y', 'P2Y', 'P3Y'] as const).map(termUnitMonths)).toEqual([1, 12, 24, 36]);
  });

  it('covers Jan 6 to Feb 5 for a monthly subscription activated on Jan 6 and renews on Feb 6', () => {
    // prepare
    const anchor = utc('2025-01-06T00:00');
    // act
    const term = termContaining(anchor, 'P1M', utc('2025-02-05T23:59:59.999'));
    const renewal = nextTerm(anchor, 'P1M', term);
    // assess
    expect(iso(term.start)).toBe('2025-01-06');
    expect(iso(term.endDate)).toBe('2025-02-05');
    expect(term.lastInstant.toISOString()).toBe('2025-02-05T23:59:59.999Z');
    expect(renewal.start.toISOString()).toBe('2025-02-06T00:00:00.000Z');
    expect(termContaining(anchor, 'P1M', utc('2025-02-06T00:00')).index).toBe(1);
  });

  it('clamps a Jan 31 anchor to the end of shorter months without drifting', () => {
    const anchor = utc('2025-01-31T00:00');
    const starts = [0, 1, 2, 3, 4].map((k) => iso(termAt(anchor, 'P1M', k).start));
    expect(starts).toEqual(['2025-01-31', '2025-02-28', '2025-03-31', '2025-04-30', '2025-05-31']);
  });

  it('gives Feb 29 in a leap year and Feb 28 otherwise', () => {
    expect(iso(addMonthsClamped(utc('2024-01-31T00:00'), 1))).toBe('2024-02-29');
    expect(iso(addMonthsClamped(utc('2023-01-31T00:00'), 1))).toBe('2023-02-28');
  });

  it('renews a yearly term anchored on Feb 29 on Feb 28 and comes back to Feb 29 in the next leap year', () => {
    const anchor = utc('2024-02-29T00:00');
    expect(iso(termAt(anchor, 'P1Y', 1).start)).toBe('2025-02-28');
    expect(iso(termAt(anchor, 'P1Y', 1).endDate)).toBe('2026-02-27');
    expect(iso(termAt(anchor, 'P1Y', 4).start)).toBe('2028-02-29');
  });

  it('spans two and three years for P2Y and P3Y terms', () => {
    const anchor = utc('2025-03-15T00:00');
    expect(iso(termContaining(anchor, 'P2Y', utc('2026-12-31T00:00')).endDate)).toBe('2027-03-14');
    expect(termContaining(anchor, 'P2Y', utc('2027-03-15T00:00')).index).toBe(1);
    expect(iso(termEnd(anchor, 'P3Y', utc('2025-03-15T00:00')))).toBe('2028-03-15');
  });

  it('keeps the time of day of the anchor', () => {
    const term = termAt(utc('2025-01-06T14:30'), 'P1M', 1);
    expect(term.start.toISOString()).toBe('2025-02-06T14:30:00.000Z');
    expect(iso(term.endDate)).toBe('2025-03-06');
  });

  it('splits a yearly term into twelve monthly billing periods by the same anniversary rule', () => {
    const periods = billingPeriodsOfTerm(utc('2025-01-31T00:00'), 'P1Y', 1);
    expect(periods).toHaveLength(12);
    expect(periods.map((p) => p.indexInTerm)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(iso(periods[0]?.start ?? new Date(0))).toBe('2026-01-31');
    expect(iso(periods[1]?.start ?? new Date(0))).toBe('2026-02-28');
    expect(iso(periods[2]?.start ?? new Date(0))).toBe('2026-03-31');
    expect(iso(periods[11]?.end ?? new Date(0))).toBe('2027-01-31');
  });

  it('finds the billing period and its term for an instant', () => {
    const period = billingPeriodContaining(utc('2025-01-06T00:00'), 'P1Y', utc('2026-03-05T23:00'));
    expect({ sequence: period.sequence, termIndex: period.termIndex, indexInTerm: period.indexInTerm }).toEqual({
      sequence: 13,
      termIndex: 1,
      indexInTerm: 1,
    });
  });

  it('rejects an instant before the anchor and a negative term index', () => {
    expect(() => termContaining(utc('2025-01-06T00:00'), 'P1M', utc('2025-01-05T23:00'))).toThrow(ValidationError);
    expect(() => termAt(utc('2025-01-06T00:00'), 'P1M', -1)).toThrow(ValidationError);
  });
});
