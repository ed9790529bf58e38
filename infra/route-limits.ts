import type { HttpRouteDefinition } from '#infra/functions.ts';

/** Requests per second (steady) and burst (bucket size) of one API Gateway route. */
export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * The stage throttle of each route path of `HTTP_ROUTES` (every method of the path), applied by
 * `applyRouteThrottles`. An HTTP API throttles each route in its own token bucket, and the routes share only the
 * account's regional limit (10,000 requests per second unless raised): explicit budgets keep the sum of all routes
 * (about 350 per second) far below it, so a flood on ingest or the portal is refused on its own route with 429 while
 * `/webhook` and `/landing` keep theirs. Sized from the traffic each route must carry:
 * - `POST /v1/usage`: 50/s. One request carries up to 1,000 events, so 50/s is 4 billion events a day in full
 *   batches; a client sending one event per request still gets 4 million a day. The Api's `/v1` routes: the same,
 *   for the portal's page scripts and the publisher's back office.
 * - `/webhook` and `/landing`: 25/s, burst 50. Microsoft sends a few calls per purchase or change, and a buyer opens
 *   the landing page once or twice; 25/s absorbs a renewal-day burst with room to spare.
 * - Sign-in, health, the API description: 10/s, a few per user session. Reporting runs: 5/s, an operator tool.
 *   Publisher operations (change plan or seats, cancel): 5/s, each waits on Microsoft; reading one: 10/s.
 *   Contact confirmation requests: 5/s, each may send a message.
 */
export const ROUTE_THROTTLES: Readonly<Record<string, RouteThrottle>> = {
  '/health': { rateLimit: 10, burstLimit: 20 },
  '/v1/usage': { rateLimit: 50, burstLimit: 100 },
  '/v1/reporting/runs': { rateLimit: 5, burstLimit: 10 },
  '/v1/{proxy+}': { rateLimit: 50, burstLimit: 100 },
  // A confirmation message per accepted request (at most one per contact a day, docs/alerts.md "Asking again"): a
  // person presses the button now and then.
  '/v1/subscriptions/{subscriptionId}/contacts/{contact}/confirmation': { rateLimit: 5, burstLimit: 10 },
  '/v1/partners/{partnerId}/contacts/{contact}/confirmation': { rateLimit: 5, burstLimit: 10 },
  // Publisher operations: a back office changes a plan or seats now and then, and each call holds the function up to
  // 16 s while Microsoft works (PublisherOperations): 5/s stays within what Microsoft's Fulfillment API takes.
  '/v1/subscriptions/{subscriptionId}/plan': { rateLimit: 5, burstLimit: 10 },
  '/v1/subscriptions/{subscriptionId}/quantity': { rateLimit: 5, burstLimit: 10 },
  '/v1/subscriptions/{subscriptionId}': { rateLimit: 5, burstLimit: 10 },
  '/v1/subscriptions/{subscriptionId}/operations/{operationId}': { rateLimit: 10, burstLimit: 20 },
  '/openapi.json': { rateLimit: 10, burstLimit: 20 },
  '/docs/api': { rateLimit: 10, burstLimit: 20 },
  '/landing': { rateLimit: 25, burstLimit: 50 },
  '/portal': { rateLimit: 25, burstLimit: 50 },
  '/portal/{proxy+}': { rateLimit: 25, burstLimit: 50 },
  '/auth/sign-in': { rateLimit: 10, burstLimit: 20 },
  '/auth/callback': { rateLimit: 10, burstLimit: 20 },
  '/auth/sign-out': { rateLimit: 5, burstLimit: 10 },
  '/webhook': { rateLimit: 25, burstLimit: 50 },
  // Links in alert mails: a person clicks one now and then; a mailing's scanners may open many at once.
  '/contacts/confirm': { rateLimit: 10, burstLimit: 20 },
  '/contacts/unsubscribe': { rateLimit: 10, burstLimit: 20 },
};

/**
 * The API Gateway route keys (`POST /webhook`) of `routes` with their throttles.
 * @throws Error at synth time for a route without a budget in `ROUTE_THROTTLES`, so a new route cannot slip in
 *   with only the stage default.
 */
export function routeThrottles(routes: readonly HttpRouteDefinition[]): Map<string, RouteThrottle> {
  const keys = new Map<string, RouteThrottle>();
  for (const route of routes) {
    const throttle = ROUTE_THROTTLES[route.path];
    if (!throttle) {
      throw new Error(`Route ${route.path} has no throttle in infra/route-limits.ts: give it one (requests/s, burst)`);
    }
    for (const method of route.methods) keys.set(`${method} ${route.path}`, throttle);
  }
  return keys;
}

/** Per client IP over 5 minutes, the window of the firewall's rate-based rules (infra/constructs/web-firewall.ts). */
export interface FirewallRateRule {
  /** The rule's name in the web ACL and its CloudWatch metric. */
  readonly name: string;
  /** Request paths the rule counts (prefix match); undefined: every path no other rate rule counts. */
  readonly pathPrefixes?: readonly string[];
  /** Requests one IP address may make in 5 minutes before WAF blocks it (until its rate falls below again). */
  readonly limitPer5Minutes: number;
}

/**
 * Per-IP rate limits at the firewall: they stop one address (a script, a bot) from using up a route's stage budget
 * above, which is shared by every client of that route.
 * - Sign-in and the landing page: 100 in 5 minutes. A buyer needs a handful of requests; an office behind one NAT
 *   address buying many offers at once still fits.
 * - The webhook: 1,500 (5/s). Microsoft's calls come from a few Azure addresses, a few per subscription change, and
 *   Microsoft retries a refused call for hours; one attacking address gets at most a fifth of the route's 25/s.
 * - `/v1`: 15,000 (50/s), the route budget of usage ingest: the publisher's billing service is usually one address.
 * - Everything else (portal pages and assets, the API description, health): 1,500 (5/s).
 */
export const FIREWALL_RATE_RULES: readonly FirewallRateRule[] = [
  { name: 'SignInAndLandingRate', pathPrefixes: ['/auth/', '/landing'], limitPer5Minutes: 100 },
  { name: 'WebhookRate', pathPrefixes: ['/webhook'], limitPer5Minutes: 1_500 },
  { name: 'ApiRate', pathPrefixes: ['/v1/'], limitPer5Minutes: 15_000 },
  { name: 'OtherPathsRate', limitPer5Minutes: 1_500 },
];

/**
 * Request bodies larger than this are blocked by the firewall on every path except `UNLIMITED_BODY_PATHS`: the
 * 8 KB of the AWS common rule set's SizeRestrictions_BODY, which the firewall runs in count mode so that it can
 * exempt usage ingest. Our other bodies (forms, settings, Microsoft's webhook calls) are a few KB at most.
 */
export const MAX_BODY_BYTES = 8 * 1024;

/**
 * Paths whose bodies the firewall does not limit: usage ingest takes up to 1,000 events, about 1 MB, which the
 * function itself limits (`MAX_USAGE_BODY_BYTES`, 413 above it). WAF on CloudFront reads at most the first 64 KB of
 * a body, so it could not enforce a 1 MB limit anyway.
 */
export const UNLIMITED_BODY_PATHS: readonly string[] = ['/v1/usage'];
