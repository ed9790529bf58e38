import { randomUUID } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { type AlertCandidate, alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf, toAlertNotification } from '#shared/domain/alerts/alert-message.ts';
import { ENV } from '#shared/env-names.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { deliverAlerts } from '#shared/use-cases/alerts/deliver-alert.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { oneCandidatePerRule, yen } from '#test/builders/alerts.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];

describe('the local alert outbox (GET /v1/outbox) on fauxqs', () => {
  let handler: Handler;
  let publisher: SnsAlertPublisher;
  let alertLog: DynamoAlertLog;
  const keys = { publisher: '', customerA: '' };
  const subscriptionA = aSubscription({ beneficiary: { tenantId: `tenant-a-${randomUUID()}` } });
  const customerA = subscriptionA.beneficiary.tenantId;

  const call = async (method: string, path: string, apiKey?: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    const { documentClient, sqs, sns } = localClients();
    // What the lead's local mode does: a queue for the outbox, named to the API by its environment variable.
    const outbox = await sqs.send(new CreateQueueCommand({ QueueName: `alerts-outbox-${randomUUID()}` }));
    process.env[ENV.alertsOutboxQueueUrl] = outbox.QueueUrl;
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    publisher = new SnsAlertPublisher(sns, resources[ALERTS_TOPIC.envVar] ?? '');
    alertLog = new DynamoAlertLog(documentClient, tableName);
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    keys.publisher = (await createApiKey(deps, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    keys.customerA = (
      await createApiKey(deps, aPublisher(), { name: 'customer a', role: 'customer', tenantId: customerA })
    ).token;
    await new DynamoSubscriptionStore(documentClient, tableName).put(subscriptionA);
  });

  it('shows the alerts of registered recipients once each, keeps them across reads, and nothing else', async () => {
    // Settings register the outbox for the customer and the partner, with their own filter policies.
    const budget = await call('PUT', `/v1/subscriptions/${subscriptionA.id}/budget`, keys.customerA, {
      plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
    });
    const partner = await call('PUT', '/v1/partners/partner-outbox', keys.publisher, {
      name: 'Reseller',
      tenantId: `tenant-${randomUUID()}`,
    });
    expect([budget.statusCode, partner.statusCode]).toEqual([200, 200]);
    const templates = oneCandidatePerRule(() => yen('120000'));
    const about = (template: AlertCandidate, kind: 'customer' | 'partner', id: string) =>
      ({
        ...template,
        recipient: { kind, id },
        customerId: customerA,
        subscriptionId: subscriptionA.id,
      }) as AlertCandidate;
    const forCustomer = about(templates.budgetThreshold, 'customer', customerA);
    const forPartner = about(templates.chargesOverCreditLevel, 'partner', 'partner-outbox');
    const forNobodyRegistered = about(templates.spike, 'customer', `tenant-z-${randomUUID()}`);
    const deps = { alertLog, publisher, clock: systemClock };

    await deliverAlerts(
      deps,
      [forCustomer, forPartner, forNobodyRegistered].map((candidate) => ({ candidate, locale: 'en' })),
    );
    await deliverAlerts(
      deps,
      [forCustomer, forPartner].map((candidate) => ({ candidate, locale: 'en' })),
    );
    const first = await call('GET', '/v1/outbox', keys.publisher);
    const second = await call('GET', '/v1/outbox?limit=10', keys.publisher);

    expect(first.statusCode).toBe(200);
    const messages = (bodyOf(first).messages ?? []) as { recipient: string; rule: string; subject: string }[];
    expect(messages.map((m) => `${m.recipient} ${m.rule}`).sort()).toEqual(
      [`customer:${customerA} budgetThreshold`, 'partner:partner-outbox chargesOverCreditLevel'].sort(),
    );
    expect(messages.every((m) => m.subject.length > 0)).toBe(true);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    // Each shows the alert's JSON form as published, but for the customer id and the facts.
    const recorded = await alertLog.get(alertKey(forCustomer));
    if (!recorded) throw new Error('the customer alert was not recorded');
    const { customerId, facts, ...shown } = toAlertNotification(
      alertMessageOf(recorded.key, recorded.candidate, recorded.message),
    );
    expect([customerId, Object.keys(facts).length > 0]).toEqual([customerA, true]);
    expect(messages.find((m) => m.rule === 'budgetThreshold')).toEqual({
      ...shown,
      messageId: expect.any(String),
      sentAt: expect.any(String),
    });
  });

  it('is for the publisher only', async () => {
    expect((await call('GET', '/v1/outbox', keys.customerA)).statusCode).toBe(403);
    expect((await call('GET', '/v1/outbox?limit=0', keys.publisher)).statusCode).toBe(400);
  });
});
