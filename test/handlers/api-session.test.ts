import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import type { AlertCandidate } from '#shared/domain/alerts/alert.ts';
import { CONSUMER_TENANT_ID } from '#shared/domain/entra-ids.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { ENV } from '#shared/env-names.ts';
import type { SignedInUser } from '#shared/http/session.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { deliverAlerts } from '#shared/use-cases/alerts/deliver-alert.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPartnerRecord, oneCandidatePerRule, yen } from '#test/builders/alerts.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';
import { aSession } from '#test/helpers/session.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];

const ORIGIN = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const PUBLISHER_TENANT = 'a0a0a0a0-0000-4000-8000-000000000000';
const ADMIN_OID = 'a0a0a0a0-1111-4111-8111-111111111111';
// Object ids of personal Microsoft accounts (in the consumer tenant they all share), as Microsoft shapes them.
const MIA_OID = '00000000-0000-0000-6a1b-2c3d4e5f6a01';
const LEO_OID = '00000000-0000-0000-7b2c-3d4e5f6a7b02';
const GIFT_OID = '00000000-0000-0000-8c3d-4e5f6a7b8c03';

/** Users as the id token names them; each signs in from its own tenant. */
const USERS = {
  customerA: { tenantId: 'tenant-a', objectId: 'oid-customer-a', name: 'Ann', email: 'ann@a.example' },
  customerB: { tenantId: 'tenant-b', objectId: 'oid-customer-b', name: 'Bob', email: 'bob@b.example' },
  partnerP: { tenantId: 'tenant-p', objectId: 'oid-partner-p', name: 'Pia', email: 'pia@p.example' },
  partnerQ: { tenantId: 'tenant-q', objectId: 'oid-partner-q', name: 'Quinn', email: 'quinn@q.example' },
  admin: { tenantId: PUBLISHER_TENANT, objectId: ADMIN_OID, name: 'Ada', email: 'ada@publisher.example' },
  // Same tenant as the admin, not on the allow-list and in no admin group.
  colleague: { tenantId: PUBLISHER_TENANT, objectId: 'oid-colleague', name: 'Cole', email: 'cole@publisher.example' },
  groupAdmin: {
    tenantId: PUBLISHER_TENANT,
    objectId: 'oid-group-admin',
    name: 'Gus',
    groups: ['b0b0b0b0-2222-4222-8222-222222222222'],
  },
  // Two personal Microsoft accounts: one tenant for both (and for every other personal account).
  personalMia: { tenantId: CONSUMER_TENANT_ID, objectId: MIA_OID, name: 'Mia', email: 'mia@outlook.example' },
  // Leo's token spells the ids in upper case: GUIDs compare without regard to case.
  personalLeo: { tenantId: CONSUMER_TENANT_ID.toUpperCase(), objectId: LEO_OID.toUpperCase(), name: 'Leo' },
  // Customer A's tenant id in upper case.
  customerAUpper: { tenantId: 'TENANT-A', objectId: 'oid-customer-a2', name: 'Abe' },
} satisfies Record<string, Omit<SignedInUser, 'csrfToken'>>;

type UserName = keyof typeof USERS;
type Body = Record<string, unknown>;

// Active since two months back, so usage, series and allowance have a timeline and a term to answer from.
const ACTIVATED_AT = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 2, 3));
const active = (overrides: Partial<Subscription>) =>
  aSubscription({
    timeline: [{ from: ACTIVATED_AT.toISOString(), status: 'Subscribed', planId: 'basic' }],
    term: { startDate: ACTIVATED_AT.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' },
    ...overrides,
  });
const personal = (objectId: string) => ({ tenantId: CONSUMER_TENANT_ID, objectId });

describe('the API function with sign-in sessions: who sees what (issue 13)', () => {
  let handler: Handler;
  let publisherKey = '';
  let customerKeyA = '';
  let consumerTenantKey = '';
  let customerKeyAUpper = '';
  const sessions = {} as Record<UserName, Awaited<ReturnType<typeof aSession>>>;
  const subscriptions = {
    ofA: active({ beneficiary: { tenantId: 'tenant-a' }, purchaser: { tenantId: 'tenant-a' } }),
    // Bought by tenant A for another tenant: A's users see it as its purchaser.
    boughtByA: active({ beneficiary: { tenantId: 'tenant-x' }, purchaser: { tenantId: 'tenant-a' } }),
    ofB: active({ beneficiary: { tenantId: 'tenant-b' }, purchaser: { tenantId: 'tenant-b' } }),
    ofP: active({ partnerId: 'partner-p', beneficiary: { tenantId: 'tenant-c' } }),
    ofQ: active({ partnerId: 'partner-q', beneficiary: { tenantId: 'tenant-d' } }),
    unlinked: active({ beneficiary: { tenantId: 'tenant-u' }, purchaser: { tenantId: 'tenant-u' } }),
    // Mia uses what someone else bought for her; Leo bought one for someone else. Both in the consumer tenant.
    usedByMia: active({ beneficiary: personal(MIA_OID), purchaser: personal(GIFT_OID) }),
    boughtByLeo: active({ beneficiary: personal(GIFT_OID), purchaser: personal(LEO_OID) }),
  };
  type SubscriptionName = keyof typeof subscriptions;
  const allNames = Object.keys(subscriptions) as SubscriptionName[];
  /** Who may see each subscription, beside the administrators. */
  const visibleTo: Record<Exclude<UserName, 'admin' | 'groupAdmin'>, SubscriptionName[]> = {
    customerA: ['ofA', 'boughtByA'],
    customerAUpper: ['ofA', 'boughtByA'],
    customerB: ['ofB'],
    partnerP: ['ofP'],
    partnerQ: ['ofQ'],
    colleague: [],
    personalMia: ['usedByMia'],
    personalLeo: ['boughtByLeo'],
  };
  const viewers = Object.keys(visibleTo) as (keyof typeof visibleTo)[];

  const call = async (
    method: string,
    path: string,
    who: { session?: keyof typeof USERS; apiKey?: string; headers?: Record<string, string>; body?: unknown },
  ) => {
    const session = who.session ? sessions[who.session] : undefined;
    return (await handler(
      httpEvent(method, path, {
        ...(who.apiKey ? { apiKey: who.apiKey } : {}),
        ...(who.body === undefined ? {} : { body: who.body }),
        headers: { ...(session ? { cookie: session.cookie } : {}), ...who.headers },
      }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;
  };
  const statusOf = async (who: UserName, subscription: SubscriptionName) =>
    (await call('GET', `/v1/subscriptions/${subscriptions[subscription].id}`, { session: who })).statusCode;
  /** A state-changing call with the session's CSRF token and our origin, as the portal's pages make it. */
  const change = (method: string, path: string, who: UserName, body?: unknown) =>
    call(method, path, {
      session: who,
      ...(body === undefined ? {} : { body }),
      headers: { 'x-csrf-token': sessions[who].csrfToken, origin: ORIGIN },
    });
  /** Every page of a list, following nextCursor (a page may hold fewer than the limit and still lead on). */
  const everyPage = async (path: string, who: { session?: UserName; apiKey?: string }, field: string) => {
    const items: Body[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await call('GET', `${path}${separator}limit=100${cursor ? `&cursor=${cursor}` : ''}`, who);
      expect(answer.statusCode, JSON.stringify(bodyOf(answer))).toBe(200);
      const body = bodyOf(answer);
      items.push(...(body[field] as Body[]));
      cursor = body.nextCursor as string | undefined;
      if (!cursor) return items;
    }
    throw new Error('the list did not end');
  };
  const listedFor = async (who: { session?: UserName; apiKey?: string }) => {
    const ids = new Set((await everyPage('/v1/subscriptions', who, 'subscriptions')).map((item) => item.id));
    return allNames.filter((name) => ids.has(subscriptions[name].id)).sort();
  };
  const alertsFor = async (query: string, who: UserName) => {
    const answer = await call('GET', `/v1/alerts?${query}`, { session: who });
    return {
      status: answer.statusCode,
      body: bodyOf(answer),
      about: ((bodyOf(answer).alerts ?? []) as Body[]).map(
        (alert) => `${nameOf(alert.subscriptionId)} ${alert.recipient}`,
      ),
    };
  };
  const nameOf = (id: unknown) => allNames.find((name) => subscriptions[name].id === id) ?? String(id);

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    Object.assign(process.env, {
      [ENV.publisherAdminTenantId]: PUBLISHER_TENANT,
      [ENV.publisherAdminUsers]: `${ADMIN_OID}, someone.else@publisher.example`,
      [ENV.publisherAdminGroupId]: 'b0b0b0b0-2222-4222-8222-222222222222',
    });
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    const store = new DynamoSubscriptionStore(documentClient, tableName);
    for (const subscription of Object.values(subscriptions)) await store.put(subscription);
    const partners = new DynamoPartnerStore(documentClient, tableName);
    // Partner P's tenant registered in upper case, as a publisher may type it; its users' tokens say lower case.
    await partners.putPartner(aPartnerRecord({ id: 'partner-p', tenantId: 'TENANT-P' }));
    await partners.putPartner(aPartnerRecord({ id: 'partner-q', tenantId: 'tenant-q' }));
    // A partner stored with the consumer tenant (before such partners were refused, or written around the API) must
    // not make every personal account a partner.
    await partners.putPartner({ ...aPartnerRecord({ id: 'partner-msa' }), tenantId: CONSUMER_TENANT_ID });
    const keys = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    publisherKey = (await createApiKey(keys, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    customerKeyA = (
      await createApiKey(keys, aPublisher(), { name: 'customer a', role: 'customer', tenantId: 'tenant-a' })
    ).token;
    customerKeyAUpper = (
      await createApiKey(keys, aPublisher(), { name: 'customer a again', role: 'customer', tenantId: 'TENANT-A' })
    ).token;
    // A customer key of the consumer tenant, stored before such keys were refused (createApiKey refuses it now).
    const legacy = apiKeyCodec.generate();
    await keys.apiKeys.create({
      keyId: legacy.keyId,
      name: 'consumer tenant',
      role: 'customer',
      tenantId: CONSUMER_TENANT_ID,
      secretHash: legacy.secretHash,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    consumerTenantKey = legacy.token;
    for (const [name, user] of Object.entries(USERS)) {
      sessions[name as UserName] = await aSession(user);
    }
    const levels = { warning: yen('10000'), approvalRequired: yen('20000'), purchaseBlocked: yen('30000') };
    for (const [partnerId, subscription] of [
      ['partner-p', subscriptions.ofP],
      ['partner-q', subscriptions.ofQ],
    ] as const) {
      const linked = await call('PUT', `/v1/partners/${partnerId}/customers/${subscription.id}`, {
        apiKey: publisherKey,
        body: levels,
      });
      expect(linked.statusCode).toBe(200);
      const issued = await call('POST', '/v1/day-packs', {
        apiKey: publisherKey,
        body: { productKey: subscription.offerId, days: 30, count: 1, partnerId },
      });
      expect(issued.statusCode).toBe(201);
    }
    // Alerts as the rules address them: a customer's to `customer:<beneficiary tenant>`, so both personal accounts'
    // to the one consumer tenant; a partner's to `partner:<id>`.
    const templates = oneCandidatePerRule(() => yen('120000'));
    const about = (subscription: Subscription, template: AlertCandidate, recipient: AlertCandidate['recipient']) =>
      ({
        ...template,
        recipient,
        customerId: subscription.beneficiary.tenantId,
        subscriptionId: subscription.id,
      }) as AlertCandidate;
    const toCustomer = (subscription: Subscription) =>
      about(subscription, templates.budgetThreshold, { kind: 'customer', id: subscription.beneficiary.tenantId });
    const toPartner = (subscription: Subscription, id: string) =>
      about(subscription, templates.chargesOverCreditLevel, { kind: 'partner', id });
    await deliverAlerts(
      {
        alertLog: new DynamoAlertLog(documentClient, tableName),
        publisher: new SnsAlertPublisher(localClients().sns, resources[ALERTS_TOPIC.envVar] ?? ''),
        clock: systemClock,
      },
      [
        toCustomer(subscriptions.ofA),
        toCustomer(subscriptions.ofB),
        toCustomer(subscriptions.ofP),
        toPartner(subscriptions.ofP, 'partner-p'),
        toPartner(subscriptions.ofQ, 'partner-q'),
        toCustomer(subscriptions.usedByMia),
        toCustomer(subscriptions.boughtByLeo),
      ].map((candidate) => ({ candidate, locale: 'en' as const })),
    );
  });

  describe('GET /v1/me', () => {
    it('answers a signed-in customer with its role, tenant and who they are', async () => {
      const answer = await call('GET', '/v1/me', { session: 'customerA' });

      expect(answer.statusCode).toBe(200);
      expect(bodyOf(answer)).toEqual({
        role: 'customer',
        tenantId: 'tenant-a',
        user: { tenantId: 'tenant-a', objectId: 'oid-customer-a', name: 'Ann', email: 'ann@a.example' },
      });
    });

    it('names the partner of a partner’s user and the publisher role of an administrator', async () => {
      expect(bodyOf(await call('GET', '/v1/me', { session: 'partnerP' }))).toMatchObject({
        role: 'partner',
        partnerId: 'partner-p',
      });
      expect(bodyOf(await call('GET', '/v1/me', { session: 'admin' }))).toMatchObject({ role: 'publisher' });
      expect(bodyOf(await call('GET', '/v1/me', { session: 'groupAdmin' }))).toMatchObject({ role: 'publisher' });
    });

    it('answers an API key exactly as before, even when a session cookie is sent along', async () => {
      const answer = await call('GET', '/v1/me', { apiKey: publisherKey, session: 'customerA' });

      expect(bodyOf(answer)).toEqual({ role: 'publisher', keyId: expect.any(String) });
    });

    it('refuses a tampered or foreign session cookie with 401 and says to sign in again', async () => {
      const answer = await call('GET', '/v1/me', {
        headers: { cookie: `${sessions.customerA.cookie.slice(0, -4)}AAAA` },
      });

      expect(answer.statusCode).toBe(401);
      expect(JSON.stringify(bodyOf(answer))).toContain('sign in again');
    });
  });

  describe('isolation between each pair', () => {
    it('customer A and customer B see only their own tenant’s subscriptions (beneficiary or purchaser)', async () => {
      expect(await statusOf('customerA', 'ofA')).toBe(200);
      expect(await statusOf('customerA', 'boughtByA')).toBe(200);
      expect(await statusOf('customerA', 'ofB')).toBe(403);
      expect(await statusOf('customerB', 'ofB')).toBe(200);
      expect(await statusOf('customerB', 'ofA')).toBe(403);
      expect(await statusOf('customerB', 'boughtByA')).toBe(403);
    });

    it('a customer sees no partner’s data, and a partner no customer’s it is not linked to', async () => {
      expect((await call('GET', '/v1/partners/partner-p', { session: 'customerA' })).statusCode).toBe(403);
      expect(await statusOf('customerA', 'ofP')).toBe(403);
      expect(await statusOf('partnerP', 'ofA')).toBe(403);
    });

    it('partner P and partner Q see only their own linked customers and their own partner record', async () => {
      expect(await statusOf('partnerP', 'ofP')).toBe(200);
      expect(await statusOf('partnerP', 'ofQ')).toBe(403);
      expect(await statusOf('partnerQ', 'ofQ')).toBe(200);
      expect(await statusOf('partnerQ', 'ofP')).toBe(403);
      expect((await call('GET', '/v1/partners/partner-p', { session: 'partnerP' })).statusCode).toBe(200);
      expect((await call('GET', '/v1/partners/partner-q', { session: 'partnerP' })).statusCode).toBe(403);
    });

    it('a partner does not see a customer that is linked to no partner', async () => {
      expect(await statusOf('partnerP', 'unlinked')).toBe(403);
      expect(await statusOf('partnerQ', 'unlinked')).toBe(403);
    });

    it('a publisher administrator sees everything; a colleague in the same tenant is only a customer of it', async () => {
      for (const subscription of Object.keys(subscriptions) as (keyof typeof subscriptions)[]) {
        expect(await statusOf('admin', subscription)).toBe(200);
        expect(await statusOf('colleague', subscription)).toBe(403);
      }
      expect(bodyOf(await call('GET', '/v1/me', { session: 'colleague' }))).toMatchObject({
        role: 'customer',
        tenantId: PUBLISHER_TENANT,
      });
      const keyAttempt = await call('POST', '/v1/api-keys', {
        session: 'colleague',
        body: { name: 'mine', role: 'publisher' },
        headers: { 'x-csrf-token': sessions.colleague.csrfToken, origin: ORIGIN },
      });
      expect(keyAttempt.statusCode).toBe(403);
    });
  });

  describe('GET /v1/subscriptions: each caller’s list', () => {
    it.each(viewers)('lists for %s exactly what it may open, every page followed', async (who) => {
      expect(await listedFor({ session: who })).toEqual([...visibleTo[who]].sort());
    });

    it('lists for a purchasing-only tenant what it bought, and nothing of it for the beneficiary’s neighbours', async () => {
      // boughtByA names tenant A only as its purchaser: the list must match the purchaser too, not only the beneficiary.
      expect(await listedFor({ session: 'customerA' })).toContain('boughtByA');
      expect(await listedFor({ session: 'customerB' })).not.toContain('boughtByA');
      expect(await listedFor({ session: 'personalMia' })).not.toContain('boughtByA');
    });

    it('lists everything for an administrator, by allow-list or by group', async () => {
      expect(await listedFor({ session: 'admin' })).toEqual([...allNames].sort());
      expect(await listedFor({ session: 'groupAdmin' })).toEqual([...allNames].sort());
      // Filtered by a tenant typed in upper case: beneficiary or purchaser, as stored in lower case.
      const filtered = await everyPage('/v1/subscriptions?tenantId=TENANT-A', { session: 'admin' }, 'subscriptions');
      expect(filtered.map((item) => nameOf(item.id)).sort()).toEqual(['boughtByA', 'ofA']);
    });

    it('keeps a customer key to its beneficiary scope: what its tenant only purchased is neither listed nor shown', async () => {
      expect(await listedFor({ apiKey: customerKeyA })).toEqual(['ofA']);
      const bought = await call('GET', `/v1/subscriptions/${subscriptions.boughtByA.id}`, { apiKey: customerKeyA });
      expect(bought.statusCode).toBe(403);
    });
  });

  describe('usage, series, allowance and the other routes of one subscription', () => {
    const readRoutes = (id: string) => [
      `/v1/subscriptions/${id}`,
      `/v1/subscriptions/${id}/usage`,
      `/v1/subscriptions/${id}/usage/series?granularity=day`,
      `/v1/subscriptions/${id}/allowance`,
      `/v1/subscriptions/${id}/entitlement`,
      `/v1/subscriptions/${id}/prepaid-term`,
    ];

    it.each(viewers)('answers %s on its own subscriptions and 403 on every other', async (who) => {
      for (const name of allNames) {
        const expected = visibleTo[who].includes(name) ? 200 : 403;
        for (const path of readRoutes(subscriptions[name].id)) {
          const answer = await call('GET', path, { session: who });
          expect(`${answer.statusCode} ${path} ${name}`).toBe(`${expected} ${path} ${name}`);
        }
      }
    });

    it('answers an administrator on every subscription', async () => {
      for (const name of allNames) {
        for (const path of readRoutes(subscriptions[name].id)) {
          expect(`${(await call('GET', path, { session: 'admin' })).statusCode} ${path}`).toBe(`200 ${path}`);
        }
      }
    });
  });

  describe('budgets: the customer’s own, never its partner’s', () => {
    const budget = { plannedMonthlyAmount: { amount: '1000', currency: 'USD' } };
    const budgetOf = (name: SubscriptionName) => `/v1/subscriptions/${subscriptions[name].id}/budget`;

    it('lets each customer (a personal account too) set and read its own budget, and nobody else’s', async () => {
      for (const [who, own, foreign] of [
        ['customerA', 'boughtByA', 'ofB'],
        ['customerB', 'ofB', 'ofA'],
        ['personalMia', 'usedByMia', 'boughtByLeo'],
        ['personalLeo', 'boughtByLeo', 'usedByMia'],
      ] as const) {
        expect((await change('PUT', budgetOf(own), who, budget)).statusCode).toBe(200);
        expect((await call('GET', budgetOf(own), { session: who })).statusCode).toBe(200);
        expect((await change('PUT', budgetOf(foreign), who, budget)).statusCode).toBe(403);
        expect((await call('GET', budgetOf(foreign), { session: who })).statusCode).toBe(403);
      }
    });

    it('refuses a partner its own customer’s budget (403), and lets an administrator read any', async () => {
      expect((await call('GET', budgetOf('ofP'), { session: 'partnerP' })).statusCode).toBe(403);
      expect((await change('PUT', budgetOf('ofP'), 'partnerP', budget)).statusCode).toBe(403);
      expect((await call('GET', budgetOf('ofQ'), { session: 'partnerP' })).statusCode).toBe(403);
      expect((await call('GET', budgetOf('boughtByA'), { session: 'admin' })).statusCode).toBe(200);
    });

    it('refuses another personal account’s contact confirmation and day-pack redemption', async () => {
      const leos = subscriptions.boughtByLeo.id;
      const confirmation = await change(
        'POST',
        `/v1/subscriptions/${leos}/contacts/${encodeURIComponent('mia@outlook.example')}/confirmation`,
        'personalMia',
      );
      const redemption = await change('POST', `/v1/subscriptions/${leos}/day-pack-redemptions`, 'personalMia', {
        code: 'ABCD-EFGH',
      });

      expect([confirmation.statusCode, redemption.statusCode]).toEqual([403, 403]);
    });
  });

  describe('GET /v1/alerts', () => {
    it('gives a customer its own tenant’s alerts by default, and refuses another recipient’s', async () => {
      const own = await alertsFor('', 'customerA');
      expect(own.about).toEqual([`ofA customer:tenant-a`]);
      expect((await alertsFor('recipient=customer:tenant-b', 'customerA')).status).toBe(403);
      expect((await alertsFor('recipient=partner:partner-p', 'customerA')).status).toBe(403);
      // Its tenant in another case is still its own.
      expect((await alertsFor('recipient=customer:TENANT-A', 'customerAUpper')).about).toEqual(own.about);
    });

    it('gives a partner its own alerts by default, and refuses another partner’s', async () => {
      expect((await alertsFor('', 'partnerP')).about).toEqual(['ofP partner:partner-p']);
      expect((await alertsFor('', 'partnerQ')).about).toEqual(['ofQ partner:partner-q']);
      expect((await alertsFor('recipient=partner:partner-p', 'partnerQ')).status).toBe(403);
      expect((await alertsFor(`subscriptionId=${subscriptions.ofP.id}`, 'partnerQ')).status).toBe(403);
      // About its customer's subscription, a partner sees the alerts addressed to it, not the customer's.
      expect((await alertsFor(`subscriptionId=${subscriptions.ofP.id}`, 'partnerP')).about).toEqual([
        'ofP partner:partner-p',
      ]);
    });

    it('refuses a customer the alerts of a subscription that is not its own', async () => {
      expect((await alertsFor(`subscriptionId=${subscriptions.ofB.id}`, 'customerA')).status).toBe(403);
      expect((await alertsFor(`subscriptionId=${subscriptions.ofP.id}`, 'customerA')).status).toBe(403);
    });

    it('gives a personal account the alerts of its own subscriptions only: no tenant-wide recipient', async () => {
      const consumer = `customer:${CONSUMER_TENANT_ID}`;
      expect((await alertsFor(`subscriptionId=${subscriptions.usedByMia.id}`, 'personalMia')).about).toEqual([
        `usedByMia ${consumer}`,
      ]);
      expect((await alertsFor(`subscriptionId=${subscriptions.boughtByLeo.id}`, 'personalLeo')).about).toEqual([
        `boughtByLeo ${consumer}`,
      ]);
      expect((await alertsFor(`subscriptionId=${subscriptions.boughtByLeo.id}`, 'personalMia')).status).toBe(403);
      expect((await alertsFor(`recipient=${consumer}`, 'personalMia')).status).toBe(403);
      expect(
        (await alertsFor(`recipient=${consumer}&subscriptionId=${subscriptions.usedByMia.id}`, 'personalMia')).status,
      ).toBe(403);
      const byDefault = await alertsFor('', 'personalLeo');
      expect(byDefault.status).toBe(400);
      expect(JSON.stringify(byDefault.body)).toContain(
        'a personal Microsoft account reads its alerts per subscription',
      );
    });

    it("gives a customer key stored with the consumer tenant nothing of personal accounts' purchases or alerts", async () => {
      expect(await listedFor({ apiKey: consumerTenantKey })).toEqual([]);
      for (const name of ['usedByMia', 'boughtByLeo'] as const) {
        const read = await call('GET', `/v1/subscriptions/${subscriptions[name].id}`, { apiKey: consumerTenantKey });
        expect([403, 404]).toContain(read.statusCode);
      }
      const byDefault = await call('GET', '/v1/alerts', { apiKey: consumerTenantKey });
      const asked = await call('GET', `/v1/alerts?recipient=customer:${CONSUMER_TENANT_ID}`, {
        apiKey: consumerTenantKey,
      });
      expect(byDefault.statusCode).toBe(400);
      expect(asked.statusCode).toBe(403);
    });

    it('lets an administrator read any recipient’s alerts', async () => {
      expect((await alertsFor('recipient=partner:partner-p', 'admin')).about).toEqual(['ofP partner:partner-p']);
      expect((await alertsFor(`recipient=customer:${CONSUMER_TENANT_ID}`, 'admin')).about.sort()).toEqual(
        [`boughtByLeo customer:${CONSUMER_TENANT_ID}`, `usedByMia customer:${CONSUMER_TENANT_ID}`].sort(),
      );
    });
  });

  describe('partner routes: customers, day packs, the partner list', () => {
    it('shows a partner its own customers and day packs, and refuses another partner’s', async () => {
      const customers = await call('GET', '/v1/partners/partner-p/customers', { session: 'partnerP' });
      expect(customers.statusCode).toBe(200);
      expect(((bodyOf(customers).customers ?? []) as Body[]).map((c) => nameOf(c.subscriptionId))).toEqual(['ofP']);
      const packs = await everyPage('/v1/day-packs', { session: 'partnerP' }, 'dayPacks');
      expect(packs.map((pack) => pack.partnerId)).toEqual(['partner-p']);
      const ownPacks = await everyPage('/v1/partners/partner-p/day-packs', { session: 'partnerP' }, 'dayPacks');
      expect(ownPacks.map((pack) => pack.partnerId)).toEqual(['partner-p']);

      for (const path of [
        '/v1/partners/partner-p/customers',
        '/v1/partners/partner-p/day-packs',
        '/v1/day-packs?partnerId=partner-p',
        '/v1/partners/partner-p',
      ]) {
        expect(`${(await call('GET', path, { session: 'partnerQ' })).statusCode} ${path}`).toBe(`403 ${path}`);
      }
    });

    it('refuses every customer (personal accounts too) the partner routes and the partner list', async () => {
      for (const who of ['customerA', 'personalMia', 'personalLeo', 'colleague'] as const) {
        for (const path of [
          '/v1/partners',
          '/v1/partners/partner-p/customers',
          '/v1/partners/partner-msa',
          '/v1/partners/partner-msa/customers',
          '/v1/day-packs?partnerId=partner-p',
          '/v1/day-packs',
        ]) {
          expect(`${(await call('GET', path, { session: who })).statusCode} ${who} ${path}`).toBe(`403 ${who} ${path}`);
        }
      }
    });

    it('refuses partners the partner list, and shows an administrator every partner’s records', async () => {
      expect((await call('GET', '/v1/partners', { session: 'partnerP' })).statusCode).toBe(403);
      const partners = await everyPage('/v1/partners', { session: 'admin' }, 'partners');
      expect(partners.map((partner) => partner.id).sort()).toEqual(['partner-msa', 'partner-p', 'partner-q']);
      const customers = await call('GET', '/v1/partners/partner-q/customers', { session: 'admin' });
      expect(((bodyOf(customers).customers ?? []) as Body[]).map((c) => nameOf(c.subscriptionId))).toEqual(['ofQ']);
      expect((await everyPage('/v1/day-packs?partnerId=partner-q', { session: 'admin' }, 'dayPacks')).length).toBe(1);
    });
  });

  describe('personal Microsoft accounts and the case of tenant ids', () => {
    it('makes a personal account a customer of its own purchases, never the partner of its (shared) tenant', async () => {
      const answer = await call('GET', '/v1/me', { session: 'personalLeo' });

      expect(bodyOf(answer)).toEqual({
        role: 'customer',
        user: { tenantId: CONSUMER_TENANT_ID, objectId: LEO_OID, name: 'Leo' },
      });
    });

    it('finds the partner registered with its tenant in another case, and the customer’s tenant likewise', async () => {
      expect(bodyOf(await call('GET', '/v1/me', { session: 'partnerP' }))).toMatchObject({ partnerId: 'partner-p' });
      expect(bodyOf(await call('GET', '/v1/me', { session: 'customerAUpper' }))).toMatchObject({
        role: 'customer',
        tenantId: 'tenant-a',
      });
      expect(await statusOf('customerAUpper', 'boughtByA')).toBe(200);
    });

    it('gives a customer key issued with its tenant id in upper case the same beneficiary scope and alerts', async () => {
      const alerts = await call('GET', '/v1/alerts', { apiKey: customerKeyAUpper });

      expect(await listedFor({ apiKey: customerKeyAUpper })).toEqual(['ofA']);
      expect(
        ((bodyOf(alerts).alerts ?? []) as Body[]).map((alert) => `${nameOf(alert.subscriptionId)} ${alert.recipient}`),
      ).toEqual(['ofA customer:tenant-a']);
    });
  });

  describe('CSRF on state-changing requests made with the cookie', () => {
    const budget = { plannedMonthlyAmount: { amount: '1000', currency: 'USD' } };
    const put = (headers: Record<string, string>) =>
      call('PUT', `/v1/subscriptions/${subscriptions.ofA.id}/budget`, { session: 'customerA', body: budget, headers });

    it('refuses a change without the X-CSRF-Token header, saying what is missing', async () => {
      const answer = await put({ origin: ORIGIN });

      expect(answer.statusCode).toBe(403);
      expect(JSON.stringify(bodyOf(answer))).toContain('X-CSRF-Token');
    });

    it('refuses a change from another origin even with the right token', async () => {
      const answer = await put({ 'x-csrf-token': sessions.customerA.csrfToken, origin: 'https://evil.example' });

      expect(answer.statusCode).toBe(403);
      expect(JSON.stringify(bodyOf(answer))).toContain('Cross-origin');
    });

    it('refuses another session’s token', async () => {
      const answer = await put({ 'x-csrf-token': sessions.customerB.csrfToken, origin: ORIGIN });

      expect(answer.statusCode).toBe(403);
    });

    it('passes the check with the session’s token and our origin (the route then judges the body)', async () => {
      const answer = await put({ 'x-csrf-token': sessions.customerA.csrfToken, origin: ORIGIN });

      expect(answer.statusCode).not.toBe(403);
      expect(answer.statusCode).not.toBe(401);
    });

    it('needs no CSRF token for reads', async () => {
      expect(
        (await call('GET', `/v1/subscriptions/${subscriptions.ofA.id}`, { session: 'customerA' })).statusCode,
      ).toBe(200);
    });
  });
});
