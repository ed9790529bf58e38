import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { choosePortalLanguage, type PortalView, portalPage } from '#functions/portal/pages.ts';
import { type PortalAssetManifest, writePortalAssets } from '#infra/portal-assets.ts';
import {
  DAY_PACKS,
  PARTNER,
  PARTNER_ALERTS,
  PARTNER_CUSTOMERS,
  PARTNER_ID,
  PENDING_SUBSCRIPTION_FIXTURES,
  PENDING_SUBSCRIPTION_ID,
  RESEND_TOO_SOON_MESSAGE,
  SUBSCRIPTION_FIXTURES,
  SUBSCRIPTION_ID,
  SUBSCRIPTION_LIST,
  type SubscriptionFixtures,
} from './portal-fixtures.ts';

/**
 * A tiny same-origin server for the portal's browser tests and screenshots: the built assets, the `portalPage()`
 * shells (as the Portal function serves them) and the `/v1` routes the pages call, answered from fixtures shaped as
 * the portal contract says. It records every `/v1` request so a test can check what the page sent, and checks the
 * CSRF header of state-changing calls as the real API does (403 otherwise).
 */

export const FIXTURE_CSRF_TOKEN = 'csrf-9b1d4e7a';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface PortalFixtureServer {
  url: string;
  readonly assets: PortalAssetManifest;
  readonly requests: RecordedRequest[];
  /** What `GET /v1/me` answers (change it to see the page as a partner). */
  me: Record<string, unknown>;
  /** The subscriptions answered, by id: the main one and one not activated yet; a test may add a variant. */
  readonly subscriptions: Map<string, SubscriptionFixtures>;
  stop(): Promise<void>;
}

const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: JSON.stringify(body) });
const validation = (message: string, field: string) =>
  json(400, { error: { code: 'ValidationError', message, field } });

export async function startPortalFixtureServer(assetsDir: string): Promise<PortalFixtureServer> {
  const assets = await writePortalAssets(assetsDir);
  const requests: RecordedRequest[] = [];
  const state: PortalFixtureServer = {
    url: '',
    assets,
    requests,
    me: { role: 'customer', tenantId: 'tenant-contoso', user: { name: 'Aiko Sato', email: 'aiko@contoso.example' } },
    subscriptions: new Map([
      [SUBSCRIPTION_ID, SUBSCRIPTION_FIXTURES],
      [PENDING_SUBSCRIPTION_ID, PENDING_SUBSCRIPTION_FIXTURES],
    ]),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const v1 = (method: string, path: string, query: URLSearchParams, body: unknown) => {
    if (method === 'GET' && path === '/v1/me') return json(200, state.me);
    if (method === 'GET' && path === '/v1/subscriptions') {
      // Two pages, so the home page must follow `nextCursor`.
      const [first, second] = SUBSCRIPTION_LIST.subscriptions;
      return query.get('cursor') === 'page-2'
        ? json(200, { subscriptions: [second] })
        : json(200, { subscriptions: [first], nextCursor: 'page-2' });
    }
    const subscriptionRoute = /^\/v1\/subscriptions\/([^/]+)(\/.*)?$/.exec(path);
    const fixtures = subscriptionRoute && state.subscriptions.get(decodeURIComponent(subscriptionRoute[1] ?? ''));
    const rest = subscriptionRoute?.[2] ?? '';
    if (fixtures && method === 'GET' && rest === '') return json(200, fixtures.subscription);
    if (fixtures && method === 'GET' && rest === '/usage') return json(200, fixtures.usage);
    if (fixtures && method === 'GET' && rest === '/budget') {
      // As the API: a partner may not read a customer's budget (requireBudgetAccess).
      if (state.me.role === 'partner') {
        return json(403, { error: { code: 'Forbidden', message: 'A partner key cannot manage budgets.' } });
      }
      return fixtures.budget
        ? json(200, fixtures.budget)
        : json(404, { error: { code: 'NotFoundError', message: 'No budget is set for this subscription.' } });
    }
    if (fixtures && method === 'GET' && rest === '/allowance') return json(200, fixtures.allowance);
    if (fixtures && method === 'GET' && rest === '/usage/series') {
      const granularity = query.get('granularity');
      if (granularity !== 'hour' && granularity !== 'day' && granularity !== 'month') {
        return validation('granularity must be hour, day or month', 'query.granularity');
      }
      return json(200, fixtures.series[granularity]);
    }
    if (fixtures && method === 'PUT' && rest === '/budget') {
      const budget = body as { plannedMonthlyAmount?: { amount?: string }; contacts?: { phones?: string[] } };
      // The answers the real API gives for these mistakes (settings.ts parseBudgetSettings).
      if (budget.plannedMonthlyAmount?.amount === '0') {
        return validation('the planned monthly amount must be greater than zero', 'plannedMonthlyAmount.amount');
      }
      const badPhone = budget.contacts?.phones?.findIndex((phone) => !/^\+[1-9]\d{1,14}$/.test(phone)) ?? -1;
      if (badPhone >= 0) {
        return validation('phone numbers must be in E.164 form, like +819012345678', `contacts.phones.${badPhone}`);
      }
      return json(200, { ...fixtures.budget, subscriptionId: fixtures.subscription.id, ...(body as object) });
    }
    if (method === 'GET' && path === '/v1/alerts') {
      const subscriptionId = query.get('subscriptionId');
      const alerts = subscriptionId ? state.subscriptions.get(subscriptionId)?.alerts : undefined;
      if (alerts) return json(200, alerts);
      if (query.get('recipient') === `partner:${PARTNER_ID}`) return json(200, PARTNER_ALERTS);
      return validation('say whose alerts', 'recipient');
    }
    const partner = `/v1/partners/${PARTNER_ID}`;
    if (method === 'GET' && path === partner) return json(200, PARTNER);
    if (method === 'GET' && path === `${partner}/customers`) return json(200, PARTNER_CUSTOMERS);
    if (method === 'GET' && path === `${partner}/day-packs`) return json(200, DAY_PACKS);
    const resend = new RegExp(`^${partner}/contacts/([^/]+)/confirmation$`).exec(path);
    if (method === 'POST' && resend) {
      // As the API: a pending contact asked again too soon is refused (429), any other not active one is asked.
      const address = decodeURIComponent(resend[1] ?? '');
      const state = PARTNER.contactStates.find((contact) => contact.address === address);
      if (!state) return json(404, { error: { code: 'NotFoundError', message: `${address} is not a contact` } });
      if (state.status === 'pending') {
        return json(429, { error: { code: 'TooManyRequestsError', message: RESEND_TOO_SOON_MESSAGE } });
      }
      const at = new Date().toISOString();
      return json(202, {
        ...state,
        status: 'pending',
        since: at,
        reconfirmingFrom: state.status,
        confirmationSentAt: at,
      });
    }
    if (method === 'POST' && path === `${partner}/approvals`) {
      const approval = body as { subscriptionId: string; expiresAt: string };
      return json(201, { id: 'approval-1', partnerId: PARTNER_ID, approvedAt: new Date().toISOString(), ...approval });
    }
    return json(404, { error: { code: 'NotFound', message: `no fixture for ${method} ${path}` } });
  };

  const page = (path: string, query: URLSearchParams, request: IncomingMessage) => {
    const view: PortalView | undefined =
      path === '/portal'
        ? { kind: 'home' }
        : path.startsWith('/portal/subscriptions/')
          ? { kind: 'subscription', subscriptionId: decodeURIComponent(path.split('/')[3] ?? '') }
          : path.startsWith('/portal/partners/')
            ? { kind: 'partner', partnerId: decodeURIComponent(path.split('/')[3] ?? '') }
            : undefined;
    if (!view) return undefined;
    const language = choosePortalLanguage({
      query: query.get('lang') ?? undefined,
      cookieHeader: request.headers.cookie,
      acceptLanguage: request.headers['accept-language'],
    });
    return portalPage({ view, language, csrfToken: FIXTURE_CSRF_TOKEN, assets });
  };

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fixture');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = request.method ?? 'GET';
    if (url.pathname.startsWith('/v1/')) {
      const body = text ? JSON.parse(text) : undefined;
      requests.push({ method, path: url.pathname + url.search, headers: request.headers, body });
      const stateChanging = method !== 'GET' && method !== 'HEAD';
      const answer =
        stateChanging && request.headers['x-csrf-token'] !== FIXTURE_CSRF_TOKEN
          ? json(403, { error: { code: 'Forbidden', message: 'the X-CSRF-Token header is missing or wrong' } })
          : v1(method, url.pathname, url.searchParams, body);
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      return;
    }
    if (url.pathname.startsWith('/portal/assets/')) {
      const name = url.pathname.slice('/portal/assets/'.length);
      if (name !== assets.script && name !== assets.style) {
        response.writeHead(404).end();
        return;
      }
      const type = name.endsWith('.js') ? 'text/javascript' : 'text/css';
      response.writeHead(200, { 'content-type': type }).end(await readFile(join(assetsDir, name)));
      return;
    }
    const shell = page(url.pathname, url.searchParams, request);
    if (!shell) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(shell.statusCode, shell.headers).end(shell.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
