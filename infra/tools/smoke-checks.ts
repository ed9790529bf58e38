import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { checkTestWebhook, type TestWebhookTarget } from '#infra/tools/smoke-test-webhook.ts';
import { MARKETPLACE_APP_ID } from '#shared/adapters/entra/entra-webhook-authenticator.ts';
import { Dec } from '#shared/domain/money.ts';

/**
 * The end-to-end checks of `npm run smoke` (infra/tools/smoke.ts), against any running system: a deployed stack or
 * the local one. Each check is one line of the report; none of them changes data a customer or Microsoft sees:
 *
 * - `health`: `GET /health` with the key answers 200 and names each dependency it reached;
 * - `api key`: the same route without a key answers 401 (the API does not serve data to anonymous callers);
 * - `landing page`: `GET /landing` without a purchase token answers a page or a redirect to sign-in, not a 5xx;
 * - `webhook`: `POST /webhook` unsigned, and with a token that has every claim of Microsoft's but is signed by a key
 *   made up here, both answer 401: Microsoft's tokens come only from Entra, so forgeries must be refused;
 * - `test webhook` (with the stack's table: `--stack` or `--local`): a webhook signed with this run's own key for a
 *   test subscription of its own is applied and read back when the stack accepts test webhooks, and refused when it
 *   does not; refused for any other subscription (infra/tools/smoke-test-webhook.ts, docs/security.md);
 * - `origin guard` (only behind a custom domain): the execute-api host, called directly, answers 403;
 * - `usage ingest`: `POST /v1/usage` for `SMOKE_SUBSCRIPTION_ID`, an id that cannot be a subscription (not a GUID, so
 *   it is refused without asking Microsoft), answers 202 with that event rejected as `unknownSubscription`: the
 *   ingest path up to the subscription lookup works and nothing is counted;
 * - `usage round trip` (only with a test subscription): one event posted for it is read back in its monthly usage
 *   once the queue and the aggregator have counted it. This usage is real: it is reported to Microsoft like any other.
 */

/** Not a GUID, so no subscription can have it: the ingest refuses it as unknown without calling Microsoft. */
export const SMOKE_SUBSCRIPTION_ID = 'smoke-test-not-a-subscription';

/** What the checks need to know about the system under test. */
export interface SmokeTarget {
  /** Base URL of the HTTP API, e.g. the stateless stack's `ApiUrl` output or the local system's. */
  readonly apiUrl: string;
  /** A publisher API key; without one, the checks that need it fail and say how to give one. */
  readonly apiKey?: string;
  /**
   * The publisher's Entra tenant and app ids (the webhook tokens' issuer and audience), so the forged token is right
   * in everything but its signature; made-up GUIDs when unknown.
   */
  readonly entra?: { readonly tenantId: string; readonly clientId: string };
  /**
   * How far the system's clock is ahead of this machine's (the local mode's clock can be moved forward): usage is
   * stamped in the system's time, or it would predate a subscription bought on the system's clock.
   */
  readonly clockOffsetMs?: number;
  /** A subscription whose usage may be counted (and reported to Microsoft), for the usage round trip. */
  readonly testSubscription?: { readonly id: string; readonly dimension: string; readonly quantity: string };
  /** The stack's table and test-webhook mode, for the `test webhook` check (skipped without). */
  readonly testWebhooks?: TestWebhookTarget;
  /**
   * Behind a custom domain, `apiUrl` is the domain's and this is the execute-api URL, which must refuse a direct
   * call (`origin guard`).
   */
  readonly executeApiUrl?: string;
}

export interface CheckResult {
  readonly name: string;
  readonly status: 'ok' | 'fail' | 'skip';
  /** What was seen; for a failure, what to look at or do. */
  readonly detail: string;
}

export interface SmokeOptions {
  readonly fetch?: typeof fetch;
  /** How long the usage round trip waits for the aggregator (default 90 s: a batching window plus a cold start). */
  readonly roundTripTimeoutMs?: number;
  readonly pollIntervalMs?: number;
}

/** Runs every check in order, never throwing: a check that cannot run is a failed line saying why. */
export async function runSmokeChecks(target: SmokeTarget, options: SmokeOptions = {}): Promise<CheckResult[]> {
  const http = new SmokeHttp(target.apiUrl, options.fetch ?? fetch);
  const now = () => new Date(Date.now() + (target.clockOffsetMs ?? 0));
  const checks: [string, () => Promise<Omit<CheckResult, 'name'>>][] = [
    ['health', () => checkHealth(http, target.apiKey)],
    ['api key', () => checkKeyRequired(http)],
    ['landing page', () => checkLandingPage(http)],
    ['webhook', () => checkWebhookRefusesForgeries(http, target.entra)],
    [
      'test webhook',
      () =>
        target.testWebhooks && target.apiKey
          ? checkTestWebhook(http, target.apiKey, target.testWebhooks, now)
          : Promise.resolve(
              target.testWebhooks
                ? fail(NO_KEY)
                : skip("needs the stack's table for its test key: run with --stack <prefix> or --local"),
            ),
    ],
    ['usage ingest', () => checkUsageIngest(http, target.apiKey, now)],
    [
      'usage round trip',
      () =>
        target.testSubscription
          ? checkUsageRoundTrip(http, target.apiKey, target.testSubscription, now, options)
          : Promise.resolve({
              status: 'skip',
              detail: 'no test subscription given (--subscription-id <id> --dimension <id>)',
            }),
    ],
  ];
  const executeApiUrl = target.executeApiUrl;
  if (executeApiUrl) {
    checks.splice(1, 0, ['origin guard', () => checkOriginGuard(new SmokeHttp(executeApiUrl, options.fetch ?? fetch))]);
  }
  const results: CheckResult[] = [];
  for (const [name, check] of checks) {
    try {
      results.push({ name, ...(await check()) });
    } catch (error) {
      results.push({ name, status: 'fail', detail: describeError(error, target.apiUrl) });
    }
  }
  return results;
}

/** One line per check, aligned: `ok    health            table ok, usageQueue ok`. */
export function formatResults(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.name.length));
  const label = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;
  return results.map((result) => `${label[result.status]}  ${result.name.padEnd(width)}  ${result.detail}`).join('\n');
}

const ok = (detail: string) => ({ status: 'ok', detail }) as const;
const skip = (detail: string) => ({ status: 'skip', detail }) as const;
const fail = (detail: string) => ({ status: 'fail', detail }) as const;
const NO_KEY = 'no API key: give a publisher key with --api-key (or SMOKE_API_KEY), or use --stack to make one';

async function checkHealth(http: SmokeHttp, apiKey: string | undefined) {
  if (!apiKey) return fail(NO_KEY);
  const { status, body } = await http.json('GET', '/health', { apiKey });
  const checks = (body as { checks?: Record<string, { ok: boolean; error?: string }> }).checks ?? {};
  const seen = Object.entries(checks)
    .map(([name, check]) => (check.ok ? `${name} ok` : `${name} FAILED (${check.error ?? 'unknown'})`))
    .join(', ');
  if (status === 200) return ok(seen || 'healthy');
  if (status === 401 || status === 403) return fail(`${status}: the API key was refused; is it a key of this stack?`);
  if (status === 503) {
    return fail(`503 degraded: ${seen}. Read the Api function's logs: a failed check names the dependency it missed`);
  }
  return fail(`answered ${status}, expected 200 or 503 (${summarize(body)})`);
}

/** Behind a custom domain the execute-api host serves nothing without CloudFront's origin header. */
async function checkOriginGuard(executeApi: SmokeHttp) {
  const { status } = await executeApi.json('GET', '/health', {});
  return status === 403
    ? ok('403 at the execute-api host: only requests through CloudFront (and the firewall) are served')
    : fail(
        `the execute-api host answered ${status} to a direct call, expected 403: the firewall can be walked around. ` +
          'If the stack runs with -c originGuard=report (adding the domain to a live offer), deploy without it once ' +
          'Partner Center names the domain; otherwise deploy the stateless and edge stacks again (cdk deploy --all)',
      );
}

async function checkKeyRequired(http: SmokeHttp) {
  const { status } = await http.json('GET', '/health', {});
  return status === 401
    ? ok('401 without a key')
    : fail(`answered ${status} without a key, expected 401: the API serves anonymous callers; do not go live`);
}

async function checkLandingPage(http: SmokeHttp) {
  const response = await http.raw('GET', '/landing', {});
  const where = response.headers.get('location');
  if (response.status >= 500) {
    return fail(`answered ${response.status}: buyers would see an error page. Read the Landing function's logs`);
  }
  if (response.status >= 300 && response.status < 400) return ok(`${response.status} to ${where ?? '(no location)'}`);
  if (response.status >= 200 && response.status < 500) return ok(`${response.status} page without a purchase token`);
  return fail(`answered ${response.status}`);
}

async function checkWebhookRefusesForgeries(http: SmokeHttp, entra: SmokeTarget['entra']) {
  // Ids that name nothing real, so even a webhook wrongly accepted could touch no subscription.
  const body = JSON.stringify({
    id: '00000000-0000-4000-8000-000000000000',
    activityId: randomUUID(),
    subscriptionId: '00000000-0000-4000-8000-000000000000',
    offerId: 'smoke-test',
    planId: 'smoke-test',
    action: 'Unsubscribe',
    timeStamp: new Date().toISOString(),
    status: 'Succeeded',
  });
  const unsigned = await http.raw('POST', '/webhook', { body });
  if (unsigned.status !== 401) {
    return fail(`answered ${unsigned.status} to an unsigned call, expected 401: check the webhook's Entra settings`);
  }
  const forged = await http.raw('POST', '/webhook', {
    body,
    headers: { authorization: `Bearer ${await forgedToken(entra)}` },
  });
  if (forged.status !== 401) {
    return fail(
      `answered ${forged.status} to a token signed by an unknown key, expected 401: forged webhooks would be ` +
        'applied. Do not go live; check how the webhook verifies signatures',
    );
  }
  return ok('401 unsigned, 401 with a forged token (a real one comes only from Microsoft)');
}

/** A token with the claims of a marketplace webhook token, signed by a key pair made up for this call. */
async function forgedToken(entra: SmokeTarget['entra']): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const tenantId = entra?.tenantId ?? '00000000-0000-4000-8000-000000000001';
  const clientId = entra?.clientId ?? '00000000-0000-4000-8000-000000000002';
  return new SignJWT({ appid: MARKETPLACE_APP_ID, tid: tenantId, ver: '1.0' })
    .setProtectedHeader({ alg: 'RS256', kid: `smoke-${randomUUID()}` })
    .setIssuer(`https://sts.windows.net/${tenantId}/`)
    .setAudience(clientId)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

async function checkUsageIngest(http: SmokeHttp, apiKey: string | undefined, now: () => Date) {
  if (!apiKey) return fail(NO_KEY);
  const { status, body } = await http.json('POST', '/v1/usage', {
    apiKey,
    body: JSON.stringify({
      events: [
        {
          subscriptionId: SMOKE_SUBSCRIPTION_ID,
          dimension: 'smoke-test',
          quantity: 1,
          timestamp: now().toISOString(),
          id: `smoke-${randomUUID()}`,
        },
      ],
    }),
  });
  const answer = body as { accepted?: number; results?: { status?: string; reason?: string }[] };
  const [result] = answer.results ?? [];
  if (status === 202 && answer.accepted === 0 && result?.reason === 'unknownSubscription') {
    return ok('202, the test id refused as unknownSubscription; nothing counted');
  }
  if (status === 403) return fail('403: usage takes a publisher key; this key has another role');
  return fail(
    `answered ${status} (${summarize(body)}), expected 202 with unknownSubscription. Read the UsageIngest logs`,
  );
}

async function checkUsageRoundTrip(
  http: SmokeHttp,
  apiKey: string | undefined,
  subscription: NonNullable<SmokeTarget['testSubscription']>,
  now: () => Date,
  options: SmokeOptions,
) {
  if (!apiKey) return fail(NO_KEY);
  const usagePath = `/v1/subscriptions/${encodeURIComponent(subscription.id)}/usage?months=2`;
  const quantityNow = async () => {
    const { status, body } = await http.json('GET', usagePath, { apiKey });
    if (status === 404) return 'unknown' as const;
    if (status !== 200) throw new SmokeError(`reading its usage answered ${status} (${summarize(body)})`);
    const months = (body as { months?: { dimensions?: { dimensionId: string; quantity: string }[] }[] }).months ?? [];
    return months
      .flatMap((month) => month.dimensions ?? [])
      .filter((dimension) => dimension.dimensionId === subscription.dimension)
      .reduce((sum, dimension) => sum.plus(dimension.quantity), new Dec(0));
  };
  // Unknown to the store is fine before the first usage: the ingest looks the subscription up at Microsoft.
  const before = await quantityNow();
  const sent = await http.json('POST', '/v1/usage', {
    apiKey,
    body: JSON.stringify({
      events: [
        {
          subscriptionId: subscription.id,
          dimension: subscription.dimension,
          quantity: subscription.quantity,
          timestamp: now().toISOString(),
          id: `smoke-${randomUUID()}`,
        },
      ],
    }),
  });
  const answer = sent.body as { accepted?: number; results?: { reason?: string; message?: string }[] };
  if (sent.status !== 202 || answer.accepted !== 1) {
    const [result] = answer.results ?? [];
    return fail(
      `the event was not accepted (${sent.status}${result?.reason ? `, ${result.reason}: ${result.message}` : `, ${summarize(sent.body)}`})`,
    );
  }
  const expected = (before === 'unknown' ? new Dec(0) : before).plus(subscription.quantity);
  const deadline = Date.now() + (options.roundTripTimeoutMs ?? 90_000);
  for (;;) {
    const now = await quantityNow();
    if (now !== 'unknown' && now.greaterThanOrEqualTo(expected)) {
      return ok(`${subscription.quantity} ${subscription.dimension} posted and read back (now ${now.toString()})`);
    }
    if (Date.now() > deadline) {
      return fail(
        `accepted, but not in the monthly usage after ${Math.round((options.roundTripTimeoutMs ?? 90_000) / 1000)} s ` +
          '(usage queue → UsageAggregator): look at the usage queue, its dead-letter queue and the aggregator logs',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 1000));
  }
}

class SmokeError extends Error {}

/** The API, with a time limit per call so a hung endpoint fails its check instead of the whole run. */
class SmokeHttp {
  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: typeof fetch,
  ) {}

  async raw(
    method: string,
    path: string,
    request: { apiKey?: string; body?: string; headers?: Record<string, string> },
  ): Promise<Response> {
    return this.fetcher(new URL(path.replace(/^\//, ''), `${this.baseUrl.replace(/\/?$/, '/')}`), {
      method,
      redirect: 'manual',
      headers: {
        ...(request.apiKey ? { authorization: `Bearer ${request.apiKey}` } : {}),
        ...(request.body ? { 'content-type': 'application/json' } : {}),
        ...request.headers,
      },
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  async json(method: string, path: string, request: { apiKey?: string; body?: string }) {
    const response = await this.raw(method, path, request);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page from a proxy, say): kept as text for the message.
    }
    return { status: response.status, body };
  }
}

function summarize(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

function describeError(error: unknown, apiUrl: string): string {
  if (error instanceof SmokeError) return error.message;
  const { code, message } = (error as { cause?: { code?: string; message?: string } }).cause ?? {};
  const cause = code ?? message;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer from ${apiUrl} within 30 s`;
  if (error instanceof TypeError) {
    return `cannot reach ${apiUrl}${cause ? ` (${cause})` : ''}: is the URL right and the system running?`;
  }
  return error instanceof Error ? error.message : String(error);
}
