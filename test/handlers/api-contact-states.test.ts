import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { DynamoLocalMailbox } from '#shared/adapters/dynamodb/dynamo-local-mailbox.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];

describe('contact states and SMS countries in the API (budgets, partners)', () => {
  let handler: Handler;
  let states: DynamoContactStates;
  let mailbox: DynamoLocalMailbox;
  let publisherKey = '';
  const tenant = `tenant-${randomUUID()}`;
  const subscription = aSubscription({ beneficiary: { tenantId: tenant } });
  const email = `it-${randomUUID().slice(0, 8)}@${tenant}.example`;

  const call = async (method: string, path: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey: publisherKey, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    ({ handler } = await import('#functions/api/handler.ts'));
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    states = new DynamoContactStates(documentClient, tableName);
    mailbox = new DynamoLocalMailbox(documentClient, tableName);
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    publisherKey = (await createApiKey(deps, aPublisher(), { name: 'publisher', role: 'publisher' })).token;
    await new DynamoSubscriptionStore(documentClient, tableName).put(subscription);
  });

  it('answers a saved budget with its contacts pending, sends each a confirmation, and shows the states later', async () => {
    const put = await call('PUT', `/v1/subscriptions/${subscription.id}/budget`, {
      plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
      locale: 'en',
      contacts: { emails: [email], phones: ['+819011112222'] },
    });

    expect(put.statusCode).toBe(200);
    expect(bodyOf(put).contactStates).toEqual([
      { channel: 'email', address: email, status: 'pending', since: expect.any(String), mutedRules: [] },
      { channel: 'sms', address: '+819011112222', status: 'pending', since: expect.any(String), mutedRules: [] },
    ]);
    const sent = (await mailbox.listRecent(50)).filter((m) => m.to === email);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('Contoso Analytics: please confirm your alert address');
    expect(sent[0]?.text).toContain('https://api.test.example/contacts/confirm?token=');

    await states.confirm({ channel: 'email', address: email }, new Date());
    await states.muteRule({ channel: 'email', address: email }, 'spike', new Date());
    const get = await call('GET', `/v1/subscriptions/${subscription.id}/budget`);

    expect(bodyOf(get).contactStates).toMatchObject([
      { address: email, status: 'active', mutedRules: ['spike'] },
      { address: '+819011112222', status: 'pending' },
    ]);
  });

  it('refuses a phone outside the allowed countries with 400 naming them, storing nothing', async () => {
    const put = await call('PUT', `/v1/partners/p-${randomUUID().slice(0, 8)}`, {
      name: 'Reseller',
      tenantId: `t-${randomUUID()}`,
      contacts: { phones: ['+12065550152'] },
    });

    expect(put.statusCode).toBe(400);
    expect(bodyOf(put)).toMatchObject({
      error: {
        code: 'ValidationError',
        field: 'contacts.phones[0]',
        message: expect.stringMatching(/\+12065550152 .*allowed: JP/),
      },
    });
    expect((await states.read([{ channel: 'sms', address: '+12065550152' }])).size).toBe(0);
  });

  it('answers a partner with its contacts’ states, and reads them back', async () => {
    const partnerId = `p-${randomUUID().slice(0, 8)}`;
    const address = `credit-${randomUUID().slice(0, 8)}@reseller.example`;
    await states.markUndeliverable({ channel: 'email', address }, 'bounced', new Date('2026-11-01T00:00:00Z'));

    const put = await call('PUT', `/v1/partners/${partnerId}`, {
      name: 'Reseller',
      tenantId: `t-${randomUUID()}`,
      locale: 'ja',
      contacts: { emails: [address] },
    });
    const get = await call('GET', `/v1/partners/${partnerId}`);

    expect(bodyOf(put).contactStates).toEqual([
      { channel: 'email', address, status: 'bounced', since: '2026-11-01T00:00:00.000Z', mutedRules: [] },
    ]);
    expect(bodyOf(get).contactStates).toEqual(bodyOf(put).contactStates);
    // A bounced address gets no confirmation message.
    expect((await mailbox.listRecent(50)).filter((m) => m.to === address)).toEqual([]);
  });
});
