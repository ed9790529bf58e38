import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';
import { aSession } from '#test/helpers/session.ts';

type Handler = typeof import('#functions/landing/handler.ts')['handler'];
type ApiHandler = typeof import('#functions/api/handler.ts')['handler'];

const CUSTOMER_TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const ORIGIN = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
/** The signed-in customer (as the Portal function's callback would have set the session). */
const CUSTOMER = {
  tenantId: CUSTOMER_TENANT,
  objectId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
  name: 'Casey Customer',
  email: 'casey@customer.example',
};

describe('the landing page function against DynamoDB Local, fauxqs and the marketplace emulator', () => {
  let system: FunctionsWithEmulator;
  let handler: Handler;
  let session: Awaited<ReturnType<typeof aSession>>;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator();
    handler = asDeclaredFunction('Landing', (await import('#functions/landing/handler.ts')).handler);
    session = await aSession(CUSTOMER);
  });
  afterAll(() => system?.stop());

  /** The customer buys in the marketplace and is sent to `landingUrl` (`?token=<URL-encoded token>`). */
  async function aPurchase(planId = 'team', quantity: number | null = 3) {
    return system.emulator.control.purchase({
      offerId: 'contoso-analytics',
      planId,
      ...(quantity === null ? {} : { quantity }),
      beneficiary: { tenantId: CUSTOMER_TENANT, emailId: 'user@customer.example' },
      purchaser: { tenantId: CUSTOMER_TENANT, emailId: 'buyer@customer.example' },
    });
  }

  /** GET as API Gateway hands it over: the query string decoded once into `queryStringParameters`. */
  const open = async (landingUrl: string, headers: Record<string, string> = {}, signedIn = true) => {
    const url = new URL(landingUrl);
    return (await handler(
      httpEvent('GET', `/landing${url.search}`, {
        headers: { accept: 'text/html', ...(signedIn ? { cookie: session.cookie } : {}), ...headers },
      }),
      aLambdaContext('Landing'),
    )) as APIGatewayProxyStructuredResultV2;
  };

  /**
   * The Activate form as a browser posts it from our page: `application/x-www-form-urlencoded` (base64 as HTTP APIs
   * pass it), with the session cookie, the form's CSRF token and our own Origin.
   */
  const activate = async (
    token: string,
    options: { csrfToken?: string | null; origin?: string | null; signedIn?: boolean } = {},
  ) => {
    const csrfToken = options.csrfToken === undefined ? session.csrfToken : options.csrfToken;
    const origin = options.origin === undefined ? ORIGIN : options.origin;
    const event = httpEvent('POST', '/landing', {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        ...(options.signedIn === false ? {} : { cookie: session.cookie }),
        ...(origin === null ? {} : { origin }),
      },
    });
    const form = new URLSearchParams({ token, ...(csrfToken === null ? {} : { csrfToken }) });
    event.body = Buffer.from(form.toString()).toString('base64');
    event.isBase64Encoded = true;
    return (await handler(event, aLambdaContext('Landing'))) as APIGatewayProxyStructuredResultV2;
  };

  /** The token in the hidden field of the page, as the browser would send it back. */
  const hiddenToken = (page: APIGatewayProxyStructuredResultV2) => {
    const match = /name="token" value="([^"]*)"/.exec(page.body ?? '');
    return (match?.[1] ?? '')
      .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  };

  it('resolves a token holding + and / (decoded once), stores the purchase and shows it with an Activate form', async () => {
    const purchase = await aPurchase();
    expect(purchase.token).toMatch(/[+/]/);

    const page = await open(purchase.landingUrl);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Contoso Analytics');
    expect(page.body).toContain('Team');
    expect(page.body).toContain('buyer@customer.example');
    expect(page.body).toContain('user@customer.example');
    expect(page.body).toMatch(/<form method="post" action="\/landing">/);
    expect(hiddenToken(page)).toBe(purchase.token);
    expect(await system.subscriptions.get(purchase.subscriptionId)).toMatchObject({
      status: 'PendingFulfillmentStart',
      planId: 'team',
      quantity: 3,
    });
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    const csp = String(page.headers?.['content-security-policy']);
    for (const directive of ["default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).toMatch(/style-src 'sha256-[^']+'/);
  });

  it('speaks Japanese to a browser that prefers it', async () => {
    const purchase = await aPurchase();

    const page = await open(purchase.landingUrl, { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' });

    expect(page.body).toContain('<html lang="ja">');
    expect(page.body).toContain('サブスクリプションを有効化');
  });

  it('activates on POST: Subscribed at Microsoft and in the store, one SubscriptionActivated event', async () => {
    const purchase = await aPurchase();
    const page = await open(purchase.landingUrl);
    await system.lifecycleEvents();

    const result = await activate(hiddenToken(page));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Your subscription is active');
    expect(system.emulator.control.subscription(purchase.subscriptionId)?.saasSubscriptionStatus).toBe('Subscribed');
    const stored = await system.subscriptions.get(purchase.subscriptionId);
    expect(stored).toMatchObject({ status: 'Subscribed', planId: 'team', quantity: 3, term: { termUnit: 'P1M' } });
    const events = await system.lifecycleEvents();
    expect(events.map((received) => received.event)).toEqual([
      expect.objectContaining({ type: 'SubscriptionActivated', subscriptionId: purchase.subscriptionId, quantity: 3 }),
    ]);
    expect(events[0]?.attributes).toMatchObject({ eventType: 'SubscriptionActivated', planId: 'team' });
  });

  it('is idempotent: refresh, double click and two tabs activate once and publish once', async () => {
    const purchase = await aPurchase();
    await system.lifecycleEvents();

    const [first, second] = await Promise.all([activate(purchase.token), activate(purchase.token)]);
    const refreshed = await activate(purchase.token);
    const reopened = await open(purchase.landingUrl);

    for (const response of [first, second, refreshed, reopened]) expect(response?.statusCode).toBe(200);
    expect((await system.lifecycleEvents()).map((received) => received.event.type)).toEqual(['SubscriptionActivated']);
    expect(reopened.body).not.toContain('<form');
    const activations = (await system.audit.list(purchase.subscriptionId)).entries.filter(
      (entry) => entry.kind === 'marketplaceCall' && entry.what.startsWith('activate') && entry.result === '200',
    );
    // The other tab's Activate was refused by Microsoft (already Subscribed) and counted as done.
    expect(activations).toHaveLength(1);
  });

  it('shows the state of an active subscription on a "Manage account" visit, with a fresh token', async () => {
    const purchase = await aPurchase('basic', null);
    await activate(purchase.token);
    const manage = await system.emulator.control.landingToken(purchase.subscriptionId);

    const page = await open(manage.landingUrl);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Active');
    expect(page.body).not.toContain('<form');
  });

  it('shows an auto-activated purchase as active on its first visit and on a POST, never calling Activate', async () => {
    // Plan `instant` has auto-activation on: Microsoft made it Subscribed at purchase (marketplace-2026.md).
    const purchase = await aPurchase('instant', null);
    const purchasedAt = system.emulator.control.subscription(purchase.subscriptionId)?.statusHistory[0]?.at;

    const page = await open(purchase.landingUrl);
    const posted = await activate(purchase.token);

    for (const response of [page, posted]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('Active');
      expect(response.body).not.toContain('<form');
    }
    expect(await system.subscriptions.get(purchase.subscriptionId)).toMatchObject({
      status: 'Subscribed',
      planId: 'instant',
      term: { termUnit: 'P1M', startDate: purchasedAt },
    });
    const calls = (await system.audit.list(purchase.subscriptionId)).entries.filter(
      (entry) => entry.kind === 'marketplaceCall',
    );
    expect(calls.map((entry) => entry.what).filter((what) => what.startsWith('activate'))).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(system.emulator.control.subscription(purchase.subscriptionId)?.statusHistory).toHaveLength(1);
  });

  it.each([
    ['an unknown token', 'not-a-token'],
    ['a token with its %2B decoded a second time', 'ab+cd/ef%2Bgh'],
  ])('answers %s with a 400 page telling the customer what to do, and stores nothing', async (_case, token) => {
    const page = await open(`https://landing.example/landing?token=${encodeURIComponent(token)}`);

    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Azure portal');
    expect(page.body).toContain('Microsoft 365 admin center');
    expect(page.body).toContain('Manage account');
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
  });

  it('answers an expired token with the 400 page and stores nothing, on GET and on POST', async () => {
    const purchase = await aPurchase();
    await system.emulator.control.advance(25 * 3600_000);

    const get = await open(purchase.landingUrl);
    const post = await activate(purchase.token);

    expect([get.statusCode, post.statusCode]).toEqual([400, 400]);
    expect(await system.itemsOf(purchase.subscriptionId)).toEqual([]);
  });

  it('answers a page without a token with the 400 page', async () => {
    expect((await open(`https://landing.example/landing`)).statusCode).toBe(400);
    expect((await activate('')).statusCode).toBe(400);
    expect(await system.subscriptions.get(randomUUID())).toBeUndefined();
  });

  describe('sign-in first (issue 13)', () => {
    it('sends a visitor without a session to sign in, to come back to the very same landing URL', async () => {
      const purchase = await aPurchase();
      const url = new URL(purchase.landingUrl);

      const page = await open(purchase.landingUrl, {}, false);

      expect(page.statusCode).toBe(303);
      const location = new URL(String(page.headers?.location), ORIGIN);
      expect(location.pathname).toBe('/auth/sign-in');
      expect(location.searchParams.get('returnTo')).toBe(`/landing${url.search}`);
      // Nothing was resolved or stored before the customer signed in.
      expect(await system.itemsOf(purchase.subscriptionId)).toEqual([]);
    });

    it('refuses an activation with a tampered session cookie as no session: back to sign-in', async () => {
      const purchase = await aPurchase();
      const event = httpEvent('POST', '/landing', {
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${session.cookie}x`, origin: ORIGIN },
      });
      event.body = new URLSearchParams({ token: purchase.token, csrfToken: session.csrfToken }).toString();

      const result = (await handler(event, aLambdaContext('Landing'))) as APIGatewayProxyStructuredResultV2;

      expect(result.statusCode).toBe(303);
      expect(system.emulator.control.subscription(purchase.subscriptionId)?.saasSubscriptionStatus).toBe(
        'PendingFulfillmentStart',
      );
    });

    it.each([
      ['without the CSRF form field', { csrfToken: null }, 'no CSRF token'],
      [
        'with another session’s CSRF token',
        { csrfToken: 'not-this-sessions-token-not-this-sessions-tok' },
        'does not match',
      ],
      ['from another origin', { origin: 'https://attacker.example' }, 'Cross-origin request refused'],
    ])('refuses an Activate posted %s with 403, and activates nothing', async (_case, options, message) => {
      const purchase = await aPurchase();

      const result = await activate(purchase.token, options);

      expect(result.statusCode).toBe(403);
      expect(result.body).toContain(message);
      expect(system.emulator.control.subscription(purchase.subscriptionId)?.saasSubscriptionStatus).toBe(
        'PendingFulfillmentStart',
      );
    });

    it('shows who is signed in on the confirmation, with the session’s CSRF token in the form', async () => {
      const purchase = await aPurchase();

      const page = await open(purchase.landingUrl);

      expect(page.body).toContain('Casey Customer &lt;casey@customer.example&gt;');
      expect(page.body).toContain(`name="csrfToken" value="${session.csrfToken}"`);
    });

    it('records who activated (tenant, object id, name, e-mail) in the audit trail the API shows', async () => {
      const purchase = await aPurchase();

      await activate(purchase.token);

      // The API handler reads its configuration when loaded: only now, after the environment is set.
      const api = asDeclaredFunction(
        'Api',
        ((await import('#functions/api/handler.ts')) as { handler: ApiHandler }).handler,
      );
      const apiKeys = new DynamoApiKeyStore(localClients().documentClient, process.env[MAIN_TABLE.envVar] ?? '');
      const key = (
        await createApiKey({ apiKeys, codec: apiKeyCodec, clock: systemClock }, aPublisher(), {
          name: 'auditor',
          role: 'publisher',
        })
      ).token;
      const answer = (await api(
        httpEvent('GET', `/v1/subscriptions/${purchase.subscriptionId}/audit`, { apiKey: key }),
        aLambdaContext('Api'),
      )) as APIGatewayProxyStructuredResultV2;

      expect(answer.statusCode).toBe(200);
      const entries = bodyOf(answer).entries as { what: string; result: string; actor?: unknown }[];
      expect(entries.find((entry) => entry.what === 'activate clicked')).toMatchObject({
        result: 'activated',
        actor: CUSTOMER,
      });
    });
  });
});
