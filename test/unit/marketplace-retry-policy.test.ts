import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it } from 'vitest';
import { attemptTimeout, decideRetry, type RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';

const policy: RetryPolicy = {
  maxAttempts: 5,
  totalBudgetMs: 10_000,
  baseDelayMs: 1_000,
  maxDelayMs: 8_000,
  attemptTimeoutMs: 3_000,
};
const STARTED_AT = 1_000_000;
/** `random()` at its top: the full backoff ceiling. */
const highest = () => 0.999_999;

function answered(status: number, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: {} } as InternalAxiosRequestConfig;
  const response = { status, statusText: '', headers, data: '', config } as AxiosResponse;
  return new AxiosError(`status ${status}`, AxiosError.ERR_BAD_RESPONSE, config, undefined, response);
}

function networkFailure(code: string): AxiosError {
  return new AxiosError('no answer', code, { headers: {} } as InternalAxiosRequestConfig);
}

describe('the time one attempt may take', () => {
  it('is the per-attempt timeout while the budget allows it', () => {
    expect(attemptTimeout(policy, STARTED_AT, STARTED_AT + 1_000)).toBe(3_000);
  });

  it('shrinks to what is left of the budget', () => {
    expect(attemptTimeout(policy, STARTED_AT, STARTED_AT + 8_500)).toBe(1_500);
  });

  it('never reaches 0, which axios reads as no timeout at all', () => {
    expect(attemptTimeout(policy, STARTED_AT, STARTED_AT + 12_000)).toBe(1);
  });
});

describe('the decision to retry a failed attempt', () => {
  it('retries a 503 after the jittered backoff of the attempt', () => {
    const decision = decideRetry(answered(503), 2, STARTED_AT, policy, highest, STARTED_AT + 100);

    expect(decision).toEqual({ retry: true, delayMs: 1_999 });
  });

  it('waits at least as long as Retry-After asks', () => {
    const decision = decideRetry(answered(429, { 'retry-after': '4' }), 1, STARTED_AT, policy, () => 0, STARTED_AT);

    expect(decision).toEqual({ retry: true, delayMs: 4_000 });
  });

  it('retries a reset connection', () => {
    expect(decideRetry(networkFailure('ECONNRESET'), 1, STARTED_AT, policy, () => 0, STARTED_AT).retry).toBe(true);
  });

  it('does not retry a 400 nor a cancelled call, and gives no budget reason for it', () => {
    expect(decideRetry(answered(400), 1, STARTED_AT, policy, highest, STARTED_AT)).toEqual({ retry: false });
    expect(decideRetry(networkFailure('ERR_CANCELED'), 1, STARTED_AT, policy, highest, STARTED_AT)).toEqual({
      retry: false,
    });
  });

  it('stops, saying why, when the wait would end past the budget', () => {
    const decision = decideRetry(
      answered(429, { 'retry-after': '5' }),
      1,
      STARTED_AT,
      policy,
      () => 0,
      STARTED_AT + 6_000,
    );

    expect(decision).toEqual({
      retry: false,
      stopReason: 'the next retry (after 5000 ms, per Retry-After) would exceed the 10000 ms budget',
    });
  });
});
