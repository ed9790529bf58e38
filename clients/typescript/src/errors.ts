/**
 * An answer of the API other than 2xx. `message` is the API's own message (it says what to fix); `status`, `code` and
 * `field` let a program decide what to do without parsing it.
 */
export class MeteringApiError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The API's error code (`BadRequest`, `Conflict`, `IdempotencyKeyReused`, …); absent when API Gateway answered. */
  readonly code: string | undefined;
  /** The field at fault for a 400, as a dotted path (`body.events.3.timestamp`). */
  readonly field: string | undefined;
  /** What `Retry-After` asked for, in milliseconds, when the answer carried one. */
  readonly retryAfterMs: number | undefined;
  /** The answer's body as received (parsed JSON, or text when it was not JSON). */
  readonly body: unknown;

  constructor(
    status: number,
    message: string,
    details: { code?: string; field?: string; retryAfterMs?: number; body?: unknown } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = details.code;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
  }
}

/** The request did not get an answer: connection refused or reset, DNS failure, or the request timed out. */
export class MeteringNetworkError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or
 * unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
