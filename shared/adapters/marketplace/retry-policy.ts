import type { AxiosError } from 'axios';

/**
 * How `HttpMarketplace` retries. Microsoft publishes no rate limits for this API (reference/marketplace-api.md §4.3,
 * §7); its own MONA client retries 429 and 5xx with exponential backoff, which is what this does, bounded twice so a
 * Lambda never spends its whole timeout waiting on Microsoft.
 */
export interface RetryPolicy {
  /** Total HTTP attempts per call, the first included. */
  readonly maxAttempts: number;
  /** Wall-clock budget for the whole call, attempts and waits included; no retry starts that would exceed it. */
  readonly totalBudgetMs: number;
  /** Backoff base: the wait before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))] ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Timeout of one attempt (shortened to what is left of the budget). */
  readonly attemptTimeoutMs: number;
}

/** Defaults: 5 attempts, 30 s in all, backoff base 500 ms capped at 8 s, 10 s per attempt. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  totalBudgetMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  attemptTimeoutMs: 10_000,
};

/** Network failures worth another attempt: the request may not have reached Microsoft, or its answer was lost. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET', // includes "socket hang up"
  'ECONNREFUSED',
  'ECONNABORTED', // axios' timeout code unless clarifyTimeoutError is set
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/**
 * 429, 5xx, timeouts and connection errors. Never another 4xx: those say the request itself is wrong (or, for 409,
 * already done), and repeating it cannot help. A cancelled call (`ERR_CANCELED`) is never retried.
 */
export function isRetryableError(error: AxiosError): boolean {
  const status = error.response?.status;
  if (status !== undefined) {
    return status === 429 || (status >= 500 && status <= 599);
  }
  if (error.code === 'ERR_CANCELED') {
    return false;
  }
  return (error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code)) || /socket hang up/i.test(error.message);
}

/**
 * `Retry-After` in milliseconds: delta-seconds (`"2"`, `"0.5"`) or an HTTP date; undefined when absent or unreadable.
 * A date in the past means 0.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return undefined;
  }
  const text = String(value).trim();
  if (text === '') {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Math.round(Number(text) * 1000);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff for retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retry `retry`: the jittered backoff, but never less than the server's `Retry-After` (the server
 * knows when it will have capacity; retrying earlier only earns another 429).
 */
export function retryDelay(
  retry: number,
  error: AxiosError,
  policy: RetryPolicy,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const backoff = backoffDelay(retry, policy, random);
  const retryAfter = parseRetryAfter(error.response?.headers?.['retry-after'], now);
  return retryAfter === undefined ? backoff : Math.max(backoff, retryAfter);
}

/**
 * The timeout of the next attempt of a call that started at `startedAt`: the per-attempt timeout, shortened to what
 * is left of the call's budget (at least 1 ms, since axios reads 0 as "no timeout").
 */
export function attemptTimeout(policy: RetryPolicy, startedAt: number, now: number): number {
  const remaining = startedAt + policy.totalBudgetMs - now;
  return Math.max(1, Math.min(policy.attemptTimeoutMs, remaining));
}

/** Whether a failed attempt is retried, and after how long; or, when the budget ends it, why not. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly stopReason?: string };

/**
 * Decides on a retry after `attempts` attempts of a call that started at `startedAt`: only a retryable error
 * (`isRetryableError`), and only when the wait (`retryDelay`) still ends within the call's budget.
 */
export function decideRetry(
  error: AxiosError,
  attempts: number,
  startedAt: number,
  policy: RetryPolicy,
  random: () => number,
  now: number,
): RetryDecision {
  if (!isRetryableError(error)) {
    return { retry: false };
  }
  const delay = retryDelay(attempts, error, policy, random, now);
  if (now - startedAt + delay >= policy.totalBudgetMs) {
    return {
      retry: false,
      stopReason:
        `the next retry (after ${delay} ms${error.response?.headers?.['retry-after'] ? ', per Retry-After' : ''}) ` +
        `would exceed the ${policy.totalBudgetMs} ms budget`,
    };
  }
  return { retry: true, delayMs: delay };
}
