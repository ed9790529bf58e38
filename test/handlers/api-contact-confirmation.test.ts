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
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

const errorOf = (answer: unknown) => bodyOf(answer).error as { code: string; message: string; field?: string };

type Handler = typeof import('#functions/api/handler.ts')['handler'];

/**
 * `POST …/contacts/{contact}/confirmation` through the real API handler on DynamoDB Local, with the local mailbox as
 * the channel: who may ask, and the 4xx answers each say what to do.
 */
describe('asking a contact to confirm again through the API', () => {
  let handler: Handler;
  let states: DynamoContactStates;
  let mailbox: DynamoLocalMailbox;
  const keys = { publisher: '', customer: '', otherCustomer: '', partner: '', otherPartner: '' };
  const run = randomUUID().slice(0, 8);
  const tenant = `tenant-${run}`;
  const subscription = aSubscription({ beneficiary: { tenantId: tenant } });
  const partnerId = `reseller-${run}`;
  const budgetEmail = `billing-${run}@fabrikam.example`;
  const optedOutEmail = `left-${run}@fabrikam.example`;
  const partnerPhone = `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

  const call = async (method: string, path: string, key: string, body?: unknown) =>
    (await handler(
      httpEvent(method, path, { apiKey: key, body }),
      aLambdaContext('Api'),
    )) as APIGatewayProxyStructuredResultV2;
  const ask = (key: string, contact: string) =>
    call('POST', `/v1/subscriptions/${subscription.id}/contacts/${encodeURIComponent(contact)}/confirmation`, key);
  const askPartner = (key: string, contact: string) =>
    call('POST', `/v1/partners/${partnerId}/contacts/${encodeURIComponent(contact)}/confirmation`, key);
  /** As if the last confirmation message had never been sent (the claim given back), so the next ask may send. */
  const forgetLastConfirmation = async (contact: ContactAddress) => {
    const sentAt = (await states.read([contact])).get(contactKey(contact))?.confirmationSentAt;
    if (sentAt) await states.release(contact, new Date(sentAt));
  };
  const sentTo = async (to: string) => (await mailbox.listRecent(200)).filter((message) => message.to === to);

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    ({ handler } = await import('#functions/api/handler.ts'));
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    states = new DynamoContactStates(documentClient, tableName);
    mailbox = new DynamoLocalMailbox(documentClient, tableName);
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, tableName), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.customer = await make({ name: 'customer', role: 'customer', tenantId: tenant });
    keys.otherCustomer = await make({ name: 'other', role: 'customer', tenantId: `other-${run}` });
    keys.partner = await make({ name: 'partner', role: 'partner', partnerId });
    keys.otherPartner = await make({ name: 'other partner', role: 'partner', partnerId: `other-${run}` });
    await new DynamoSubscriptionStore(documentClient, tableName).put(subscription);
    const budget = await call('PUT', `/v1/subscriptions/${subscription.id}/budget`, keys.customer, {
      plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
      locale: 'ja',
      contacts: { emails: [budgetEmail, optedOutEmail] },
    });
    expect(budget.statusCode).toBe(200);
    const partner = await call('PUT', `/v1/partners/${partnerId}`, keys.publisher, {
      name: 'Reseller',
      tenantId: `partner-tenant-${run}`,
      contacts: { phones: [partnerPhone] },
    });
    expect(partner.statusCode).toBe(200);
  });

  it('answers 429 with Retry-After for a pending contact sent its message less than 24 hours ago', async () => {
    const answer = await ask(keys.customer, budgetEmail);

    expect(answer.statusCode).toBe(429);
    expect(errorOf(answer)).toMatchObject({
      code: 'TooManyRequestsError',
      message: expect.stringMatching(/at most once every 24 hours.*Ask again from \d{4}-/),
    });
    expect(Number(answer.headers?.['retry-after'])).toBeGreaterThan(23 * 3600);
    expect(await sentTo(budgetEmail)).toHaveLength(1);
  });

  it('asks a person who opted out at most once per 7 days (429), else puts it back to pending with a new message (202)', async () => {
    const contact = { channel: 'email', address: optedOutEmail } as const;
    await states.markUndeliverable(contact, 'optedOut', new Date());

    const early = await ask(keys.customer, optedOutEmail);
    expect(early.statusCode).toBe(429);
    expect(errorOf(early).message).toMatch(/at most once every 7 days to a person who unsubscribed or complained/);

    await forgetLastConfirmation(contact);
    const answer = await ask(keys.customer, optedOutEmail.toUpperCase());

    expect(answer.statusCode).toBe(202);
    expect(bodyOf(answer)).toMatchObject({
      address: optedOutEmail,
      status: 'pending',
      reconfirmingFrom: 'optedOut',
      confirmationSentAt: expect.any(String),
    });
    const mails = await sentTo(optedOutEmail);
    expect(mails).toHaveLength(2);
    expect(mails.every((mail) => mail.subject?.includes('アラートの受信確認'))).toBe(true);
    const budget = await call('GET', `/v1/subscriptions/${subscription.id}/budget`, keys.customer);
    expect(bodyOf(budget).contactStates).toContainEqual(
      expect.objectContaining({ address: optedOutEmail, status: 'pending', reconfirmingFrom: 'optedOut' }),
    );
  });

  it('refuses an active contact with 409 saying there is nothing to confirm', async () => {
    await states.confirm({ channel: 'email', address: budgetEmail }, new Date());

    const answer = await ask(keys.publisher, budgetEmail);

    expect(answer.statusCode).toBe(409);
    expect(errorOf(answer).message).toMatch(/has confirmed already and receives alerts/);
  });

  it('answers 404 for a contact the budget does not list, and 400 for something that is no contact', async () => {
    const unknown = await ask(keys.customer, `nobody-${run}@fabrikam.example`);
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).message).toMatch(/is not a contact of the budget of subscription .*add it to the settings/);

    const invalid = await ask(keys.customer, 'call-me-maybe');
    expect(invalid.statusCode).toBe(400);
    expect(errorOf(invalid)).toMatchObject({ field: 'path.contact' });

    const noSubscription = await call(
      'POST',
      `/v1/subscriptions/${randomUUID()}/contacts/x%40y.example/confirmation`,
      keys.publisher,
    );
    expect(noSubscription.statusCode).toBe(404);
  });

  it('lets only the subscription’s customer and the publisher ask for a budget contact', async () => {
    expect((await ask(keys.otherCustomer, budgetEmail)).statusCode).toBe(403);
    const partner = await ask(keys.partner, budgetEmail);
    expect(partner.statusCode).toBe(403);
    expect(errorOf(partner).message).toMatch(/partner key may not set a customer's budget/);
  });

  it('lets a partner ask its own bounced number to confirm again (202, pending, an SMS sent); not another partner', async () => {
    const contact = { channel: 'sms', address: partnerPhone } as const;
    await states.markUndeliverable(contact, 'bounced', new Date());
    // The save's confirmation went out just now: a bounced number waits 24 hours from it as any other.
    expect((await askPartner(keys.partner, partnerPhone)).statusCode).toBe(429);
    await forgetLastConfirmation(contact);
    expect((await askPartner(keys.otherPartner, partnerPhone)).statusCode).toBe(403);
    expect((await askPartner(keys.customer, partnerPhone)).statusCode).toBe(403);

    const answer = await askPartner(keys.partner, partnerPhone);

    expect(answer.statusCode).toBe(202);
    expect(bodyOf(answer)).toMatchObject({
      channel: 'sms',
      address: partnerPhone,
      status: 'pending',
      confirmationSentAt: expect.any(String),
    });
    const texts = await sentTo(partnerPhone);
    expect(texts).toHaveLength(2);
    expect(texts.map((text) => text.channel)).toEqual(['sms', 'sms']);
    const partnerAnswer = await call('GET', `/v1/partners/${partnerId}`, keys.partner);
    expect(bodyOf(partnerAnswer).contactStates).toMatchObject([{ address: partnerPhone, status: 'pending' }]);
  });
});
