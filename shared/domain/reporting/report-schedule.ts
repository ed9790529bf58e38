/**
 * When usage may be reported and how long it may wait: closed hours (rule 1 of README.md), the 24-hour window
 * of the Metering API and the ages the operator is alarmed on.
 */
import { floorToUtcHour, HOUR_MS } from '#shared/domain/terms.ts';

/** Default grace after an hour closes before it is reported (rule 1). */
export const DEFAULT_REPORT_GRACE_MINUTES = 10;

/**
 * Upper bound of the grace (minutes). With the 10-minute schedule an hour is reported at most grace + 10 min after it
 * closes; beyond 50 minutes the reporter would fall a whole hour behind on every run, and a larger value is more likely
 * a unit mistake (seconds typed as minutes), which should stop the function at cold start. Here, not in the reporter's settings module, so the dispatcher and
 * the API can bound the setting without importing the marketplace client that module configures.
 */
export const MAX_REPORT_GRACE_MINUTES = 50;
/** Microsoft accepts an event whose effectiveStartTime lies at most 24 h in the past (§4.3). */
export const METERING_WINDOW_MS = 24 * HOUR_MS;
/**
 * Margin kept inside the 24 h window when deciding whether an hour can still be sent: the batch may wait for a free
 * slot of the send pool and the HTTP client retries for up to 30 s, so an hour 23 h 55 min old could expire on the
 * way. Sending it would only earn an `Expired`, which is folded the same way anyway.
 */
export const SEND_WINDOW_MARGIN_MS = 10 * 60_000;
/** Default age (hours) of the oldest unreported slot above which the operator is alarmed: well before 24 h. */
export const DEFAULT_UNREPORTED_ALARM_HOURS = 20;

/**
 * The last closed hour at `now` (rule 1): the latest H with H + 1 h + grace ≤ now.
 * @throws RangeError for a negative grace.
 */
export function lastClosedHour(now: Date, graceMinutes: number): Date {
  if (!(graceMinutes >= 0)) throw new RangeError(`grace must be ≥ 0 minutes, got ${graceMinutes}`);
  return new Date(floorToUtcHour(new Date(now.getTime() - graceMinutes * 60_000)).getTime() - HOUR_MS);
}

/**
 * The last hour a flush at cancellation time `until` reports: the hour containing the last Subscribed instant
 * (an `until` exactly on an hour boundary ends the previous hour), never after the current hour.
 */
export function lastFlushHour(until: Date, now: Date): Date {
  const last = floorToUtcHour(new Date(until.getTime() - 1));
  const current = floorToUtcHour(now);
  return last.getTime() > current.getTime() ? current : last;
}

/** Whether an event for `hour` can still be sent at `now` (24 h window minus `SEND_WINDOW_MARGIN_MS`). */
export function isWithinSendWindow(hour: Date, now: Date): boolean {
  return (
    hour.getTime() <= now.getTime() && hour.getTime() >= now.getTime() - METERING_WINDOW_MS + SEND_WINDOW_MARGIN_MS
  );
}

/** Age in hours of something waiting since `since` (0 when in the future). */
export function ageHours(since: Date, now: Date): number {
  return Math.max(0, (now.getTime() - since.getTime()) / HOUR_MS);
}
