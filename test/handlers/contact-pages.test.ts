import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { contactLinkKey, SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { ENV } from '#shared/env-names.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/contact-pages/handler.ts')['handler'];

describe('the contact pages (ContactPages function) on DynamoDB Local', () => {
  let handler: Handler;
  let states: DynamoContactStates;
  let links: SignedContactLinks;
  let expiredLinks: SignedContactLinks;

  const call = async (method: 'GET' | 'POST', path: string, options: { form?: string; language?: string } = {}) =>
    (await handler(
      {
        ...httpEvent(method, path, {
          headers: {
            ...(options.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
            ...(options.language ? { 'accept-language': options.language } : {}),
          },
        }),
        body: options.form,
      },
      aLambdaContext('ContactPages'),
    )) as APIGatewayProxyStructuredResultV2;
  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
  const stateOf = async (contact: ContactAddress) => (await states.read([contact])).get(contactKey(contact));
  const aPendingEmail = async (locale: 'ja' | 'en' = 'ja') => {
    const contact: ContactAddress = { channel: 'email', address: `ops-${randomUUID()}@fabrikam.example` };
    await states.register({ kind: 'customer', id: `tenant-${randomUUID()}` }, contact, locale);
    return contact;
  };

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    ({ handler } = await import('#functions/contact-pages/handler.ts'));
    const { documentClient } = localClients();
    states = new DynamoContactStates(documentClient, resources[MAIN_TABLE.envVar] ?? '');
    // The function's own key: the same session secret, the same derivation.
    const key = contactLinkKey(process.env[ENV.sessionSecret] ?? '');
    links = new SignedContactLinks(async () => key, process.env[ENV.contactLinksBaseUrl] ?? '');
    expiredLinks = new SignedContactLinks(
      async () => key,
      'https://x',
      () => new Date(Date.now() - 8 * 86_400_000),
    );
  });

  it('GET shows the confirm page in the contact’s language and changes nothing; POST confirms', async () => {
    const contact = await aPendingEmail('ja');
    const token = tokenOf(await links.confirmLinkFor(contact));

    const page = await call('GET', `/contacts/confirm?token=${token}`, { language: 'en-US' });

    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-security-policy']).toMatch(/default-src 'none'.*form-action 'self'/);
    expect(page.headers?.['content-language']).toBe('ja');
    expect(page.body).toContain(contact.address);
    expect(page.body).toContain('<form method="post" action="/contacts/confirm">');
    expect(page.body).toContain('確認する');
    expect((await stateOf(contact))?.status).toBe('pending');

    const done = await call('POST', '/contacts/confirm', { form: new URLSearchParams({ token }).toString() });

    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('確認しました');
    expect((await stateOf(contact))?.status).toBe('active');
  });

  it('GET shows the unsubscribe page of one rule; POST mutes that rule only', async () => {
    const contact = await aPendingEmail('en');
    const token = tokenOf(await links.linkFor(contact, 'budgetForecast'));

    const page = await call('GET', `/contacts/unsubscribe?token=${token}`);
    expect(page.body).toContain('Stop the “budget forecast” alerts to this address?');
    expect((await stateOf(contact))?.mutedRules).toEqual([]);

    const done = await call('POST', '/contacts/unsubscribe', { form: `token=${token}` });

    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Unsubscribed from the “budget forecast” alerts');
    expect(await stateOf(contact)).toMatchObject({ status: 'pending', mutedRules: ['budgetForecast'] });
  });

  it('takes the RFC 8058 one-click POST on the link itself, without a page in between', async () => {
    const contact = await aPendingEmail('en');
    const link = await links.linkFor(contact);

    const done = await call('POST', `/contacts/unsubscribe?token=${tokenOf(link)}`, {
      form: 'List-Unsubscribe=One-Click',
    });

    expect(done.statusCode).toBe(200);
    expect((await stateOf(contact))?.status).toBe('optedOut');
  });

  it('answers 400 for an altered link and 410 for an expired one, saying what to do, and changes nothing', async () => {
    const contact = await aPendingEmail('en');
    const token = tokenOf(await links.confirmLinkFor(contact));
    const expired = tokenOf(await expiredLinks.confirmLinkFor(contact));

    const altered = await call('POST', '/contacts/confirm', { form: `token=${token.slice(0, -3)}` });
    const old = await call('GET', `/contacts/confirm?token=${expired}`, { language: 'ja,en;q=0.5' });
    const missing = await call('GET', '/contacts/unsubscribe');

    expect(altered.statusCode).toBe(400);
    expect(altered.body).toContain('copy the whole link');
    expect(old.statusCode).toBe(410);
    expect(old.body).toContain('有効期限');
    expect(old.body).toContain('もう一度保存');
    expect(missing.statusCode).toBe(400);
    expect((await stateOf(contact))?.status).toBe('pending');
  });

  it('refuses a confirmation link posted to the unsubscribe page', async () => {
    const contact = await aPendingEmail('en');
    const token = tokenOf(await links.confirmLinkFor(contact));

    const answer = await call('POST', `/contacts/unsubscribe?token=${token}`, { form: 'List-Unsubscribe=One-Click' });

    expect(answer.statusCode).toBe(400);
    expect((await stateOf(contact))?.status).toBe('pending');
  });
});
