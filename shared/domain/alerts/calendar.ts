/**
 * Calendar months and days in a recipient's time zone, for alert periods.
 *
 * Why a time zone at all: the seed's customers are Japanese (seeds/000_*, Cloud-All) and think of "this month's
 * charges" in Japan time, so a month in `Asia/Tokyo` starts at 15:00 UTC on the last day of the previous month, and
 * a day at 15:00 UTC the day before. Budgets, spike days and the partner's monthly checks all use these boundaries;
 * metering itself stays on UTC hours (DESIGN invariant 2) and is not affected.
 *
 * Only `Intl.DateTimeFormat` is used (no time-zone library): it knows every IANA zone and its daylight-saving rules.
 * Where local midnight does not exist (a zone that springs forward at 00:00), the day starts at the first local
 * instant of that date.
 */

import { ValidationError } from '#shared/domain/errors.ts';

/** A calendar month `YYYY-MM` in some time zone. */
export type MonthKey = string;
/** A calendar day `YYYY-MM-DD` in some time zone. */
export type DayKey = string;

/** A calendar period in a time zone: its key and the UTC instants [start, end) it covers. */
export interface CalendarPeriod<K extends string = string> {
  readonly key: K;
  readonly start: Date;
  /** Exclusive: the start of the next period. */
  readonly end: Date;
}

export const DEFAULT_TIME_ZONE = 'UTC';

const MONTH_KEY = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY_KEY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new ValidationError(`"${timeZone}" is not an IANA time zone such as "Asia/Tokyo" or "UTC"`, 'timeZone', {
        cause,
      });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Whether `timeZone` is an IANA time zone this runtime knows.
 */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function localParts(instant: Date, timeZone: string): LocalParts {
  const values: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  return {
    year: values.year ?? Number.NaN,
    month: values.month ?? Number.NaN,
    day: values.day ?? Number.NaN,
    hour: values.hour ?? Number.NaN,
    minute: values.minute ?? Number.NaN,
    second: values.second ?? Number.NaN,
  };
}

/** Offset of the zone from UTC at an instant, in ms (Tokyo: +9 h). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  // Seconds are dropped from the instant: zone offsets are whole minutes today, and historic second-level offsets
  // (before 1900) are irrelevant here.
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The first instant whose local date in the zone is (year, month, day): local midnight, or just after a gap. */
function startOfLocalDate(year: number, month: number, day: number, timeZone: string): Date {
  const wallClock = Date.UTC(year, month - 1, day);
  // Two passes find the instant for zones whose offset changes near midnight; a third guards a gap at midnight.
  let candidate = wallClock - offsetAt(wallClock, timeZone);
  candidate = wallClock - offsetAt(candidate, timeZone);
  const wanted = year * 10_000 + month * 100 + day;
  const dateOf = (t: number) => {
    const p = localParts(new Date(t), timeZone);
    return p.year * 10_000 + p.month * 100 + p.day;
  };
  // Local midnight skipped (the clock jumped past it) or not yet reached: walk to the first minute of the date.
  while (dateOf(candidate) < wanted) candidate += MINUTE_MS;
  while (dateOf(candidate - MINUTE_MS) >= wanted) candidate -= MINUTE_MS;
  return new Date(candidate);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function assertInstant(instant: Date): void {
  if (Number.isNaN(instant.getTime())) throw new ValidationError('the instant is not a valid date', 'instant');
}

/**
 * The calendar month containing an instant in a time zone.
 * `monthOf(2025-03-31T15:00Z, 'Asia/Tokyo')` is `{ key: '2025-04', start: 2025-03-31T15:00Z, end: 2025-04-30T15:00Z }`.
 * @throws {ValidationError} when the instant is invalid or the time zone unknown.
 */
export function monthOf(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): CalendarPeriod<MonthKey> {
  assertInstant(instant);
  const p = localParts(instant, timeZone);
  return monthPeriod(`${pad(p.year, 4)}-${pad(p.month)}`, timeZone);
}

/**
 * The calendar day containing an instant in a time zone.
 * @throws {ValidationError} when the instant is invalid or the time zone unknown.
 */
export function dayOf(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): CalendarPeriod<DayKey> {
  assertInstant(instant);
  const p = localParts(instant, timeZone);
  return dayPeriod(`${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`, timeZone);
}

/**
 * The instants [start, end) of a month key in a time zone.
 * @throws {ValidationError} when the key is not `YYYY-MM` or the time zone unknown.
 */
export function monthPeriod(key: MonthKey, timeZone: string = DEFAULT_TIME_ZONE): CalendarPeriod<MonthKey> {
  const { year, month } = parseMonthKey(key);
  const next = addMonths(key, 1);
  const { year: nextYear, month: nextMonth } = parseMonthKey(next);
  return {
    key,
    start: startOfLocalDate(year, month, 1, timeZone),
    end: startOfLocalDate(nextYear, nextMonth, 1, timeZone),
  };
}

/**
 * The instants [start, end) of a day key in a time zone (23 or 25 hours long across a daylight-saving change).
 * @throws {ValidationError} when the key is not a real `YYYY-MM-DD` date or the time zone unknown.
 */
export function dayPeriod(key: DayKey, timeZone: string = DEFAULT_TIME_ZONE): CalendarPeriod<DayKey> {
  const { year, month, day } = parseDayKey(key);
  const next = parseDayKey(addDays(key, 1));
  return {
    key,
    start: startOfLocalDate(year, month, day, timeZone),
    end: startOfLocalDate(next.year, next.month, next.day, timeZone),
  };
}

/**
 * The month `delta` months after `key` (negative: before): `addMonths('2025-01', -1)` is `'2024-12'`.
 * @throws {ValidationError} when the key is not `YYYY-MM`.
 */
export function addMonths(key: MonthKey, delta: number): MonthKey {
  const { year, month } = parseMonthKey(key);
  const index = year * 12 + (month - 1) + delta;
  return `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}`;
}

/**
 * The day `delta` days after `key` (negative: before): `addDays('2025-03-01', -1)` is `'2025-02-28'`.
 * @throws {ValidationError} when the key is not a real `YYYY-MM-DD` date.
 */
export function addDays(key: DayKey, delta: number): DayKey {
  const { year, month, day } = parseDayKey(key);
  const shifted = new Date(Date.UTC(year, month - 1, day) + delta * DAY_MS);
  return `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
}

/** The month a day key belongs to: `'2025-03-14'` → `'2025-03'`. @throws {ValidationError} on a bad key. */
export function monthOfDay(key: DayKey): MonthKey {
  parseDayKey(key);
  return key.slice(0, 7);
}

function parseMonthKey(key: MonthKey): { year: number; month: number } {
  const match = MONTH_KEY.exec(key);
  if (!match) throw new ValidationError(`"${key}" is not a month (YYYY-MM)`, 'month');
  return { year: Number(match[1]), month: Number(match[2]) };
}

function parseDayKey(key: DayKey): { year: number; month: number; day: number } {
  const match = DAY_KEY.exec(key);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (!match || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new ValidationError(`"${key}" is not a day (YYYY-MM-DD)`, 'day');
  }
  return { year, month, day };
}
