import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { CONSUMER_TENANT_ID } from '#shared/domain/entra-ids.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { type ApiGatewayHandler, projectApi } from '#test/helpers/api-functions.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = ApiGatewayHandler;

describe('the API function against DynamoDB Local and fauxqs', () => {
  let handler: Handler;
  const keys: Record<'publisher' | 'partnerA' | 'partnerB' | 'customerA' | 'customerB', string> = {
    publisher: '',
    partnerA: '',
    partnerB: '',
    customerA: '',
    customerB: '',
  };
  const subscriptionOfA = aSubscription({ partnerId: 'partner-a', beneficiary: { tenantId: 'tenant-a' } });
  const subscriptionOfB = aSubscription({ partnerId: 'partner-b', beneficiary: { tenantId: 'tenant-b' } });

  const call = async (method: string, path: string, apiKey?: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    handler = await projectApi();
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.partnerA = await make({ name: 'partner a', role: 'partner', partnerId: 'partner-a' });
    keys.partnerB = await make({ name: 'partner b', role: 'partner', partnerId: 'partner-b' });
    keys.customerA = await make({ name: 'customer a', role: 'customer', tenantId: 'tenant-a' });
    keys.customerB = await make({ name: 'customer b', role: 'customer', subscriptionIds: [subscriptionOfB.id] });
    const subscriptions = new DynamoSubscriptionStore(documentClient, tableName);
    await subscriptions.put(subscriptionOfA);
    await subscriptions.put(subscriptionOfB);
  });

  describe('authentication', () => {
    it('answers 401 with a hint when no key is sent', async () => {
      const response = await call('GET', '/v1/catalog');

      expect(response.statusCode).toBe(401);
      expect(response.headers?.['www-authenticate']).toContain('Bearer');
      expect(bodyOf(response)).toMatchObject({ error: { code: 'UnauthenticatedError' } });
    });

    it('answers 401 to a wrong or made-up key, also on the health check', async () => {
      expect((await call('GET', '/v1/catalog', apiKeyCodec.generate().token)).statusCode).toBe(401);
      expect((await call('GET', '/health', 'not-a-key')).statusCode).toBe(401);
    });

    it('accepts the key in the x-api-key header too', async () => {
      const event = httpEvent('GET', '/v1/me', { headers: { 'x-api-key': keys.partnerA } });

      const response = (await handler(event, aLambdaContext('Api'))) as APIGatewayProxyStructuredResultV2;

      expect(bodyOf(response)).toMatchObject({ role: 'partner', partnerId: 'partner-a' });
    });
  });

  describe('scope of partner and customer keys', () => {
    it('lets each party read its own subscription', async () => {
      for (const key of [keys.publisher, keys.partnerA, keys.customerA]) {
        const response = await call('GET', `/v1/subscriptions/${subscriptionOfA.id}`, key);
        expect(response.statusCode).toBe(200);
        expect(bodyOf(response)).toMatchObject({ id: subscriptionOfA.id });
      }
    });

    it("refuses a partner key another partner's customer with 403", async () => {
      const response = await call('GET', `/v1/subscriptions/${subscriptionOfA.id}`, keys.partnerB);

      expect(response.statusCode).toBe(403);
      expect(bodyOf(response)).toMatchObject({ error: { code: 'ForbiddenError' } });
    });

    it("refuses a customer key another customer's subscription with 403", async () => {
      expect((await call('GET', `/v1/subscriptions/${subscriptionOfA.id}`, keys.customerB)).statusCode).toBe(403);
      expect((await call('GET', `/v1/subscriptions/${subscriptionOfB.id}`, keys.customerA)).statusCode).toBe(403);
    });

    it('refuses partner and customer keys any change to API keys with 403, and changes nothing', async () => {
      const before = bodyOf(await call('GET', '/v1/api-keys', keys.publisher));

      const byPartner = await call('POST', '/v1/api-keys', keys.partnerA, { name: 'x', role: 'publisher' });
      const byCustomer = await call('DELETE', '/v1/api-keys/somekeyid', keys.customerA);

      expect(byPartner.statusCode).toBe(403);
      expect(byCustomer.statusCode).toBe(403);
      expect(bodyOf(await call('GET', '/v1/api-keys', keys.publisher))).toEqual(before);
    });

    it('answers 404 for a subscription that does not exist', async () => {
      expect((await call('GET', '/v1/subscriptions/no-such-subscription', keys.publisher)).statusCode).toBe(404);
    });
  });

  describe('health and catalog', () => {
    it('reports the table and the queue reachable', async () => {
      const response = await call('GET', '/health', keys.publisher);

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toMatchObject({
        status: 'ok',
        checks: { table: { ok: true }, usageQueue: { ok: true } },
      });
    });

    it('serves the catalog, private plans to the publisher only', async () => {
      const asPublisher = bodyOf(await call('GET', '/v1/catalog', keys.publisher)) as unknown as Catalog;
      const asPartner = bodyOf(await call('GET', '/v1/catalog', keys.partnerA)) as unknown as Catalog;
      const privatePlans = (catalog: Catalog) =>
        catalog.offers.flatMap((offer) => offer.plans).filter((plan) => plan.visibility === 'private');

      expect(privatePlans(asPublisher).length).toBeGreaterThan(0);
      expect(privatePlans(asPartner)).toEqual([]);
    });
  });

  describe('API key management', () => {
    it('creates a key that works at once, then revokes it so it no longer does', async () => {
      const created = await call('POST', '/v1/api-keys', keys.publisher, {
        name: 'Reseller One',
        role: 'partner',
        partnerId: 'reseller-one',
      });
      const { token, record } = bodyOf(created) as { token: string; record: { keyId: string } };

      expect(created.statusCode).toBe(201);
      expect((await call('GET', '/v1/me', token)).statusCode).toBe(200);
      expect((await call('DELETE', `/v1/api-keys/${record.keyId}`, keys.publisher)).statusCode).toBe(204);
      expect((await call('GET', '/v1/me', token)).statusCode).toBe(401);
    });

    it('answers 400 naming the field for an invalid body, and for an unknown field', async () => {
      const wrongRole = await call('POST', '/v1/api-keys', keys.publisher, { name: 'x', role: 'admin' });
      const unknownField = await call('POST', '/v1/api-keys', keys.publisher, {
        name: 'x',
        role: 'publisher',
        colour: 1,
      });
      const notJson = await call('POST', '/v1/api-keys', keys.publisher, '{"name": ');

      expect(wrongRole.statusCode).toBe(400);
      expect(bodyOf(wrongRole)).toMatchObject({ error: { field: 'body.role' } });
      expect(unknownField.statusCode).toBe(400);
      expect(JSON.stringify(bodyOf(unknownField))).toContain('colour');
      expect(notJson.statusCode).toBe(400);
      expect(bodyOf(notJson)).toMatchObject({ error: { message: 'Request body is not valid JSON.' } });
    });

    it("refuses a customer key or a partner for the personal accounts' tenant (it would reach every personal account)", async () => {
      const key = await call('POST', '/v1/api-keys', keys.publisher, {
        name: 'Personal',
        role: 'customer',
        tenantId: CONSUMER_TENANT_ID.toUpperCase(),
      });
      const partner = await call('PUT', '/v1/partners/personal-reseller', keys.publisher, {
        name: 'Personal reseller',
        tenantId: CONSUMER_TENANT_ID,
      });
      const byIds = await call('POST', '/v1/api-keys', keys.publisher, {
        name: 'One personal purchase',
        role: 'customer',
        subscriptionIds: ['sub-personal'],
      });

      for (const refused of [key, partner]) {
        expect(refused.statusCode).toBe(400);
        expect(bodyOf(refused)).toMatchObject({ error: { message: expect.stringContaining('every personal') } });
      }
      expect((await call('GET', '/v1/partners/personal-reseller', keys.publisher)).statusCode).toBe(404);
      expect(byIds.statusCode).toBe(201);
    });

    it('answers 404 when revoking a key that does not exist', async () => {
      expect((await call('DELETE', '/v1/api-keys/doesnotexist0000', keys.publisher)).statusCode).toBe(404);
    });
  });

  describe('prepaid day packs', () => {
    it("pages a partner's packs (thousands would not fit one answer), and refuses an unknown query field", async () => {
      const partnerId = 'partner-many-packs';
      const issued = await call('POST', '/v1/day-packs', keys.publisher, {
        productKey: subscriptionOfA.offerId,
        days: 7,
        count: 130,
        partnerId,
      });
      expect(issued.statusCode).toBe(201);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await call(
          'GET',
          `/v1/partners/${partnerId}/day-packs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          keys.publisher,
        );
        expect(page.statusCode).toBe(200);
        const body = bodyOf(page) as { dayPacks: { codeHash: string }[]; nextCursor?: string };
        seen.push(...body.dayPacks.map((pack) => pack.codeHash));
        cursor = body.nextCursor;
        pages++;
      } while (cursor);

      expect(pages).toBe(2);
      expect(new Set(seen).size).toBe(130);
      const defaultPage = bodyOf(await call('GET', `/v1/partners/${partnerId}/day-packs`, keys.publisher));
      expect((defaultPage.dayPacks as []).length).toBe(50);
      expect(defaultPage.nextCursor).toEqual(expect.any(String));
      const unknown = await call('GET', `/v1/partners/${partnerId}/day-packs?all=true`, keys.publisher);
      expect(unknown.statusCode).toBe(400);
    });

    it('issues packs to a partner, lets that partner alone list them, and a customer redeem one once', async () => {
      const issued = await call('POST', '/v1/day-packs', keys.publisher, {
        productKey: subscriptionOfA.offerId,
        days: 30,
        count: 2,
        partnerId: 'partner-a',
      });
      const codes = (bodyOf(issued).dayPacks as { code: string }[]).map((pack) => pack.code);

      expect(issued.statusCode).toBe(201);
      expect(codes).toHaveLength(2);
      expect((bodyOf(await call('GET', '/v1/partners/partner-a/day-packs', keys.partnerA)).dayPacks as []).length).toBe(
        2,
      );
      expect((await call('GET', '/v1/partners/partner-a/day-packs', keys.partnerB)).statusCode).toBe(403);
      expect((await call('GET', '/v1/partners/partner-a/day-packs', keys.customerA)).statusCode).toBe(403);

      const path = `/v1/subscriptions/${subscriptionOfA.id}/day-pack-redemptions`;
      const first = await call('POST', path, keys.customerA, { code: codes[0]?.toLowerCase() });
      const repeated = await call('POST', path, keys.customerA, { code: codes[0] });
      const byStranger = await call('POST', path, keys.customerB, { code: codes[1] });
      const term = bodyOf(await call('GET', `/v1/subscriptions/${subscriptionOfA.id}/prepaid-term`, keys.partnerA));

      expect(first.statusCode).toBe(201);
      expect(bodyOf(first)).toMatchObject({ outcome: 'newTerm' });
      expect(repeated.statusCode).toBe(200);
      expect(bodyOf(repeated)).toMatchObject({ outcome: 'alreadyRedeemed' });
      expect(byStranger.statusCode).toBe(403);
      expect(term).toMatchObject({ term: { subscriptionId: subscriptionOfA.id }, redemptions: [{}] });
    });

    it('refuses to issue packs for an offer that is not in the catalog, or by a partner', async () => {
      const unknownOffer = await call('POST', '/v1/day-packs', keys.publisher, {
        productKey: 'nope',
        days: 30,
        count: 1,
      });
      const byPartner = await call('POST', '/v1/day-packs', keys.partnerA, {
        productKey: subscriptionOfA.offerId,
        days: 30,
        count: 1,
      });

      expect(unknownOffer.statusCode).toBe(400);
      expect(bodyOf(unknownOffer)).toMatchObject({ error: { field: 'productKey' } });
      expect(byPartner.statusCode).toBe(403);
    });

    it('answers 404 for a code that was never issued', async () => {
      const response = await call(
        'POST',
        `/v1/subscriptions/${subscriptionOfA.id}/day-pack-redemptions`,
        keys.publisher,
        {
          code: 'AAAA-BBBB-CCCC-DDDD',
        },
      );

      expect(response.statusCode).toBe(404);
    });
  });

  it('answers 404 for an unknown route, never 5xx', async () => {
    const response = await call('GET', '/v1/does-not-exist', keys.publisher);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'NotFound' } });
  });
});
