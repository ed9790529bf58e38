/**
 * What every call to Microsoft's marketplace APIs shares, whichever API it is (reference/marketplace-api.md §0, §1.1):
 * the base URL and `api-version`, the bearer token, the `x-ms-*` ids, TLS, retries within a time budget, one log line
 * per call, the caller's `onOutcome`, failures turned into the port's errors and lenient parsing of the answer.
 * `FulfillmentApiClient` and `MeteringApiClient` send their operations through one `MarketplaceHttpClient`.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { TokenCredential } from '@azure/identity';
import axios, {
  type AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import axiosRetry from 'axios-retry';
import type * as z from 'zod';
import { logger as powertoolsLogger } from '#shared/observability.ts';
import type { MarketplaceCallOptions } from '#shared/use-cases/ports/marketplace.ts';
import type { MarketplaceCallInfo } from '#shared/use-cases/ports/marketplace-errors.ts';
import { AccessTokenCache, MARKETPLACE_SCOPE } from './access-token-cache.ts';
import { CallContext, contextOf } from './marketplace-call-context.ts';
import { marketplaceErrorOf, unusableBodyError } from './marketplace-error-mapping.ts';
import { jsonBody } from './marketplace-schemas.ts';
import { attemptTimeout, DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './retry-policy.ts';
import { trustedCas } from './trusted-certificates.ts';

/** Microsoft's production endpoint for both APIs (§0). */
export const DEFAULT_MARKETPLACE_BASE_URL = 'https://marketplaceapi.microsoft.com/api';
/** The only api-version of both OpenAPI specs (§0); sent on every call. */
export const MARKETPLACE_API_VERSION = '2018-08-31';

/** What the client logs through; the Powertools `logger` fits. */
export interface MarketplaceLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** How to reach and authenticate to the marketplace, how long to retry, where to log. */
export interface MarketplaceHttpClientOptions {
  /** `createMarketplaceCredential`'s, or any `@azure/identity` credential (same `TokenCredential` interface). */
  readonly credential: TokenCredential;
  /** Names the credential in token errors (`secret`, `certificate`, `assertion`); and the app it is for. */
  readonly credentialKind?: string;
  readonly tenantId?: string;
  readonly clientId?: string;
  /** Default `https://marketplaceapi.microsoft.com/api`; the emulator's `baseUrl` in tests and local mode. */
  readonly baseUrl?: string;
  /** Partial overrides of `DEFAULT_RETRY_POLICY`. */
  readonly retry?: Partial<RetryPolicy>;
  /** Default: the Powertools logger of `shared/observability.ts`. */
  readonly logger?: MarketplaceLogger;
  /** PEM of an extra CA to trust for the API's TLS certificate (the emulator's self-signed one). */
  readonly caCertificatePem?: string;
  /** Refresh the token this long before expiry; default 5 min. */
  readonly tokenRefreshMarginMs?: number;
  /** Clock and randomness, for tests. */
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * Sends marketplace calls.
 *
 * Every call carries `api-version=2018-08-31`, a bearer token for scope `20e940b3-…/.default`, a new
 * `x-ms-requestid` per HTTP attempt and one `x-ms-correlationid` per logical call (the caller's, or a new one), and is
 * logged once with its outcome (operation, HTTP status, duration, attempts, request and correlation ids): the ids
 * Microsoft support asks for (§1.1).
 *
 * Retries (see `RetryPolicy`, default 5 attempts within 30 s): 429, 5xx, timeouts and connection errors, with
 * full-jitter exponential backoff and `Retry-After` honoured; never another 4xx.
 */
export class MarketplaceHttpClient {
  /** The API root, always ending in `/`. */
  readonly baseUrl: URL;
  private readonly http: AxiosInstance;
  private readonly policy: RetryPolicy;
  private readonly logger: MarketplaceLogger;
  private readonly tokens: AccessTokenCache;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: MarketplaceHttpClientOptions) {
    const base = options.baseUrl ?? DEFAULT_MARKETPLACE_BASE_URL;
    // A trailing slash makes relative paths resolve under `/api/` instead of replacing its last segment.
    this.baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.logger = options.logger ?? powertoolsLogger;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.tokens = new AccessTokenCache(options.credential, {
      scope: MARKETPLACE_SCOPE,
      credentialKind: options.credentialKind,
      tenantId: options.tenantId,
      clientId: options.clientId,
      refreshMarginMs: options.tokenRefreshMarginMs,
      now: this.now,
    });
    this.http = axios.create({
      // Keep-alive: a warm Lambda reuses the TLS connection. A reused socket the server closed gives ECONNRESET,
      // which is retried. TLS 1.2 minimum is Microsoft's requirement (§0).
      httpsAgent: new https.Agent({
        keepAlive: true,
        minVersion: 'TLSv1.2',
        ...(options.caCertificatePem ? { ca: trustedCas(options.caCertificatePem) } : {}),
      }),
      // The API does not redirect; following one would also carry the bearer token elsewhere.
      maxRedirects: 0,
      transitional: { clarifyTimeoutError: true },
      headers: { accept: 'application/json' },
    });
    this.http.interceptors.request.use(async (config) => this.prepareAttempt(config));
    axiosRetry(this.http, {
      retries: Math.max(0, this.policy.maxAttempts - 1),
      // Each attempt gets its own timeout, set in prepareAttempt from the budget left.
      shouldResetTimeout: true,
      retryCondition: (error) => this.shouldRetry(error),
      retryDelay: (_retry, error) => contextOf(error.config)?.nextDelayMs ?? 0,
      onRetry: (retry, error, config) => {
        const context = contextOf(config);
        this.logger.warn('Marketplace call failed; retrying', {
          operation: context?.operation,
          attempt: retry,
          status: error.response?.status,
          errorCode: error.code,
          delayMs: context?.nextDelayMs,
          requestId: context?.requestId,
          correlationId: context?.correlationId,
        });
      },
    });
  }

  /**
   * The URL of `path` (relative to the API root, or absolute) with the `api-version` every call carries (§0) and the
   * defined `params`.
   */
  url(path: string, params: Record<string, string | undefined> = {}): string {
    const url = new URL(path, this.baseUrl);
    url.searchParams.set('api-version', MARKETPLACE_API_VERSION);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  /**
   * Sends one logical call (with retries), logs its outcome and tells the caller's `onOutcome`.
   * @throws MarketplaceError (a subclass where the status says more; see `marketplaceErrorOf`).
   */
  async call(
    operation: string,
    options: MarketplaceCallOptions | undefined,
    request: AxiosRequestConfig,
  ): Promise<AxiosResponse> {
    const context = new CallContext(operation, options?.correlationId ?? randomUUID(), this.now());
    try {
      const response = await this.http.request({
        ...request,
        ...(options?.signal ? { signal: options.signal } : {}),
        marketplaceCall: context,
      });
      this.logger.info('Marketplace call succeeded', this.outcome(context, response.status));
      report(options, context.info(response.status));
      return response;
    } catch (error) {
      const failure = marketplaceErrorOf(error, context);
      this.logger.warn('Marketplace call failed', {
        ...this.outcome(context, failure.status),
        error: failure.name,
        code: failure.code,
        // Not `message`: Powertools' logger reserves that key for the log line's own text and drops the attribute.
        detail: failure.message,
      });
      report(options, { ...context.info(failure.status), requestId: failure.requestId || context.requestId });
      throw failure;
    }
  }

  /**
   * The answer's body read with one of the lenient schemas of `marketplace-schemas.ts` (an empty body reads as `{}`).
   * @throws MarketplaceError when the body lacks what the schema requires.
   */
  parse<T>(response: AxiosResponse, schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(jsonBody(response.data) ?? {});
    if (!parsed.success) {
      throw unusableBodyError(contextOf(response.config)?.operation, callInfoOf(response), parsed.error.issues);
    }
    return parsed.data;
  }

  private outcome(context: CallContext, status: number | undefined): Record<string, unknown> {
    return {
      operation: context.operation,
      status,
      durationMs: this.now() - context.startedAt,
      attempts: context.attempts,
      requestId: context.requestId,
      requestIds: context.requestIds,
      correlationId: context.correlationId,
    };
  }

  /** Runs before every attempt, retries included: fresh request id, current token, timeout from the budget left. */
  private async prepareAttempt(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const context = contextOf(config);
    if (!context) {
      return config;
    }
    context.attempts += 1;
    context.requestId = randomUUID();
    context.requestIds.push(context.requestId);
    config.timeout = attemptTimeout(this.policy, context.startedAt, this.now());
    const token = await this.tokens.token(context.operation);
    // Lower-case names, as Microsoft documents them (§1.1).
    config.headers.set('authorization', `Bearer ${token}`);
    config.headers.set('x-ms-requestid', context.requestId);
    config.headers.set('x-ms-correlationid', context.correlationId);
    config.headers.set('content-type', 'application/json');
    return config;
  }

  /** axios-retry's retryCondition: retryable, and the wait still fits in the time budget. */
  private shouldRetry(error: AxiosError): boolean {
    const context = contextOf(error.config);
    if (!context) {
      return false;
    }
    const decision = decideRetry(error, context.attempts, context.startedAt, this.policy, this.random, this.now());
    if (!decision.retry) {
      if (decision.stopReason !== undefined) context.stopReason = decision.stopReason;
      return false;
    }
    context.nextDelayMs = decision.delayMs;
    return true;
  }
}

/** The ids of the call an answer belongs to, for an error raised after the call itself succeeded. */
export function callInfoOf(response: AxiosResponse, operation?: string): MarketplaceCallInfo {
  return (
    contextOf(response.config)?.info(response.status) ?? {
      operation: operation ?? 'unknown',
      status: response.status,
    }
  );
}

/** Tells the caller's `onOutcome` (the audit trail) how a call ended; its failure never fails the call. */
function report(options: MarketplaceCallOptions | undefined, info: MarketplaceCallInfo): void {
  try {
    options?.onOutcome?.({
      operation: info.operation,
      status: info.status,
      requestId: info.requestId || undefined,
      correlationId: info.correlationId,
      attempts: info.attempts,
    });
  } catch {
    // An observer's bug must not turn a successful marketplace call into a failure.
  }
}
