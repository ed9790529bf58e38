import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoAlertSettingsReader } from '#shared/adapters/dynamodb/dynamo-alert-settings-reader.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { evaluateSubscriptionAlerts } from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { InMemoryAlertLog, RecordingPublisher } from '#test/helpers/in-memory-alert-log.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];

/**
 * Regression: a `PUT …/budget` with a 40-digit planned amount was accepted and stored padded to the minor unit (43
 * characters), and every read of it then failed its own validation — budget GET and PUT, `/usage` and partner linking
 * answered 400 for that subscription, and the alert evaluation failed on it for good.
 */
describe('budgets whose amounts are out of bounds, against DynamoDB Local', () => {
  let handler: Handler;
  let tableName: string;
  let publisherKey: string;
  const activatedAt = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 3));
  const timeline = [{ from: activatedAt.toISOString(), status: 'Subscribed' as const, planId: 'basic' }];
  const term = { startDate: activatedAt.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' as const };
  const fortyDigits = '1234567890123456789012345678901234567890';
  const levels = {
    warning: { amount: '100.00', currency: 'USD' },
    approvalRequired: { amount: '200.00', currency: 'USD' },
    purchaseBlocked: { amount: '300.00', currency: 'USD' },
  };

  const call = async (method: string, path: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey: publisherKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;

  /** A budget item as an older version stored it: the 40-digit amount padded to the USD minor unit. */
  const storeLegacyBudget = async (subscriptionId: string, customerId: string) => {
    const { documentClient } = localClients();
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `SUB#${subscriptionId}`,
          sk: 'BUDGET',
          type: 'Budget',
          gsi1pk: `CUSTOMER#${customerId}#BUDGETS`,
          gsi1sk: subscriptionId,
          subscriptionId,
          customerId,
          plannedMonthlyAmount: { amount: `${fortyDigits}.00`, currency: 'USD' },
          thresholds: ['0.5', '0.8', '1'],
          forecastAlert: false,
          spikeMinimumAmount: { amount: '12345678901234567890123456789012345678.90', currency: 'USD' },
          timeZone: 'UTC',
          locale: 'en',
          contacts: { emails: [], phones: [] },
        },
      }),
    );
  };

  const aStoredSubscription = async () => {
    const subscription = aSubscription({ beneficiary: { tenantId: `tenant-${Math.random()}` }, timeline, term });
    await new DynamoSubscriptionStore(localClients().documentClient, tableName).put(subscription);
    return subscription;
  };

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    tableName = resources[MAIN_TABLE.envVar] ?? '';
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const deps = {
      apiKeys: new DynamoApiKeyStore(localClients().documentClient, tableName),
      codec: apiKeyCodec,
      clock: systemClock,
    };
    publisherKey = (await createApiKey(deps, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    const partner = await call('PUT', '/v1/partners/partner-bounds', { name: 'Reseller', tenantId: 'tenant-reseller' });
    expect(partner.statusCode).toBe(200);
  });

  it('refuses a planned amount of 40 digits with a 400 naming the field, and stores nothing', async () => {
    const subscription = await aStoredSubscription();

    const put = await call('PUT', `/v1/subscriptions/${subscription.id}/budget`, {
      plannedMonthlyAmount: { amount: fortyDigits, currency: 'USD' },
    });
    const get = await call('GET', `/v1/subscriptions/${subscription.id}/budget`);

    expect(put.statusCode).toBe(400);
    expect(bodyOf(put)).toMatchObject({
      error: { field: 'plannedMonthlyAmount.amount', message: expect.stringContaining('15 digits') },
    });
    expect(get.statusCode).toBe(404);
  });

  it('takes the largest amount the rule allows and reads it back', async () => {
    const subscription = await aStoredSubscription();
    const largest = { amount: '999999999999999.99', currency: 'USD' };

    const put = await call('PUT', `/v1/subscriptions/${subscription.id}/budget`, { plannedMonthlyAmount: largest });
    const get = await call('GET', `/v1/subscriptions/${subscription.id}/budget`);

    expect(put.statusCode).toBe(200);
    expect(get.statusCode).toBe(200);
    expect(bodyOf(get)).toMatchObject({ plannedMonthlyAmount: largest });
  });

  it('refuses credit levels of 40 digits the same way', async () => {
    const subscription = await aStoredSubscription();

    const put = await call('PUT', `/v1/partners/partner-bounds/customers/${subscription.id}`, {
      ...levels,
      purchaseBlocked: { amount: fortyDigits, currency: 'USD' },
    });

    expect(put.statusCode).toBe(400);
    expect(bodyOf(put)).toMatchObject({ error: { field: 'purchaseBlocked.amount' } });
  });

  describe('a budget an older version stored with such an amount', () => {
    it('answers its GET with a 409 that says to replace it, and the subscription stays readable', async () => {
      const subscription = await aStoredSubscription();
      await storeLegacyBudget(subscription.id, subscription.beneficiary.tenantId);

      const get = await call('GET', `/v1/subscriptions/${subscription.id}/budget`);
      const usage = await call('GET', `/v1/subscriptions/${subscription.id}/usage`);
      const link = await call('PUT', `/v1/partners/partner-bounds/customers/${subscription.id}`, levels);

      expect(get.statusCode).toBe(409);
      expect(bodyOf(get)).toMatchObject({
        error: {
          code: 'StoredValueInvalidError',
          message: expect.stringContaining(`PUT /v1/subscriptions/${subscription.id}/budget to replace it`),
        },
      });
      expect(usage.statusCode).toBe(200);
      expect(link.statusCode).toBe(200);
    });

    it('is replaced by a PUT, which then reads back', async () => {
      const subscription = await aStoredSubscription();
      await storeLegacyBudget(subscription.id, subscription.beneficiary.tenantId);
      const planned = { amount: '1000.00', currency: 'USD' };

      const put = await call('PUT', `/v1/subscriptions/${subscription.id}/budget`, { plannedMonthlyAmount: planned });
      const get = await call('GET', `/v1/subscriptions/${subscription.id}/budget`);

      expect(put.statusCode).toBe(200);
      expect(get.statusCode).toBe(200);
      expect(bodyOf(get)).toMatchObject({ plannedMonthlyAmount: planned });
    });

    it('is skipped by the alert evaluation with a warning, read one by one or in a batch', async () => {
      const subscription = await aStoredSubscription();
      await storeLegacyBudget(subscription.id, subscription.beneficiary.tenantId);
      const { documentClient } = localClients();
      const warnings: { message: string; attributes: Record<string, unknown>[] }[] = [];
      const deps = {
        subscriptions: new DynamoSubscriptionStore(documentClient, tableName),
        budgets: new DynamoBudgetStore(documentClient, tableName),
        partners: new DynamoPartnerStore(documentClient, tableName),
        ledger: new DynamoUsageLedger(documentClient, tableName),
        catalog: await loadCatalog('infra/catalog/catalog.yaml'),
        alertLog: new InMemoryAlertLog(),
        publisher: new RecordingPublisher(),
        clock: systemClock,
        logger: {
          warn: (message: string, ...attributes: Record<string, unknown>[]) => warnings.push({ message, attributes }),
        },
      };

      const alone = await evaluateSubscriptionAlerts(deps, subscription.id);
      const settings = await new DynamoAlertSettingsReader(documentClient, tableName).readMany([subscription.id]);
      const batched = await evaluateSubscriptionAlerts(deps, subscription.id, settings.get(subscription.id));

      expect(alone.outcome).toBe('noSettings');
      expect(batched.outcome).toBe('noSettings');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatchObject({
        message: expect.stringContaining('Stored budget no longer validates'),
        attributes: [{ subscriptionId: subscription.id }],
      });
    });
  });
});
