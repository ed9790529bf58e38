/**
 * Billing terms and monthly billing periods, by the ANNIVERSARY RULE:
 *
 *   Term k of a subscription starts at anchor + k × (months of the term unit), and billing period n starts at
 *   anchor + n months. Both are always computed from the ORIGINAL anchor (never chained from the previous start), with
 *   the day of month clamped to the last day of a shorter month: an anchor of Jan 31 gives Feb 28 (Feb 29 in a leap
 *   year), Mar 31, Apr 30, May 31 … so a short month never drifts the later dates. The time of day of the anchor is
 *   kept. A term or period is the half-open interval [start, next start): its last instant is just before the next
 *   start.
 *
 * Microsoft: the included allowance is counted from `term.startDate` and resets at renewal, e.g. activated Jan 6 →
 * the allowance covers Jan 6–Feb 5 and restarts Feb 6; `term.endDate` is the last valid day and the renewal happens
 * the next day (marketplace-api.md §1.3 and §4.3). Renewal is never at calendar months.
 *
 * Everything is UTC, on plain `Date` values; nothing here reads the clock.
 */
import type { TermUnit } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';

export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const TERM_UNIT_MONTHS: Readonly<Record<TermUnit, number>> = { P1M: 1, P1Y: 12, P2Y: 24, P3Y: 36 };

/** One term of a subscription: [start, end). */
export interface Term {
  /** 0 for the first term from the anchor, 1 after the first renewal, … */
  readonly index: number;
  readonly start: Date;
  /** Exclusive: the start of the next term. */
  readonly end: Date;
  /** The last instant of the term (end − 1 ms). */
  readonly lastInstant: Date;
  /** Microsoft's `term.endDate`: the UTC day (at 00:00) of the last instant, i.e. the last valid day. */
  readonly endDate: Date;
}

/** One monthly billing period: [start, end). Every term, whatever its length, is billed in monthly periods. */
export interface BillingPeriod {
  /** Months since the anchor: period n starts at anchor + n months. */
  readonly sequence: number;
  readonly termIndex: number;
  /** Position inside its term: 0 … months of the term − 1. */
  readonly indexInTerm: number;
  readonly start: Date;
  /** Exclusive: the start of the next period. */
  readonly end: Date;
}

/**
 * Number of months of a term unit: P1M 1, P1Y 12, P2Y 24, P3Y 36.
 * @throws {ValidationError} for a unit this engine does not know (e.g. P4Y, added to the API spec in 2025).
 */
export function termUnitMonths(unit: TermUnit): number {
  const months = TERM_UNIT_MONTHS[unit];
  if (months === undefined) {
    throw new ValidationError(`unsupported term unit ${String(unit)}`, 'termUnit');
  }
  return months;
}

/**
 * anchor + n months with the day clamped to the last day of the target month; time of day kept.
 * @throws {ValidationError} when n is not an integer or the anchor is an invalid date.
 */
export function addMonthsClamped(anchor: Date, months: number): Date {
  assertValidDate(anchor, 'anchor');
  if (!Number.isInteger(months)) {
    throw new ValidationError(`months must be an integer, got ${months}`, 'months');
  }
  const monthIndex = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const day = Math.min(anchor.getUTCDate(), daysInUtcMonth(year, month));
  return new Date(
    Date.UTC(
      year,
      month,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/**
 * The largest n ≥ 0 with anchor + n months ≤ at: how many monthly anniversaries have passed.
 * @throws {ValidationError} when `at` is before the anchor.
 */
export function monthsSinceAnchor(anchor: Date, at: Date): number {
  assertValidDate(anchor, 'anchor');
  assertValidDate(at, 'at');
  if (at.getTime() < anchor.getTime()) {
    throw new ValidationError(`${at.toISOString()} is before the term anchor ${anchor.toISOString()}`, 'at');
  }
  // anchor + n months lands in the calendar month of `at`, so n + 1 is already past it; n may be one too many.
  const n = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  return addMonthsClamped(anchor, n).getTime() <= at.getTime() ? n : n - 1;
}

/**
 * Term number `index` of a subscription anchored at `anchor`.
 * @throws {ValidationError} when the index is negative or not an integer.
 */
export function termAt(anchor: Date, unit: TermUnit, index: number): Term {
  if (!Number.isInteger(index) || index < 0) {
    throw new ValidationError(`term index must be a non-negative integer, got ${index}`, 'index');
  }
  const months = termUnitMonths(unit);
  const start = addMonthsClamped(anchor, index * months);
  const end = addMonthsClamped(anchor, (index + 1) * months);
  const lastInstant = new Date(end.getTime() - 1);
  const endDate = new Date(Math.floor(lastInstant.getTime() / DAY_MS) * DAY_MS);
  return { index, start, end, lastInstant, endDate };
}

/**
 * The term in force at instant `at`.
 * @throws {ValidationError} when `at` is before the anchor (no term yet).
 */
export function termContaining(anchor: Date, unit: TermUnit, at: Date): Term {
  return termAt(anchor, unit, Math.floor(monthsSinceAnchor(anchor, at) / termUnitMonths(unit)));
}

/** The term after `term` (the renewal). */
export function nextTerm(anchor: Date, unit: TermUnit, term: Term): Term {
  return termAt(anchor, unit, term.index + 1);
}

/** The end of the term in force at `at` (exclusive: the renewal instant). @throws {ValidationError} as termContaining */
export function termEnd(anchor: Date, unit: TermUnit, at: Date): Date {
  return termContaining(anchor, unit, at).end;
}

/**
 * Monthly billing period number `sequence` (months since the anchor), placed in its term of unit `unit`.
 * @throws {ValidationError} when the sequence is negative or not an integer.
 */
export function billingPeriodAt(anchor: Date, unit: TermUnit, sequence: number): BillingPeriod {
  if (!Number.isInteger(sequence) || sequence < 0) {
    throw new ValidationError(`billing period sequence must be a non-negative integer, got ${sequence}`, 'sequence');
  }
  const months = termUnitMonths(unit);
  return {
    sequence,
    termIndex: Math.floor(sequence / months),
    indexInTerm: sequence % months,
    start: addMonthsClamped(anchor, sequence),
    end: addMonthsClamped(anchor, sequence + 1),
  };
}

/** The monthly billing period in force at `at`. @throws {ValidationError} when `at` is before the anchor. */
export function billingPeriodContaining(anchor: Date, unit: TermUnit, at: Date): BillingPeriod {
  return billingPeriodAt(anchor, unit, monthsSinceAnchor(anchor, at));
}

/** The monthly billing periods of term `termIndex`, in order (12 for P1Y, …). */
export function billingPeriodsOfTerm(anchor: Date, unit: TermUnit, termIndex: number): BillingPeriod[] {
  const months = termUnitMonths(unit);
  return Array.from({ length: months }, (_, i) => billingPeriodAt(anchor, unit, termIndex * months + i));
}

/** The start of the UTC hour containing `at` (the metering slot, marketplace-api.md §4.3). */
export function floorToUtcHour(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** Whether `at` is exactly the start of a UTC hour. */
export function isUtcHourStart(at: Date): boolean {
  return at.getTime() % HOUR_MS === 0;
}

function daysInUtcMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function assertValidDate(value: Date, field: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`${field} is not a valid date`, field);
  }
}
