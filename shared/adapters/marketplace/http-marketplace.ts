/**
 * The `Marketplace` port over HTTP: Microsoft's SaaS Fulfillment API v2 and Metering API
 * (reference/marketplace-api.md §1, §4), with axios, axios-retry and an `@azure/identity` credential.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { TokenCredential } from '@azure/identity';
import axios, {
  type AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
  isAxiosError,
} from 'axios';
import axiosRetry from 'axios-retry';
import type { z } from 'zod';
import { ValidationError } from '#shared/domain/errors.ts';
import { logger as powertoolsLogger } from '#shared/observability.ts';
import {
  type AcceptedUsageEvent,
  type ActivateSubscriptionRequest,
  type AvailablePlan,
  type BatchUsageEventResult,
  MAX_USAGE_EVENTS_PER_BATCH,
  type Marketplace,
  type MarketplaceCallOptions,
  type MarketplaceSubscription,
  type OperationReference,
  type OperationUpdateStatus,
  type ReportedUsage,
  type ResolvedSubscription,
  type SaasOperation,
  type SubscriptionPage,
  type UsageEvent,
  type UsageEventsQuery,
} from '#shared/use-cases/ports/marketplace.ts';
import {
  MarketplaceBadRequestError,
  type MarketplaceCallInfo,
  MarketplaceConflictError,
  MarketplaceError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceUnavailableError,
  UsageEventConflictError,
} from '#shared/use-cases/ports/marketplace-errors.ts';
import { AccessTokenCache, MARKETPLACE_SCOPE } from './access-token-cache.ts';
import {
  acceptedUsageEventSchema,
  availablePlansSchema,
  batchUsageEventResultSchema,
  errorBodySchema,
  jsonBody,
  operationSchema,
  operationsSchema,
  reportedUsageListSchema,
  resolvedSubscriptionSchema,
  subscriptionPageSchema,
  subscriptionSchema,
} from './marketplace-schemas.ts';
import { DEFAULT_RETRY_POLICY, isRetryableError, type RetryPolicy, retryDelay } from './retry-policy.ts';

export {
  MarketplaceBadRequestError,
  MarketplaceConflictError,
  MarketplaceError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceTokenError,
  MarketplaceUnavailableError,
  OperationWaitTimeoutError,
  UsageEventConflictError,
} from '#shared/use-cases/ports/marketplace-errors.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';

/** Microsoft's production endpoint for both APIs (§0). */
export const DEFAULT_MARKETPLACE_BASE_URL = 'https://marketplaceapi.microsoft.com/api';
/** The only api-version of both OpenAPI specs (§0); sent on every call. */
export const MARKETPLACE_API_VERSION = '2018-08-31';

/** What the client logs through; the Powertools `logger` fits. */
export interface MarketplaceLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface HttpMarketplaceOptions {
  /** Any `@azure/identity` credential; see `createMarketplaceCredential`. */
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

/** Per-call bookkeeping. A class instance, because axios deep-copies plain objects in the config on every attempt. */
class CallContext {
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
    /** Set by `HttpMarketplace` on every request. */
    marketplaceCall?: unknown;
  }
}

function contextOf(config: AxiosRequestConfig | undefined): CallContext | undefined {
  return config?.marketplaceCall instanceof CallContext ? config.marketplaceCall : undefined;
}

/**
 * `Marketplace` over Microsoft's REST APIs.
 *
 * Every call carries `api-version=2018-08-31`, a bearer token for scope `20e940b3-…/.default`, a new
 * `x-ms-requestid` per HTTP attempt and one `x-ms-correlationid` per logical call (the caller's, or a new one), and is
 * logged once with its outcome (operation, HTTP status, duration, attempts, request and correlation ids): the ids
 * Microsoft support asks for (§1.1).
 *
 * Retries (see `RetryPolicy`, default 5 attempts within 30 s): 429, 5xx, timeouts and connection errors, with
 * full-jitter exponential backoff and `Retry-After` honoured; never another 4xx.
 */
export class HttpMarketplace implements Marketplace {
  private readonly http: AxiosInstance;
  private readonly baseUrl: URL;
  private readonly policy: RetryPolicy;
  private readonly logger: MarketplaceLogger;
  private readonly tokens: AccessTokenCache;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: HttpMarketplaceOptions) {
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

  // ----- Fulfillment API v2 (§1.2) ------------------------------------------------------------------------------

  async resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription> {
    const response = await this.call('resolve', options, {
      method: 'POST',
      url: this.url('saas/subscriptions/resolve'),
      // §1.1: the token goes URL-decoded in this header; the caller decodes it exactly once (§6.2).
      headers: { 'x-ms-marketplace-token': marketplaceToken },
    });
    return this.parse(response, resolvedSubscriptionSchema);
  }

  async activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    const body = { planId: request.planId, ...(request.quantity === undefined ? {} : { quantity: request.quantity }) };
    try {
      await this.call('activate', options, {
        method: 'POST',
        url: this.subscriptionUrl(subscriptionId, 'activate'),
        data: body,
      });
    } catch (error) {
      // A retried Activate whose first answer was lost answers 400 "already Subscribed" (§1.2 #2). If the
      // subscription is now Subscribed on the plan asked for, the activation did happen: report success.
      if (error instanceof MarketplaceBadRequestError && (error.attempts ?? 1) > 1) {
        const subscription = await this.getSubscription(subscriptionId, options).catch(() => undefined);
        if (subscription?.saasSubscriptionStatus === 'Subscribed' && subscription.planId === request.planId) {
          return;
        }
      }
      throw error;
    }
  }

  async getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription> {
    const response = await this.call('getSubscription', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId),
    });
    return this.parse(response, subscriptionSchema);
  }

  async *listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription> {
    // One correlation id for every page: they are one logical operation.
    const pageOptions = { ...options, correlationId: options?.correlationId ?? randomUUID() };
    let nextLink: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.listSubscriptionsPage(nextLink, pageOptions);
      yield* page.subscriptions;
      nextLink = page.nextLink;
      // A server that hands out the same link again would otherwise loop forever.
      if (nextLink !== undefined && seen.has(nextLink)) {
        throw new MarketplaceError(`List Subscriptions returned the same @nextLink twice (${nextLink})`, {
          operation: 'listSubscriptions',
          correlationId: pageOptions.correlationId,
        });
      }
      if (nextLink !== undefined) seen.add(nextLink);
    } while (nextLink !== undefined);
  }

  async listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage> {
    const url = nextLink === undefined ? this.url('saas/subscriptions') : this.nextLinkUrl(nextLink, options);
    const response = await this.call('listSubscriptions', options, { method: 'GET', url });
    // §1.2 #3: "With no subscriptions the body is empty."
    return this.parse(response, subscriptionPageSchema);
  }

  async listAvailablePlans(
    subscriptionId: string,
    planId?: string,
    options?: MarketplaceCallOptions,
  ): Promise<AvailablePlan[]> {
    const response = await this.call('listAvailablePlans', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, 'listAvailablePlans', planId === undefined ? {} : { planId }),
    });
    return this.parse(response, availablePlansSchema).plans;
  }

  changePlan(subscriptionId: string, planId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    // One field per call: plan or quantity, never both (§1.2).
    return this.startOperation('changePlan', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId),
      data: { planId },
    });
  }

  changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    return this.startOperation('changeQuantity', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId),
      data: { quantity },
    });
  }

  deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.startOperation('deleteSubscription', options, {
      method: 'DELETE',
      url: this.subscriptionUrl(subscriptionId),
    });
  }

  async listOutstandingOperations(subscriptionId: string, options?: MarketplaceCallOptions): Promise<SaasOperation[]> {
    const response = await this.call('listOutstandingOperations', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, 'operations'),
    });
    return this.parse(response, operationsSchema).operations;
  }

  async getOperation(
    subscriptionId: string,
    operationId: string,
    options?: MarketplaceCallOptions,
  ): Promise<SaasOperation> {
    const response = await this.call('getOperation', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, `operations/${encodeURIComponent(operationId)}`),
    });
    return this.parse(response, operationSchema);
  }

  async updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    await this.call('updateOperation', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId, `operations/${encodeURIComponent(operationId)}`),
      data: { status },
    });
  }

  // ----- Metering API (§4) ----------------------------------------------------------------------------------------
  //
  // These POSTs are not idempotent in HTTP terms, yet they are retried like the rest on purpose: the marketplace
  // accepts one event per resource + dimension + UTC hour (§4.3) and answers any further one with 409 / `Duplicate`
  // carrying the accepted event. So when an answer is lost (timeout, reset, 5xx after processing), the retry cannot
  // bill twice: it comes back `Duplicate`, and the caller counts a Duplicate whose `acceptedMessage.quantity` equals
  // its own as success. Not retrying would instead leave the hour unreported until the next run.

  async postUsageEvent(event: UsageEvent, options?: MarketplaceCallOptions): Promise<AcceptedUsageEvent> {
    const response = await this.call('postUsageEvent', options, {
      method: 'POST',
      url: this.url('usageEvent'),
      data: usageEventBody(event),
    });
    return this.parse(response, acceptedUsageEventSchema);
  }

  async postBatchUsageEvents(
    events: readonly UsageEvent[],
    options?: MarketplaceCallOptions,
  ): Promise<BatchUsageEventResult> {
    if (events.length < 1 || events.length > MAX_USAGE_EVENTS_PER_BATCH) {
      // §4.1: minItems 1, maxItems 25; Microsoft answers 400 otherwise. Fail before spending a call.
      throw new ValidationError(
        `A usage batch holds 1 to ${MAX_USAGE_EVENTS_PER_BATCH} events, got ${events.length}: split it`,
        'events',
      );
    }
    const response = await this.call('postBatchUsageEvents', options, {
      method: 'POST',
      url: this.url('batchUsageEvent'),
      data: { request: events.map(usageEventBody) },
    });
    return this.parse(response, batchUsageEventResultSchema);
  }

  async getUsageEvents(query: UsageEventsQuery, options?: MarketplaceCallOptions): Promise<ReportedUsage[]> {
    const params: Record<string, string | undefined> = {
      usageStartDate: query.usageStartDate,
      // Capital U in both the doc and the spec (§4.2).
      UsageEndDate: query.usageEndDate,
      offerId: query.offerId,
      planId: query.planId,
      dimension: query.dimension,
      azureSubscriptionId: query.azureSubscriptionId,
      reconStatus: query.reconStatus,
    };
    const response = await this.call('getUsageEvents', options, {
      method: 'GET',
      url: this.url('usageEvents', params),
    });
    return this.parse(response, reportedUsageListSchema);
  }

  // ----- plumbing -------------------------------------------------------------------------------------------------

  private url(path: string, params: Record<string, string | undefined> = {}): string {
    const url = new URL(path, this.baseUrl);
    url.searchParams.set('api-version', MARKETPLACE_API_VERSION);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  private subscriptionUrl(
    subscriptionId: string,
    suffix?: string,
    params?: Record<string, string | undefined>,
  ): string {
    const path = `saas/subscriptions/${encodeURIComponent(subscriptionId)}${suffix ? `/${suffix}` : ''}`;
    return this.url(path, params);
  }

  /** `@nextLink` is a full URL (§1.2 #3); follow it only on our API's origin, so the bearer token goes nowhere else. */
  private nextLinkUrl(nextLink: string, options?: MarketplaceCallOptions): string {
    let url: URL;
    try {
      url = new URL(nextLink, this.baseUrl);
    } catch (cause) {
      throw new MarketplaceError(
        `List Subscriptions returned an unreadable @nextLink: ${nextLink}`,
        { operation: 'listSubscriptions', correlationId: options?.correlationId },
        { cause },
      );
    }
    if (url.origin !== this.baseUrl.origin) {
      throw new MarketplaceError(
        `List Subscriptions returned a @nextLink on another host (${url.origin}, expected ${this.baseUrl.origin}); not followed`,
        { operation: 'listSubscriptions', correlationId: options?.correlationId },
      );
    }
    url.searchParams.set('api-version', MARKETPLACE_API_VERSION);
    return url.toString();
  }

  private async startOperation(
    operation: string,
    options: MarketplaceCallOptions | undefined,
    request: AxiosRequestConfig,
  ): Promise<OperationReference> {
    const response = await this.call(operation, options, request);
    // §1.2 #6–8: 202 + `Operation-Location: …/saas/subscriptions/<subId>/operations/<opId>?api-version=…`.
    const location = response.headers['operation-location'];
    const operationId = typeof location === 'string' ? operationIdOf(location) : undefined;
    if (typeof location !== 'string' || operationId === undefined) {
      throw new MarketplaceError(
        `Marketplace answered ${operation} with ${response.status} but no usable Operation-Location header ` +
          `(${String(location)}); list the subscription's outstanding operations to find it`,
        contextOf(response.config)?.info(response.status) ?? { operation, status: response.status },
      );
    }
    return { operationId, operationLocation: location };
  }

  /** Sends one logical call (with retries), logs its outcome, and turns failures into `MarketplaceError`s. */
  private async call(
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
      const failure = this.toMarketplaceError(error, context);
      this.logger.warn('Marketplace call failed', {
        ...this.outcome(context, failure.status),
        error: failure.name,
        code: failure.code,
        message: failure.message,
      });
      report(options, { ...context.info(failure.status), requestId: failure.requestId || context.requestId });
      throw failure;
    }
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
    const remaining = context.startedAt + this.policy.totalBudgetMs - this.now();
    config.timeout = Math.max(1, Math.min(this.policy.attemptTimeoutMs, remaining));
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
    if (!context || !isRetryableError(error)) {
      return false;
    }
    const now = this.now();
    const delay = retryDelay(context.attempts, error, this.policy, this.random, now);
    const elapsed = now - context.startedAt;
    if (elapsed + delay >= this.policy.totalBudgetMs) {
      context.stopReason =
        `the next retry (after ${delay} ms${error.response?.headers?.['retry-after'] ? ', per Retry-After' : ''}) ` +
        `would exceed the ${this.policy.totalBudgetMs} ms budget`;
      return false;
    }
    context.nextDelayMs = delay;
    return true;
  }

  private toMarketplaceError(error: unknown, context: CallContext): MarketplaceError {
    if (error instanceof MarketplaceError) {
      return error;
    }
    if (!isAxiosError(error)) {
      return new MarketplaceError(`Marketplace ${context.operation} failed: ${String(error)}`, context.info(), {
        cause: error,
      });
    }
    const response = error.response;
    if (!response) {
      const reason =
        error.code === 'ERR_CANCELED'
          ? 'was cancelled'
          : `could not reach the marketplace (${error.code ?? error.message})`;
      const message =
        `Marketplace ${context.operation} ${reason} after ${context.attempts} attempt(s)` +
        (context.stopReason ? `; ${context.stopReason}` : '');
      return error.code === 'ERR_CANCELED'
        ? new MarketplaceError(message, context.info(), { cause: error })
        : new MarketplaceUnavailableError(message, { ...context.info(), attempts: context.attempts }, { cause: error });
    }
    const status = response.status;
    const body = errorBodySchema.safeParse(jsonBody(response.data));
    const parsed = body.success ? body.data : { details: [] };
    const info = context.info(status, parsed.code);
    const said = parsed.message ? `: ${parsed.message}` : '';
    const ids = `(request id ${context.requestId}, correlation id ${context.correlationId})`;
    if (status === 400) {
      const details = parsed.details
        .map((detail) => [detail.target, detail.message ?? detail.code].filter(Boolean).join(': '))
        .join('; ');
      return new MarketplaceBadRequestError(
        `Marketplace refused ${context.operation} (400 ${parsed.code ?? 'BadRequest'})${said}${details ? ` [${details}]` : ''} ${ids}`,
        { ...info, target: parsed.target, details: parsed.details },
        { cause: error },
      );
    }
    if (status === 401 || status === 403) {
      return new MarketplaceForbiddenError(
        `Marketplace answered ${status} to ${context.operation}${said}. The access token was not accepted: in Partner ` +
          "Center, check that the offer's Technical configuration page lists this app's Entra tenant id and " +
          `application (client) id, that the subscription belongs to an offer of that publisher, and that the token ` +
          `is requested for the marketplace resource (scope ${MARKETPLACE_SCOPE}) ${ids}`,
        info,
        { cause: error },
      );
    }
    if (status === 404) {
      return new MarketplaceNotFoundError(`Marketplace ${context.operation}: not found${said} ${ids}`, info, {
        cause: error,
      });
    }
    if (status === 409 && context.operation === 'postUsageEvent') {
      const accepted = parsed.acceptedMessage;
      return new UsageEventConflictError(
        `An event was already accepted for this resource, dimension and hour` +
          (accepted ? ` (usageEventId ${accepted.usageEventId ?? '?'}, quantity ${accepted.quantity ?? '?'})` : '') +
          ` ${ids}`,
        { ...info, acceptedMessage: accepted },
        { cause: error },
      );
    }
    if (status === 409) {
      return new MarketplaceConflictError(`Marketplace ${context.operation}: conflict${said} ${ids}`, info, {
        cause: error,
      });
    }
    if (status === 429 || status >= 500) {
      return new MarketplaceUnavailableError(
        `Marketplace ${context.operation} kept failing (last answer ${status}${said}) after ${context.attempts} ` +
          `attempt(s)${context.stopReason ? `; ${context.stopReason}` : ''}; try again later ${ids}`,
        { ...info, attempts: context.attempts },
        { cause: error },
      );
    }
    return new MarketplaceError(`Marketplace answered ${status} to ${context.operation}${said} ${ids}`, info, {
      cause: error,
    });
  }

  private parse<T>(response: AxiosResponse, schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(jsonBody(response.data) ?? {});
    if (!parsed.success) {
      const context = contextOf(response.config);
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new MarketplaceError(
        `Marketplace answered ${context?.operation ?? 'a call'} with a body we cannot use: ${problems.join('; ')}`,
        context?.info(response.status) ?? { operation: 'unknown', status: response.status },
      );
    }
    return parsed.data;
  }
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

/** The body Microsoft expects for one event; only the documented fields are sent. */
function usageEventBody(event: UsageEvent): Record<string, unknown> {
  return {
    resourceId: event.resourceId,
    quantity: event.quantity,
    dimension: event.dimension,
    effectiveStartTime: event.effectiveStartTime,
    planId: event.planId,
  };
}

/** Node's bundled roots plus `pem`: an explicit `ca` list replaces the defaults, so they are added back. */
export function trustedCas(pem: string): string[] {
  return [...rootCertificates, pem];
}

/** The operation id: the last path segment of `Operation-Location`. */
export function operationIdOf(location: string): string | undefined {
  let path: string;
  try {
    path = new URL(location, 'https://placeholder.invalid').pathname;
  } catch {
    return undefined;
  }
  const match = /\/operations\/([^/]+)\/?$/.exec(path);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}
