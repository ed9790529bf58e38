import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
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

describe('the API’s usage and alert routes against DynamoDB Local and fauxqs', () => {
  let handler: Handler;
  let topicArn: string;
  let table: string;
  const keys = { publisher: '', partnerX: '', partnerY: '', customerA: '', customerB: '' };
  const currentHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  // Activated two months ago, so the usage view has closed months and the current one.
  const activatedAt = new Date(Date.UTC(currentHour.getUTCFullYear(), currentHour.getUTCMonth() - 2, 3));
  const timeline = [{ from: activatedAt.toISOString(), status: 'Subscribed' as const, planId: 'basic' }];
  const term = { startDate: activatedAt.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' as const };
  const subscriptionA = aSubscription({ beneficiary: { tenantId: 'tenant-a' }, timeline, term });
  const subscriptionB = aSubscription({ beneficiary: { tenantId: 'tenant-b' }, timeline, term });
  const budget = {
    plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
    timeZone: 'Asia/Tokyo',
    locale: 'ja',
    contacts: { emails: ['it@tenant-a.example'], phones: ['+819012345678'] },
  };
  const levels = {
    warning: { amount: '100000', currency: 'JPY' },
    approvalRequired: { amount: '150000', currency: 'JPY' },
    purchaseBlocked: { amount: '200000', currency: 'JPY' },
  };

  const call = async (method: string, path: string, apiKey?: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    topicArn = resources[ALERTS_TOPIC.envVar] ?? '';
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    table = tableName;
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.partnerX = await make({ name: 'partner x', role: 'partner', partnerId: 'partner-x' });
    keys.partnerY = await make({ name: 'partner y', role: 'partner', partnerId: 'partner-y' });
    keys.customerA = await make({ name: 'customer a', role: 'customer', tenantId: 'tenant-a' });
    keys.customerB = await make({ name: 'customer b', role: 'customer', tenantId: 'tenant-b' });
    const subscriptions = new DynamoSubscriptionStore(documentClient, tableName);
    await subscriptions.put(subscriptionA);
    await subscriptions.put(subscriptionB);
    const ledger = new DynamoUsageLedger(documentClient, tableName);
    await applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({
        slots: [aSlot({ subscriptionId: subscriptionA.id, hour: currentHour.toISOString(), quantity: '150' })],
      }),
    );
  });

  describe('budgets', () => {
    it('lets the customer set and read its budget, registering its contacts as pending, none on the topic', async () => {
      const put = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.customerA, budget);
      const get = await call('GET', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.customerA);

      expect(put.statusCode).toBe(200);
      expect(bodyOf(put)).toMatchObject({
        customerId: 'tenant-a',
        plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
        thresholds: ['0.5', '0.8', '1'],
      });
      expect(bodyOf(get)).toEqual(bodyOf(put));
      const { sns, documentClient } = localClients();
      const states = await new DynamoContactStates(documentClient, table).read([
        { channel: 'email', address: 'it@tenant-a.example' },
        { channel: 'sms', address: '+819012345678' },
      ]);
      expect([...states.values()].map((state) => [state.contact.address, state.status])).toEqual([
        ['it@tenant-a.example', 'pending'],
        ['+819012345678', 'pending'],
      ]);
      // The topic's only subscriber is the notifications queue: no per-contact subscription, no filter-policy limit.
      const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
      expect((listed.Subscriptions ?? []).map((s) => s.Protocol)).toEqual(['sqs']);
    });

    it("refuses another customer's budget, a partner's, and a missing key", async () => {
      expect(
        (await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.customerB, budget)).statusCode,
      ).toBe(403);
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.customerB)).statusCode).toBe(403);
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.partnerX)).statusCode).toBe(403);
      expect((await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, undefined, budget)).statusCode).toBe(
        401,
      );
    });

    it('answers 400 naming the field for a bad body, and changes nothing', async () => {
      const before = bodyOf(await call('GET', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher));
      const asNumber = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher, {
        ...budget,
        plannedMonthlyAmount: { amount: 100000, currency: 'JPY' },
      });
      const unknownField = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher, {
        ...budget,
        plannedAmount: 1,
      });
      const badZone = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher, {
        ...budget,
        timeZone: 'Mars/Olympus',
      });
      const badPhone = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher, {
        ...budget,
        contacts: { phones: ['090-1234-5678'] },
      });

      for (const response of [asNumber, unknownField, badZone, badPhone]) expect(response.statusCode).toBe(400);
      expect(bodyOf(asNumber)).toMatchObject({ error: { field: 'body.plannedMonthlyAmount.amount' } });
      expect(bodyOf(badZone)).toMatchObject({ error: { field: 'timeZone' } });
      expect(bodyOf(badPhone)).toMatchObject({ error: { field: 'contacts.phones[0]' } });
      expect(bodyOf(await call('GET', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.publisher))).toEqual(before);
    });
  });

  describe('partners, credit levels and approvals', () => {
    const partner = {
      name: 'Reseller X',
      tenantId: 'tenant-partner-x',
      locale: 'ja',
      contacts: { emails: ['x@r.example'] },
    };

    it('lets the publisher register a partner that then reads itself, and no other partner', async () => {
      expect((await call('PUT', '/v1/partners/partner-x', keys.publisher, partner)).statusCode).toBe(200);
      expect((await call('PUT', '/v1/partners/partner-x', keys.partnerX, partner)).statusCode).toBe(403);
      expect(bodyOf(await call('GET', '/v1/partners/partner-x', keys.partnerX))).toMatchObject({ id: 'partner-x' });
      expect((await call('GET', '/v1/partners/partner-x', keys.partnerY)).statusCode).toBe(403);
      expect((await call('GET', '/v1/partners/partner-x', keys.customerA)).statusCode).toBe(403);
      expect((await call('GET', '/v1/partners/partner-y', keys.partnerY)).statusCode).toBe(404);
      expect((await call('PUT', '/v1/partners/partner-z', keys.publisher, { ...partner, name: 'Z' })).statusCode).toBe(
        409,
      );
    });

    it('stores the partner’s time zone for its months and reads it back, refusing one that is not a zone', async () => {
      const put = await call('PUT', '/v1/partners/partner-x', keys.publisher, { ...partner, timeZone: 'Asia/Tokyo' });
      const got = await call('GET', '/v1/partners/partner-x', keys.partnerX);
      const bad = await call('PUT', '/v1/partners/partner-x', keys.publisher, { ...partner, timeZone: 'Tokyo' });

      expect(put.statusCode).toBe(200);
      expect(bodyOf(got)).toMatchObject({ id: 'partner-x', timeZone: 'Asia/Tokyo' });
      expect(bad.statusCode).toBe(400);
      expect(bodyOf(bad)).toMatchObject({ error: { field: 'timeZone' } });
      expect(bodyOf(await call('GET', '/v1/partners/partner-x', keys.partnerX))).toMatchObject({
        timeZone: 'Asia/Tokyo',
      });
    });

    it('links a customer to the partner, whose key then reaches the subscription; other partners’ do not', async () => {
      await call('PUT', '/v1/partners/partner-x', keys.publisher, partner);
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}`, keys.partnerX)).statusCode).toBe(403);

      const linked = await call('PUT', `/v1/partners/partner-x/customers/${subscriptionA.id}`, keys.publisher, levels);

      expect(linked.statusCode).toBe(200);
      expect(bodyOf(linked)).toMatchObject({
        partnerId: 'partner-x',
        customerId: 'tenant-a',
        // From this instant the month-start check of this month is the current status (a link made mid-month).
        purchaseBlockedLevelSetAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}`, keys.partnerX)).statusCode).toBe(200);
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}`, keys.partnerY)).statusCode).toBe(403);
      expect(
        (await call('PUT', `/v1/partners/partner-y/customers/${subscriptionA.id}`, keys.partnerY, levels)).statusCode,
      ).toBe(404);
      expect(
        (await call('PUT', `/v1/partners/partner-x/customers/${subscriptionB.id}`, keys.partnerX, levels)).statusCode,
      ).toBe(403);
      const notIncreasing = await call('PUT', `/v1/partners/partner-x/customers/${subscriptionA.id}`, keys.publisher, {
        ...levels,
        purchaseBlocked: { amount: '1', currency: 'JPY' },
      });
      expect(notIncreasing.statusCode).toBe(400);
    });

    it('lets the partner set the credit levels of its own customer, the publisher of any; nobody else (docs/alerts.md)', async () => {
      await call('PUT', '/v1/partners/partner-x', keys.publisher, partner);
      await call('PUT', '/v1/partners/partner-y', keys.publisher, {
        ...partner,
        name: 'Reseller Y',
        tenantId: 'tenant-partner-y',
      });
      const path = `/v1/partners/partner-x/customers/${subscriptionA.id}`;
      const raised = {
        ...levels,
        approvalRequired: { amount: '160000', currency: 'JPY' },
        purchaseBlocked: { amount: '210000', currency: 'JPY' },
      };

      const byPublisher = await call('PUT', path, keys.publisher, levels);
      const byItsPartner = await call('PUT', path, keys.partnerX, raised);
      const byOtherPartner = await call('PUT', path, keys.partnerY, raised);
      const byOtherPartnerAsItself = await call(
        'PUT',
        `/v1/partners/partner-y/customers/${subscriptionA.id}`,
        keys.partnerY,
        raised,
      );
      const byCustomer = await call('PUT', path, keys.customerA, raised);

      expect(byPublisher.statusCode).toBe(200);
      expect(byItsPartner.statusCode).toBe(200);
      expect(bodyOf(byItsPartner)).toMatchObject({
        partnerId: 'partner-x',
        levels: { purchaseBlocked: { amount: '210000', currency: 'JPY' } },
      });
      expect([byOtherPartner.statusCode, byOtherPartnerAsItself.statusCode, byCustomer.statusCode]).toEqual([
        403, 403, 403,
      ]);
      // The refused keys changed nothing: the levels are still the ones partner-x set.
      expect(bodyOf(await call('PUT', path, keys.publisher, levels))).toMatchObject({
        levels: { purchaseBlocked: { amount: '200000', currency: 'JPY' } },
      });
    });

    it('lets the partner approve a change for its customer, and nobody else', async () => {
      await call('PUT', '/v1/partners/partner-x', keys.publisher, partner);
      await call('PUT', `/v1/partners/partner-x/customers/${subscriptionA.id}`, keys.publisher, levels);
      const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const approval = { subscriptionId: subscriptionA.id, planId: 'pro', expiresAt };

      const created = await call('POST', '/v1/partners/partner-x/approvals', keys.partnerX, approval);

      expect(created.statusCode).toBe(201);
      expect(bodyOf(created)).toMatchObject({
        partnerId: 'partner-x',
        planId: 'pro',
        subscriptionId: subscriptionA.id,
      });
      expect((await call('POST', '/v1/partners/partner-x/approvals', keys.partnerY, approval)).statusCode).toBe(403);
      expect((await call('POST', '/v1/partners/partner-x/approvals', keys.customerA, approval)).statusCode).toBe(403);
      const past = await call('POST', '/v1/partners/partner-x/approvals', keys.partnerX, {
        ...approval,
        expiresAt: '2020-01-01T00:00:00Z',
      });
      expect(past.statusCode).toBe(400);
    });
  });

  describe('usage month by month', () => {
    it('shows the owner the months, the money and the usage per dimension', async () => {
      const response = await call(
        'GET',
        `/v1/subscriptions/${subscriptionA.id}/usage?months=3&currency=JPY`,
        keys.customerA,
      );

      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as {
        months: { month: string; dimensions: unknown[] }[];
        currency: string;
        currencies: string[];
      };
      expect(body.currency).toBe('JPY');
      // What the portal's budget form offers: the currencies the plan is priced in (EUR is refused below).
      expect(body.currencies).toContain('JPY');
      expect(body.currencies).not.toContain('EUR');
      expect(body.months).toHaveLength(3);
      // 150 calls this hour: 100 included, 50 above at ¥75 (basic plan of the sample catalog).
      expect(body.months.at(-1)?.dimensions).toEqual([
        expect.objectContaining({
          dimensionId: 'api-calls',
          displayName: 'API calls',
          quantity: '150',
          overageQuantity: '50',
          amount: { currency: 'JPY', amount: '3750' },
        }),
      ]);
    });

    it('refuses another customer or partner, and a bad query', async () => {
      expect((await call('GET', `/v1/subscriptions/${subscriptionA.id}/usage`, keys.customerB)).statusCode).toBe(403);
      expect((await call('GET', `/v1/subscriptions/${subscriptionB.id}/usage`, keys.partnerX)).statusCode).toBe(403);
      expect(
        (await call('GET', `/v1/subscriptions/${subscriptionA.id}/usage?months=20`, keys.publisher)).statusCode,
      ).toBe(400);
      expect(
        (await call('GET', `/v1/subscriptions/${subscriptionA.id}/usage?currency=EUR`, keys.publisher)).statusCode,
      ).toBe(400);
      expect(
        (await call('GET', `/v1/subscriptions/${subscriptionA.id}/usage?color=red`, keys.publisher)).statusCode,
      ).toBe(400);
    });
  });

  describe('alert history and outbox', () => {
    it('serves each recipient its own history and refuses others', async () => {
      const own = await call('GET', '/v1/alerts', keys.customerA);
      const forbidden = await call('GET', '/v1/alerts?recipient=partner:partner-x', keys.partnerY);
      const unspecified = await call('GET', '/v1/alerts', keys.publisher);
      const malformed = await call('GET', '/v1/alerts?recipient=nobody', keys.publisher);

      expect(own.statusCode).toBe(200);
      expect(bodyOf(own)).toEqual({ alerts: [] });
      expect(forbidden.statusCode).toBe(403);
      expect(unspecified.statusCode).toBe(400);
      expect(malformed.statusCode).toBe(400);
    });

    it('has no outbox outside the local mode', async () => {
      expect((await call('GET', '/v1/outbox', keys.publisher)).statusCode).toBe(404);
    });
  });
});
