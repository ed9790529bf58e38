/**
 * The bookkeeping of one logical marketplace call (all its HTTP attempts): what the HTTP client, the retry hook and
 * the error mapping read and write while the call runs.
 */
import type { AxiosRequestConfig } from 'axios';
import type { MarketplaceCallInfo } from '#shared/use-cases/ports/marketplace-errors.ts';

/** Per-call bookkeeping. A class instance, because axios deep-copies plain objects in the config on every attempt. */
export class CallContext {
  attempts = 0;
  requestId = '';
  readonly requestIds: string[] = [];
  readonly startedAt: number;
  /** Why retrying stopped early, for the error message. */
  stopReason: string | undefined;
  /** The wait chosen in `retryCondition`, used by `retryDelay`. */
  nextDelayMs = 0;

  constructor(
    readonly operation: string,
    readonly correlationId: string,
    now: number,
  ) {
    this.startedAt = now;
  }

  /** The ids and counts a `MarketplaceError` carries. */
  info(status?: number, code?: string): MarketplaceCallInfo {
    return {
      operation: this.operation,
      status,
      requestId: this.requestId,
      correlationId: this.correlationId,
      code,
      attempts: this.attempts,
    };
  }
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Set by `MarketplaceHttpClient` on every request: the `CallContext` of the call the request belongs to. */
    marketplaceCall?: unknown;
  }
}

/** The `CallContext` an axios request (or the response or error it led to) belongs to, if any. */
export function contextOf(config: AxiosRequestConfig | undefined): CallContext | undefined {
  return config?.marketplaceCall instanceof CallContext ? config.marketplaceCall : undefined;
}
