import type { paths } from './api-types.ts';
import { MeteringApiError, MeteringNetworkError, parseRetryAfter } from './errors.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** `POST /v1/usage`: the request body (1 to 1,000 events, at most 1,000,000 bytes). */
export type UsageRequest = Json<paths['/v1/usage']['post']['requestBody']>;
/** One usage event. */
export type UsageEvent = UsageRequest['events'][number];
/** The 202 answer of `POST /v1/usage`: counts and a result per event. */
export type UsageAnswer = Json<paths['/v1/usage']['post']['responses']['202']>;
/** One event's result in a usage answer. */
export type UsageEventResult = UsageAnswer['results'][number];
export type Subscription = Json<paths['/v1/subscriptions/{subscriptionId}']['get']['responses']['200']>;
export type Budget = Json<paths['/v1/subscriptions/{subscriptionId}/budget']['get']['responses']['200']>;
export type BudgetRequest = Json<NonNullable<paths['/v1/subscriptions/{subscriptionId}/budget']['put']['requestBody']>>;
export type SubscriptionUsage = Json<paths['/v1/subscriptions/{subscriptionId}/usage']['get']['responses']['200']>;
export type SubscriptionUsageQuery = NonNullable<
  paths['/v1/subscriptions/{subscriptionId}/usage']['get']['parameters']['query']
>;

export interface MeteringClientOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com` or `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /** An API key (`mmk_…`); sending usage needs a publisher key. */
  readonly apiKey: string;
  /** Time allowed for one request, answer included (default 30 s); a request taking longer fails as a network error. */
  readonly timeoutMs?: number;
  /** The fetch to use (default: the global one of Node 20+). */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  /** `Idempotency-Key` header: the API answers a repeat of the same request with the first answer. */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

/** The API's routes as typed methods. Each method sends one request; retries are the caller's (or the batcher's). */
export interface MeteringClient {
  /**
   * Sends up to 1,000 usage events in one request (publisher key). Most apps should use `createUsageBatcher`
   * instead, which batches single events, gives them ids and retries safely.
   * @throws MeteringApiError for an answer other than 202; MeteringNetworkError when no answer came.
   */
  postUsage(events: readonly UsageEvent[], options?: RequestOptions): Promise<UsageAnswer>;
  getSubscription(subscriptionId: string, options?: RequestOptions): Promise<Subscription>;
  getBudget(subscriptionId: string, options?: RequestOptions): Promise<Budget>;
  putBudget(subscriptionId: string, budget: BudgetRequest, options?: RequestOptions): Promise<Budget>;
  /** Usage and money by month and dimension (`GET /v1/subscriptions/{id}/usage`), the current month last. */
  getUsage(
    subscriptionId: string,
    query?: SubscriptionUsageQuery,
    options?: RequestOptions,
  ): Promise<SubscriptionUsage>;
  /**
   * Sends `body` (already JSON text) as is: the batcher uses it so that a retry sends the very same bytes under the
   * same `Idempotency-Key` (the API answers 422 to a key reused with another body).
   */
  sendJson<T>(method: string, path: string, body: string | undefined, options?: RequestOptions): Promise<T>;
}

/** A client of the metering API authenticated with an API key. */
export function createMeteringClient(options: MeteringClientOptions): MeteringClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!options.apiKey) throw new TypeError('apiKey is empty: pass an API key (mmk_…), e.g. from your secret store.');

  async function sendJson<T>(method: string, path: string, body: string | undefined, request: RequestOptions = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${path}`, { method, headers, body, signal });
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted) throw error;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describe(error);
      throw new MeteringNetworkError(`${method} ${path} failed: ${reason}`, { cause: error });
    }
    const parsed = parseBody(text);
    if (response.ok) return parsed as T;
    throw apiError(response, parsed, `${method} ${path}`);
  }

  const subscriptionPath = (id: string) => `/v1/subscriptions/${encodeURIComponent(id)}`;
  return {
    sendJson,
    postUsage: (events, request) => sendJson('POST', '/v1/usage', JSON.stringify({ events }), request),
    getSubscription: (id, request) => sendJson('GET', subscriptionPath(id), undefined, request),
    getBudget: (id, request) => sendJson('GET', `${subscriptionPath(id)}/budget`, undefined, request),
    putBudget: (id, budget, request) =>
      sendJson('PUT', `${subscriptionPath(id)}/budget`, JSON.stringify(budget), request),
    getUsage: (id, query = {}, request) => {
      const search = new URLSearchParams(
        Object.entries(query).flatMap(([name, value]): [string, string][] =>
          value === undefined ? [] : [[name, String(value)]],
        ),
      ).toString();
      return sendJson('GET', `${subscriptionPath(id)}/usage${search ? `?${search}` : ''}`, undefined, request);
    },
  };
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Our functions answer `{ error: { code, message, field? } }`; API Gateway itself answers `{ message }`. */
function apiError(response: Response, body: unknown, what: string): MeteringApiError {
  const record = (typeof body === 'object' && body !== null ? body : {}) as {
    error?: { code?: string; message?: string; field?: string };
    message?: string;
  };
  const message =
    record.error?.message ??
    record.message ??
    (typeof body === 'string' && body ? body : `${what} answered ${response.status} ${response.statusText}`);
  return new MeteringApiError(response.status, message, {
    code: record.error?.code,
    field: record.error?.field,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    body,
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message} (${cause.code})` : error.message;
}
