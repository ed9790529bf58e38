import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import * as answers from '#infra/openapi/responses.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];
type Body = Record<string, unknown>;

describe('the data API (series, allowance, partner customers, lists) through the Api handler on DynamoDB Local', () => {
  let handler: Handler;
  const keys = {
    publisher: '',
    partnerX: '',
    partnerY: '',
    customerA: '',
    customerB: '',
    customerById: '',
    customerBoth: '',
  };
  const currentHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const activatedAt = new Date(Date.UTC(currentHour.getUTCFullYear(), currentHour.getUTCMonth() - 1, 3));
  const timeline = [{ from: activatedAt.toISOString(), status: 'Subscribed' as const, planId: 'basic' }];
  const term = { startDate: activatedAt.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' as const };
  const subscriptionA = aSubscription({
    beneficiary: { tenantId: 'tenant-a' },
    purchaser: { tenantId: 'tenant-a' },
    timeline,
    term,
  });
  const subscriptionB = aSubscription({
    beneficiary: { tenantId: 'tenant-b' },
    purchaser: { tenantId: 'tenant-b' },
    timeline,
    term,
  });
  const subscriptionC = aSubscription({
    beneficiary: { tenantId: 'tenant-c' },
    purchaser: { tenantId: 'tenant-c' },
    timeline,
    term,
  });
  const endedA = aSubscription({
    status: 'Unsubscribed',
    beneficiary: { tenantId: 'tenant-a' },
    purchaser: { tenantId: 'tenant-a' },
  });
  const all = [subscriptionA, subscriptionB, subscriptionC, endedA];
  const levels = {
    warning: { amount: '10000', currency: 'JPY' },
    approvalRequired: { amount: '20000', currency: 'JPY' },
    purchaseBlocked: { amount: '30000', currency: 'JPY' },
  };

  const call = async (method: string, path: string, apiKey?: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;
  const get = (path: string, apiKey: string) => call('GET', path, apiKey);

  /** Every page of a list, following nextCursor. */
  async function allPages(path: string, apiKey: string, field: string): Promise<Body[]> {
    const items: Body[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await get(`${path}${separator}limit=1${cursor ? `&cursor=${cursor}` : ''}`, apiKey);
      expect(answer.statusCode).toBe(200);
      const body = bodyOf(answer) as Body;
      items.push(...(body[field] as Body[]));
      cursor = body.nextCursor as string | undefined;
      if (!cursor) return items;
    }
    throw new Error('the list did not end');
  }
  const idsOf = (items: Body[]) => items.map((item) => item.id as string).sort();

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.partnerX = await make({ name: 'partner x', role: 'partner', partnerId: 'partner-x' });
    keys.partnerY = await make({ name: 'partner y', role: 'partner', partnerId: 'partner-y' });
    keys.customerA = await make({ name: 'customer a', role: 'customer', tenantId: 'tenant-a' });
    keys.customerB = await make({ name: 'customer b', role: 'customer', tenantId: 'tenant-b' });
    keys.customerById = await make({ name: 'customer c', role: 'customer', subscriptionIds: [subscriptionC.id] });
    keys.customerBoth = await make({
      name: 'customer b and c',
      role: 'customer',
      tenantId: 'tenant-b',
      subscriptionIds: [subscriptionC.id],
    });
    const subscriptions = new DynamoSubscriptionStore(documentClient, tableName);
    for (const subscription of all) await subscriptions.put(subscription);
    for (const partnerId of ['partner-x', 'partner-y']) {
      const saved = await call('PUT', `/v1/partners/${partnerId}`, keys.publisher, {
        name: partnerId,
        tenantId: `tenant-${partnerId}`,
      });
      expect(saved.statusCode).toBe(200);
    }
    const linked = await call('PUT', `/v1/partners/partner-x/customers/${subscriptionA.id}`, keys.publisher, levels);
    expect(linked.statusCode).toBe(200);
    const ledger = new DynamoUsageLedger(documentClient, tableName);
    // 150 calls this hour: 100 included, 50 over at ¥75.
    await applyUsageMessage(
      { ledger },
      aUsageMessage({
        slots: [
          aSlot({
            subscriptionId: subscriptionA.id,
            dimension: 'api-calls',
            hour: currentHour.toISOString(),
            quantity: '150',
          }),
        ],
      }),
    );
    const issued = await call('POST', '/v1/day-packs', keys.publisher, {
      productKey: subscriptionA.offerId,
      days: 30,
      count: 3,
      partnerId: 'partner-x',
    });
    expect(issued.statusCode).toBe(201);
  });

  describe('usage series', () => {
    it('answers every metered dimension per local day, with the quantity and the charge of the overage', async () => {
      const answer = await get(
        `/v1/subscriptions/${subscriptionA.id}/usage/series?granularity=day&currency=JPY`,
        keys.customerA,
      );

      expect(answer.statusCode).toBe(200);
      const body = bodyOf(answer) as {
        dimensions: { dimensionId: string; points: { quantity: string; amount: string }[] }[];
      };
      expect(body.dimensions.map((d) => d.dimensionId)).toEqual(['api-calls', 'gb-processed', 'reports']);
      const calls = body.dimensions[0]?.points ?? [];
      const total = (pick: (p: { quantity: string; amount: string }) => string) =>
        calls.reduce((sum, point) => sum + Number(pick(point)), 0);
      expect(total((p) => p.quantity)).toBe(150);
      expect(total((p) => p.amount)).toBe(50 * 75);
      expect(body).toMatchObject({ granularity: 'day', currency: 'JPY', timeZone: 'UTC' });
      expect(calls.length).toBeGreaterThanOrEqual(28);
    });

    it('agrees with the usage view on the current month', async () => {
      const [series, usage] = await Promise.all([
        get(`/v1/subscriptions/${subscriptionA.id}/usage/series?granularity=month&currency=JPY`, keys.publisher),
        get(`/v1/subscriptions/${subscriptionA.id}/usage?months=1&currency=JPY`, keys.publisher),
      ]);
      const points = (bodyOf(series) as { dimensions: { points: { amount: string }[] }[] }).dimensions[0]?.points ?? [];
      const month = (
        bodyOf(usage) as { months: { dimensions: { dimensionId: string; amount: { amount: string } }[] }[] }
      ).months[0];
      expect(points.at(-1)?.amount).toBe(month?.dimensions.find((d) => d.dimensionId === 'api-calls')?.amount.amount);
    });

    it.each([
      ['granularity=week', 'granularity must be hour, day or month'],
      ['granularity=day&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'must be before'],
      ['granularity=hour&from=2026-01-01T00:00:00Z&to=2026-02-15T00:00:00Z', 'at most 31 days'],
      ['granularity=day&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'at most 400 days'],
      ['granularity=month&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'at most 36 months'],
      ['granularity=day&timeZone=Mars/Olympus', 'IANA time zone'],
      ['granularity=day&dimension=nope', 'not metered'],
      ['granularity=day&from=yesterday', 'query.from'],
      ['granularity=day&extra=1', 'extra'],
    ])('refuses %s with 400 and says what to fix', async (query, message) => {
      const answer = await get(`/v1/subscriptions/${subscriptionA.id}/usage/series?${query}`, keys.publisher);

      expect(answer.statusCode).toBe(400);
      expect(JSON.stringify(bodyOf(answer))).toContain(message);
    });

    it('is refused to another customer and to another partner', async () => {
      const path = `/v1/subscriptions/${subscriptionA.id}/usage/series?granularity=hour`;
      expect((await get(path, keys.customerB)).statusCode).toBe(403);
      expect((await get(path, keys.partnerY)).statusCode).toBe(403);
      expect((await get(path, keys.partnerX)).statusCode).toBe(200);
    });
  });

  describe('allowance', () => {
    it('gives included, used, remaining and overage of the current term', async () => {
      const answer = await get(`/v1/subscriptions/${subscriptionA.id}/allowance`, keys.customerA);

      expect(answer.statusCode).toBe(200);
      expect(bodyOf(answer)).toMatchObject({ planId: 'basic', subscriptionId: subscriptionA.id });
      expect((bodyOf(answer) as { dimensions: Body[] }).dimensions[0]).toEqual({
        dimensionId: 'api-calls',
        displayName: 'API calls',
        unitOfMeasure: '1000 calls',
        included: '100',
        used: '150',
        remaining: '0',
        overage: '50',
      });
      expect((await get(`/v1/subscriptions/${subscriptionA.id}/allowance`, keys.customerB)).statusCode).toBe(403);
    });
  });

  describe('partner customers', () => {
    it("shows the partner its customers' credit figures, never the store fee or the payout", async () => {
      const answer = await get('/v1/partners/partner-x/customers', keys.partnerX);

      expect(answer.statusCode).toBe(200);
      const body = bodyOf(answer) as { customers: Body[] };
      expect(body.customers).toHaveLength(1);
      expect(body.customers[0]).toMatchObject({
        subscriptionId: subscriptionA.id,
        tenantId: 'tenant-a',
        creditLevels: levels,
        monthToDate: { currency: 'JPY' },
        pendingApprovals: [],
      });
      expect(['ok', 'warning', 'approvalRequired', 'purchaseBlocked']).toContain(body.customers[0]?.creditState);
      expect(JSON.stringify(body)).not.toMatch(/storeFee|payout/i);
    });

    it('is refused to other partners and to customers', async () => {
      expect((await get('/v1/partners/partner-x/customers', keys.partnerY)).statusCode).toBe(403);
      expect((await get('/v1/partners/partner-x/customers', keys.customerA)).statusCode).toBe(403);
      expect((await get('/v1/partners/partner-x/customers', keys.publisher)).statusCode).toBe(200);
    });
  });

  describe('GET /v1/subscriptions', () => {
    it('gives each caller exactly its scope, page by page', async () => {
      expect(idsOf(await allPages('/v1/subscriptions', keys.publisher, 'subscriptions'))).toEqual(
        all.map((s) => s.id).sort(),
      );
      expect(idsOf(await allPages('/v1/subscriptions', keys.partnerX, 'subscriptions'))).toEqual([subscriptionA.id]);
      expect(await allPages('/v1/subscriptions', keys.partnerY, 'subscriptions')).toEqual([]);
      expect(idsOf(await allPages('/v1/subscriptions', keys.customerA, 'subscriptions'))).toEqual(
        [subscriptionA.id, endedA.id].sort(),
      );
      expect(idsOf(await allPages('/v1/subscriptions', keys.customerB, 'subscriptions'))).toEqual([subscriptionB.id]);
      expect(idsOf(await allPages('/v1/subscriptions', keys.customerById, 'subscriptions'))).toEqual([
        subscriptionC.id,
      ]);
      expect(idsOf(await allPages('/v1/subscriptions', keys.customerBoth, 'subscriptions'))).toEqual(
        [subscriptionB.id, subscriptionC.id].sort(),
      );
    });

    it('filters by status, offer, plan, tenant and partner', async () => {
      const ids = async (query: string) =>
        idsOf(await allPages(`/v1/subscriptions?${query}`, keys.publisher, 'subscriptions'));
      expect(await ids('status=Unsubscribed')).toEqual([endedA.id]);
      expect(await ids('tenantId=tenant-b')).toEqual([subscriptionB.id]);
      expect(await ids('partnerId=partner-x')).toEqual([subscriptionA.id]);
      expect(await ids('planId=basic&status=Subscribed')).toEqual(
        [subscriptionA.id, subscriptionB.id, subscriptionC.id].sort(),
      );
      expect(await ids('offerId=another-offer')).toEqual([]);
      // A customer's filter narrows its own scope, never widens it.
      expect(idsOf(await allPages('/v1/subscriptions?tenantId=tenant-b', keys.customerA, 'subscriptions'))).toEqual([]);
    });

    it('answers the shape the portal reads', async () => {
      const answer = bodyOf(await get('/v1/subscriptions?partnerId=partner-x', keys.publisher)) as {
        subscriptions: Body[];
      };
      expect(answer.subscriptions[0]).toMatchObject({
        id: subscriptionA.id,
        offerId: 'contoso-analytics',
        planId: 'basic',
        status: 'Subscribed',
        beneficiaryTenantId: 'tenant-a',
        purchaserTenantId: 'tenant-a',
        partnerId: 'partner-x',
      });
    });

    it.each([
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ s: 9 })).toString('base64url')}`, 'cursor'],
      [
        `cursor=${Buffer.from(JSON.stringify({ s: 0, k: { pk: 'SUB#x', sk: 'SUBSCRIPTION', gsi1pk: 'PARTNERS', gsi1sk: 'x' } })).toString('base64url')}`,
        'cursor',
      ],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['status=Active', 'status must be'],
    ])('refuses %s with 400', async (query, message) => {
      const answer = await get(`/v1/subscriptions?${query}`, keys.publisher);
      expect(answer.statusCode).toBe(400);
      expect(JSON.stringify(bodyOf(answer))).toContain(message);
    });

    it("refuses a partner another partner's customers", async () => {
      expect((await get('/v1/subscriptions?partnerId=partner-x', keys.partnerY)).statusCode).toBe(403);
    });
  });

  describe('GET /v1/partners and GET /v1/day-packs', () => {
    it('lists the partners for the publisher only, page by page', async () => {
      const partners = await allPages('/v1/partners', keys.publisher, 'partners');
      expect(idsOf(partners)).toEqual(['partner-x', 'partner-y']);
      expect((await get('/v1/partners', keys.partnerX)).statusCode).toBe(403);
      expect((await get('/v1/partners', keys.customerA)).statusCode).toBe(403);
      expect((await get('/v1/partners?cursor=eyJ4IjoxfQ', keys.publisher)).statusCode).toBe(400);
    });

    it("lists a partner's day packs for that partner and the publisher, page by page", async () => {
      expect(await allPages('/v1/day-packs', keys.partnerX, 'dayPacks')).toHaveLength(3);
      expect(await allPages('/v1/day-packs?partnerId=partner-x', keys.publisher, 'dayPacks')).toHaveLength(3);
      expect(await allPages('/v1/day-packs', keys.partnerY, 'dayPacks')).toEqual([]);
      expect((await get('/v1/day-packs?partnerId=partner-x', keys.partnerY)).statusCode).toBe(403);
      expect((await get('/v1/day-packs', keys.customerA)).statusCode).toBe(403);
      const unscoped = await get('/v1/day-packs', keys.publisher);
      expect(unscoped.statusCode).toBe(400);
      expect(JSON.stringify(bodyOf(unscoped))).toContain('partnerId is required');
    });
  });

  it('answers exactly what the OpenAPI description says (infra/openapi/responses.ts), no field more or less', async () => {
    const routes = [
      [`/v1/subscriptions/${subscriptionA.id}/usage/series?granularity=hour`, answers.usageSeries],
      [`/v1/subscriptions/${subscriptionA.id}/allowance`, answers.allowance],
      ['/v1/partners/partner-x/customers', answers.partnerCustomers],
      ['/v1/subscriptions?limit=2', answers.subscriptionPage],
      ['/v1/partners?limit=1', answers.partnerPage],
      ['/v1/day-packs?partnerId=partner-x&limit=2', answers.dayPackPage],
    ] as const;
    for (const [path, schema] of routes) {
      const answer = await get(path, keys.publisher);
      expect(answer.statusCode).toBe(200);
      const body = bodyOf(answer);
      const parsed = schema.safeParse(body);

      // The schemas strip unknown fields, so the parsed value equals the body only when nothing is undescribed.
      expect(parsed.error?.issues ?? [], path).toEqual([]);
      expect(parsed.data, path).toEqual(body);
    }
  });
});
