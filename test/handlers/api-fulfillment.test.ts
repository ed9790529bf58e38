import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { Money } from '#shared/domain/money.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { type ApiGatewayHandler, projectApi } from '#test/helpers/api-functions.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { buyAndActivate, CUSTOMER_TENANT, eventually, serveWebhook } from '#test/helpers/fulfillment-flow.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type ApiHandler = ApiGatewayHandler;
type LandingHandler = typeof import('#functions/landing/handler.ts')['handler'];

/**
 * The publisher operations, the entitlement and the audit trail through the API function, against DynamoDB Local,
 * fauxqs and the marketplace emulator; the emulator's webhooks reach the real webhook function.
 */
describe('the API function: publisher operations, entitlement and audit trail', () => {
  let system: FunctionsWithEmulator;
  let api: ApiHandler;
  let landing: LandingHandler;
  let webhookEndpoint: { url: string; stop: () => Promise<void> };
  let tableName: string;
  const keys = { publisher: '', partner: '', customer: '', otherCustomer: '' };

  const call = async (method: string, path: string, apiKey?: string, body?: unknown) =>
    (await api(httpEvent(method, path, { apiKey, body }), aLambdaContext('Api'))) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator();
    tableName = process.env[MAIN_TABLE.envVar] ?? '';
    api = await projectApi();
    landing = asDeclaredFunction('Landing', (await import('#functions/landing/handler.ts')).handler);
    const webhook = asDeclaredFunction(
      'FulfillmentWebhook',
      (await import('#functions/fulfillment-webhook/handler.ts')).handler,
    );
    webhookEndpoint = await serveWebhook(webhook);
    system.emulator.control.setWebhookUrl(webhookEndpoint.url);
    const { documentClient } = localClients();
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.partner = await make({ name: 'partner', role: 'partner', partnerId: 'partner-x' });
    keys.customer = await make({ name: 'customer', role: 'customer', tenantId: CUSTOMER_TENANT });
    keys.otherCustomer = await make({ name: 'other', role: 'customer', tenantId: 'another-tenant' });
  });
  afterAll(async () => {
    await webhookEndpoint?.stop();
    await system?.stop();
  });

  describe('publisher operations', () => {
    it('changes the seats: 200 Succeeded, applied by the Partner webhook (never PATCHed), audited', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'team', quantity: 5 });
      await system.lifecycleEvents();

      const response = await call('POST', `/v1/subscriptions/${subscriptionId}/quantity`, keys.publisher, {
        quantity: 12,
      });

      expect(response.statusCode).toBe(200);
      const view = bodyOf(response);
      // In the store when the answer comes: applied here at the operation's time stamp, or by its webhook first.
      expect(view).toMatchObject({ subscriptionId, action: 'ChangeQuantity', status: 'Succeeded', done: true });
      expect(view.appliedBy).toBe('operation');
      expect((await system.subscriptions.get(subscriptionId))?.quantity).toBe(12);
      const stored = await eventually(async () => {
        const current = await system.subscriptions.get(subscriptionId);
        return current?.quantity === 12 && current;
      });
      expect(stored).toMatchObject({ status: 'Subscribed', planId: 'team', quantity: 12 });
      expect((await system.lifecycleEvents()).map((received) => received.event)).toEqual([
        expect.objectContaining({ type: 'QuantityChanged', quantity: 12, operationId: view.operationId }),
      ]);
      expect(system.emulator.control.operations(subscriptionId).at(-1)).toMatchObject({
        id: view.operationId,
        operationRequestSource: 'Partner',
        status: 'Succeeded',
      });
      const trail = (await system.audit.list(subscriptionId, { limit: 100 })).entries;
      expect(trail.filter((entry) => entry.what.startsWith('updateOperation'))).toEqual([]);
      expect(trail.find((entry) => entry.what === 'changeQuantity to 12')).toMatchObject({
        kind: 'marketplaceCall',
        result: '202',
      });
      expect(
        trail.find((entry) => entry.kind === 'webhook' && entry.what.includes(String(view.operationId))),
      ).toMatchObject({
        result: 'applied: QuantityChanged',
      });
    });

    it('changes the plan, then cancels; each is applied when its webhook arrives', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'basic', quantity: undefined });

      const plan = await call('POST', `/v1/subscriptions/${subscriptionId}/plan`, keys.publisher, { planId: 'team' });
      await eventually(async () => (await system.subscriptions.get(subscriptionId))?.planId === 'team');
      const cancel = await call('DELETE', `/v1/subscriptions/${subscriptionId}`, keys.publisher);
      await eventually(async () => (await system.subscriptions.get(subscriptionId))?.status === 'Unsubscribed');
      const again = await call('DELETE', `/v1/subscriptions/${subscriptionId}`, keys.publisher);

      expect([plan.statusCode, cancel.statusCode]).toEqual([200, 200]);
      expect(bodyOf(plan)).toMatchObject({ action: 'ChangePlan', status: 'Succeeded' });
      expect(bodyOf(cancel)).toMatchObject({ action: 'Unsubscribe', status: 'Succeeded' });
      expect(system.emulator.control.subscription(subscriptionId)?.saasSubscriptionStatus).toBe('Unsubscribed');
      expect(again.statusCode).toBe(409);
    });

    it('answers 400 naming the same-term rule to a plan sold for another term, and asks Microsoft nothing', async () => {
      // Basic is sold for one month billed monthly, Pro for one year billed monthly (infra/catalog/catalog.yaml).
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'basic', quantity: undefined });
      const operationsBefore = system.emulator.control.operations(subscriptionId).length;

      const response = await call('POST', `/v1/subscriptions/${subscriptionId}/plan`, keys.publisher, {
        planId: 'pro',
      });

      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(bodyOf(response))).toContain('same-term rule: plan \\"pro\\" does not sell');
      expect(system.emulator.control.operations(subscriptionId)).toHaveLength(operationsBefore);
    });

    it('answers 400 to a credit-level override without a reason, or a reason without the override', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'team', quantity: 5 });
      const path = `/v1/subscriptions/${subscriptionId}/quantity`;

      const noReason = await call('POST', path, keys.publisher, { quantity: 6, overrideCreditLevel: true });
      const noOverride = await call('POST', path, keys.publisher, { quantity: 6, reason: 'why not' });
      const notTrue = await call('POST', path, keys.publisher, {
        quantity: 6,
        overrideCreditLevel: false,
        reason: 'x',
      });

      expect([noReason.statusCode, noOverride.statusCode, notTrue.statusCode]).toEqual([400, 400, 400]);
      expect(JSON.stringify(bodyOf(noReason))).toContain('overrideCreditLevel needs a reason');
    });

    it('reads an operation again by its id', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const started = bodyOf(
        await call('POST', `/v1/subscriptions/${subscriptionId}/quantity`, keys.publisher, { quantity: 6 }),
      );

      const response = await call(
        'GET',
        `/v1/subscriptions/${subscriptionId}/operations/${started.operationId}`,
        keys.publisher,
      );
      const unknown = await call(
        'GET',
        `/v1/subscriptions/${subscriptionId}/operations/00000000-0000-4000-8000-000000000000`,
        keys.publisher,
      );

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toMatchObject({ operationId: started.operationId, status: 'Succeeded', done: true });
      expect(unknown.statusCode).toBe(404);
    });

    it('answers 404 for an operation of a subscription it does not store, without asking Microsoft or auditing', async () => {
      const unknownId = `unknown-${Date.now()}`;

      const response = await call('GET', `/v1/subscriptions/${unknownId}/operations/some-operation`, keys.publisher);

      expect(response.statusCode).toBe(404);
      const { documentClient } = localClients();
      const items = await documentClient.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `SUB#${unknownId}` },
        }),
      );
      expect(items.Items ?? []).toEqual([]);
    });

    it.each([
      [
        'more seats than the catalog allows',
        'quantity',
        { quantity: 60 },
        /outside the seat limits of plan "team" \(1 to 50\)/,
      ],
      ['a plan the catalog does not have', 'plan', { planId: 'platinum' }, /plan "platinum" is not in the catalog/],
      ['the plan it is on', 'plan', { planId: 'team' }, /already on plan "team"/],
      ['a body with an unknown field', 'quantity', { quantity: 7, seats: 7 }, /seats/],
      ['a quantity that is not a whole number', 'quantity', { quantity: 2.5 }, /quantity/],
    ])('answers 400 to %s and asks Microsoft nothing', async (_case, what, body, message) => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const operationsBefore = system.emulator.control.operations(subscriptionId).length;

      const response = await call('POST', `/v1/subscriptions/${subscriptionId}/${what}`, keys.publisher, body);

      expect(response.statusCode).toBe(400);
      const error = bodyOf(response).error as { message: string; field?: string };
      expect(`${error.field} ${error.message}`).toMatch(message);
      expect(system.emulator.control.operations(subscriptionId)).toHaveLength(operationsBefore);
    });

    it('answers 401 without a key, 403 to partner and customer keys (whatever the body), 404 for an unknown subscription', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const path = `/v1/subscriptions/${subscriptionId}/quantity`;

      expect((await call('POST', path, undefined, { quantity: 7 })).statusCode).toBe(401);
      expect((await call('POST', path, keys.partner, { quantity: 7 })).statusCode).toBe(403);
      expect((await call('POST', path, keys.customer, { nonsense: true })).statusCode).toBe(403);
      expect((await call('DELETE', `/v1/subscriptions/${subscriptionId}`, keys.customer)).statusCode).toBe(403);
      expect(
        (await call('GET', `/v1/subscriptions/${subscriptionId}/operations/some-operation`, keys.partner)).statusCode,
      ).toBe(403);
      expect(
        (await call('POST', '/v1/subscriptions/no-such-subscription/plan', keys.publisher, { planId: 'pro' }))
          .statusCode,
      ).toBe(404);
      expect(system.emulator.control.subscription(subscriptionId)?.quantity).toBe(5);
    });
  });

  describe('entitlement', () => {
    it('tells the customer whether it may use the subscription, on which plan, until when, and how much is left', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'basic', quantity: undefined });
      const { documentClient } = localClients();
      const now = new Date();
      const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString();
      await applyUsageMessage(
        { ledger: new DynamoUsageLedger(documentClient, tableName, systemClock) },
        aUsageMessage({
          slots: [aSlot({ subscriptionId, dimension: 'api-calls', hour, quantity: '30' })],
        }),
      );

      const response = await call('GET', `/v1/subscriptions/${subscriptionId}/entitlement`, keys.customer);

      expect(response.statusCode).toBe(200);
      const remote = system.emulator.control.subscription(subscriptionId) as unknown as {
        term: Record<string, string>;
      };
      expect(bodyOf(response)).toMatchObject({
        subscriptionId,
        status: 'Subscribed',
        entitled: true,
        offerId: 'contoso-analytics',
        planId: 'basic',
        quantity: null,
        term: { startDate: remote.term.startDate, endDate: remote.term.endDate, termUnit: 'P1M' },
        prepaidTermEnd: null,
        included: [
          { dimension: 'api-calls', included: '100', used: '30', remaining: '70' },
          { dimension: 'gb-processed', included: '50', used: '0', remaining: '50' },
          { dimension: 'reports', included: '10', used: '0', remaining: '10' },
        ],
        purchaseBlocked: false,
      });
    });

    it('reports purchases blocked once the reseller’s purchase-blocked credit level is exceeded', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'basic', quantity: undefined });
      const { documentClient } = localClients();
      const usd = (amount: string) => Money.of(amount, 'USD');
      await new DynamoPartnerStore(documentClient, tableName).putCreditLink({
        partnerId: 'partner-x',
        customerId: CUSTOMER_TENANT,
        subscriptionId,
        // The flat fee of `basic` (100.00 USD a month) is above all three levels.
        levels: { warning: usd('1.00'), approvalRequired: usd('2.00'), purchaseBlocked: usd('3.00') },
      });

      const response = await call('GET', `/v1/subscriptions/${subscriptionId}/entitlement`, keys.publisher);

      expect(bodyOf(response)).toMatchObject({
        entitled: true,
        purchaseBlocked: true,
        // This month's charges are above the level: a live reason, computed at each request, with no start to name.
        purchaseBlock: { reason: 'chargesOverLevel', since: null, purchaseBlockedLevel: { amount: '3.00' } },
      });
    });

    /**
     * Seed 「月初、最大利用額が購入不可金額を超過している時」: last month's $550.00 (the $100.00 fee of `basic` and 900
     * calls above the 100 included at $0.50) is above the purchase-blocked $400.00, this month's charges are not.
     * The partner has no time zone and the publisher sets none: its months are UTC months.
     */
    async function aCustomerBlockedAtMonthStart(plan: { planId: string; quantity?: number } = { planId: 'basic' }) {
      const now = new Date();
      const activatedAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 3));
      const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10));
      const subscription = aSubscription({
        beneficiary: { tenantId: CUSTOMER_TENANT },
        purchaser: { tenantId: CUSTOMER_TENANT },
        partnerId: 'partner-x',
        ...plan,
        term: { startDate: activatedAt.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' },
        timeline: [{ from: activatedAt.toISOString(), status: 'Subscribed', ...plan }],
      });
      await system.subscriptions.put(subscription);
      const { documentClient } = localClients();
      await applyUsageMessage(
        { ledger: new DynamoUsageLedger(documentClient, tableName, systemClock) },
        aUsageMessage({
          slots: [
            aSlot({
              subscriptionId: subscription.id,
              dimension: 'api-calls',
              hour: lastMonth.toISOString(),
              quantity: '1000',
            }),
          ],
        }),
      );
      const usd = (amount: string) => Money.of(amount, 'USD');
      await new DynamoPartnerStore(documentClient, tableName).putCreditLink({
        partnerId: 'partner-x',
        customerId: CUSTOMER_TENANT,
        subscriptionId: subscription.id,
        levels: { warning: usd('200.00'), approvalRequired: usd('300.00'), purchaseBlocked: usd('400.00') },
        purchaseBlockedLevelSetAt: activatedAt,
      });
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const nextMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      return {
        subscriptionId: subscription.id,
        monthStart,
        nextMonthStart,
        lastMonthKey: lastMonth.toISOString().slice(0, 7),
      };
    }

    it('reports a month-start purchase block with its reason and since when, to the publisher and the customer', async () => {
      const { subscriptionId, monthStart, nextMonthStart, lastMonthKey } = await aCustomerBlockedAtMonthStart();

      const forPublisher = await call('GET', `/v1/subscriptions/${subscriptionId}/entitlement`, keys.publisher);
      const forCustomer = await call('GET', `/v1/subscriptions/${subscriptionId}/entitlement`, keys.customer);

      expect(forPublisher.statusCode).toBe(200);
      expect(bodyOf(forPublisher)).toMatchObject({
        entitled: true,
        purchaseBlocked: true,
        purchaseBlock: {
          reason: 'monthStartCheck',
          since: monthStart.toISOString(),
          until: nextMonthStart.toISOString(),
          month: lastMonthKey,
          amount: { amount: '550.00', currency: 'USD' },
          purchaseBlockedLevel: { amount: '400.00', currency: 'USD' },
        },
      });
      expect(bodyOf(forCustomer)).toMatchObject({
        purchaseBlocked: true,
        purchaseBlock: { reason: 'monthStartCheck' },
      });
    });

    it('refuses the publisher’s price-raising plan change while purchases are blocked, until the partner releases it', async () => {
      // 30 Team seats: 450 USD a month, above the purchase-blocked level (400 USD) at the month-start check.
      const { subscriptionId } = await aCustomerBlockedAtMonthStart({ planId: 'team', quantity: 30 });
      const operationsBefore = system.emulator.control.operations(subscriptionId).length;

      const refused = await call('POST', `/v1/subscriptions/${subscriptionId}/quantity`, keys.publisher, {
        quantity: 40,
      });
      const release = await call(
        'POST',
        `/v1/partners/partner-x/customers/${subscriptionId}/purchase-block-release`,
        keys.partner,
      );
      const again = await call(
        'POST',
        `/v1/partners/partner-x/customers/${subscriptionId}/purchase-block-release`,
        keys.partner,
      );
      const after = await call('GET', `/v1/subscriptions/${subscriptionId}/entitlement`, keys.publisher);

      expect(refused.statusCode).toBe(409);
      expect(bodyOf(refused)).toMatchObject({
        error: { message: expect.stringContaining("Refused by the reseller's credit levels") },
      });
      expect(JSON.stringify(bodyOf(refused))).toContain('month-start credit check');
      // Refused before Microsoft was asked anything, and the partner is told, as for a marketplace refusal.
      expect(system.emulator.control.operations(subscriptionId)).toHaveLength(operationsBefore);
      const history = bodyOf(await call('GET', '/v1/alerts?recipient=partner:partner-x', keys.publisher));
      expect(JSON.stringify(history)).toContain('purchaseChangeRejected');
      expect(JSON.stringify(history)).toContain(subscriptionId);
      expect(release.statusCode).toBe(200);
      expect(bodyOf(release)).toMatchObject({
        subscriptionId,
        release: { by: 'partner:partner-x' },
        released: { reason: 'monthStartCheck' },
      });
      expect(again.statusCode).toBe(409);
      // The month-start block is released; 30 seats still cost more than the level this month, which blocks on its own.
      expect(bodyOf(after).purchaseBlock).not.toMatchObject({ reason: 'monthStartCheck' });
    });

    it('answers 401 without a key, 403 to another customer or partner, 404 for an unknown subscription', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const path = `/v1/subscriptions/${subscriptionId}/entitlement`;

      expect((await call('GET', path)).statusCode).toBe(401);
      expect((await call('GET', path, keys.otherCustomer)).statusCode).toBe(403);
      expect((await call('GET', path, keys.partner)).statusCode).toBe(403);
      expect((await call('GET', '/v1/subscriptions/no-such-subscription/entitlement', keys.publisher)).statusCode).toBe(
        404,
      );
    });
  });

  describe('audit trail', () => {
    it('pages the trail newest first for the publisher', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const all = bodyOf(await call('GET', `/v1/subscriptions/${subscriptionId}/audit?limit=100`, keys.publisher));
      const entries = all.entries as { at: string; what: string }[];

      const first = bodyOf(await call('GET', `/v1/subscriptions/${subscriptionId}/audit?limit=2`, keys.publisher));
      const second = bodyOf(
        await call(
          'GET',
          `/v1/subscriptions/${subscriptionId}/audit?limit=2&cursor=${encodeURIComponent(String(first.nextCursor))}`,
          keys.publisher,
        ),
      );

      expect(entries.length).toBeGreaterThanOrEqual(4);
      expect(entries.map((entry) => entry.at)).toEqual([...entries.map((entry) => entry.at)].sort().reverse());
      expect(entries.some((entry) => entry.what.startsWith('activate plan team'))).toBe(true);
      expect([...(first.entries as unknown[]), ...(second.entries as unknown[])]).toEqual(entries.slice(0, 4));
    });

    it('answers 403 to partner and customer keys, 400 to a bad limit or cursor, 404 for an id nothing is known of', async () => {
      const subscriptionId = await buyAndActivate(system.emulator, landing);
      const path = `/v1/subscriptions/${subscriptionId}/audit`;

      expect((await call('GET', path)).statusCode).toBe(401);
      expect((await call('GET', path, keys.customer)).statusCode).toBe(403);
      expect((await call('GET', path, keys.partner)).statusCode).toBe(403);
      expect((await call('GET', `${path}?limit=0`, keys.publisher)).statusCode).toBe(400);
      expect((await call('GET', `${path}?cursor=not-a-cursor`, keys.publisher)).statusCode).toBe(400);
      expect((await call('GET', '/v1/subscriptions/no-such-subscription/audit', keys.publisher)).statusCode).toBe(404);
    });
  });
});
