import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { ENV } from '#shared/env-names.ts';
import type { SignedInUser } from '#shared/http/session.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPartnerRecord } from '#test/builders/alerts.ts';
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
} satisfies Record<string, Omit<SignedInUser, 'csrfToken'>>;

describe('the API function with sign-in sessions: who sees what (issue 13)', () => {
  let handler: Handler;
  let publisherKey = '';
  const sessions = {} as Record<keyof typeof USERS, Awaited<ReturnType<typeof aSession>>>;
  const subscriptions = {
    ofA: aSubscription({ beneficiary: { tenantId: 'tenant-a' }, purchaser: { tenantId: 'tenant-a' } }),
    // Bought by tenant A for another tenant: A's users see it as its purchaser.
    boughtByA: aSubscription({ beneficiary: { tenantId: 'tenant-x' }, purchaser: { tenantId: 'tenant-a' } }),
    ofB: aSubscription({ beneficiary: { tenantId: 'tenant-b' }, purchaser: { tenantId: 'tenant-b' } }),
    ofP: aSubscription({ partnerId: 'partner-p', beneficiary: { tenantId: 'tenant-c' } }),
    ofQ: aSubscription({ partnerId: 'partner-q', beneficiary: { tenantId: 'tenant-d' } }),
    unlinked: aSubscription({ beneficiary: { tenantId: 'tenant-u' }, purchaser: { tenantId: 'tenant-u' } }),
  };

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
  const statusOf = async (who: keyof typeof USERS, subscription: keyof typeof subscriptions) =>
    (await call('GET', `/v1/subscriptions/${subscriptions[subscription].id}`, { session: who })).statusCode;

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
    await partners.putPartner(aPartnerRecord({ id: 'partner-p', tenantId: 'tenant-p' }));
    await partners.putPartner(aPartnerRecord({ id: 'partner-q', tenantId: 'tenant-q' }));
    publisherKey = (
      await createApiKey(
        { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock },
        aPublisher(),
        { name: 'publisher', role: 'publisher' },
      )
    ).token;
    for (const [name, user] of Object.entries(USERS)) {
      sessions[name as keyof typeof USERS] = await aSession(user);
    }
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
