import { randomUUID } from 'node:crypto';
import { DeleteOptedOutNumberCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { storedMails } from '#infra/local/ses-local.ts';
import { DELIVERY_EVENTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { createDocumentClient, createSmsClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { contactLinkKey, SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { ENV } from '#shared/env-names.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/** Polls until `check` returns a value (not undefined), for at most 15 s. */
async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for the message');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The contact lifecycle in the local mode, over HTTP as a person and a mail client meet it: saving a budget sends
 * each new contact a confirmation (through the local SES and SMS stand-ins), its link shows a page and only the button confirms,
 * an alert's unsubscribe link takes the RFC 8058 one-click POST, and delivery events published to the DeliveryEvents
 * topic (as SES and End User Messaging SMS would) reach the ContactEvents function through its queue. The budget's
 * answer shows each state.
 */
describe('contact lifecycle in the local mode', () => {
  let local: TestLocalSystem | undefined;
  let system: LocalSystem;
  const tenant = `tenant-${randomUUID()}`;
  const subscription = aSubscription({ beneficiary: { tenantId: tenant } });
  const run = randomUUID().slice(0, 8);
  const kept = `kept-${run}@fabrikam.example`;
  const dead = `dead-${run}@fabrikam.example`;
  const phone = `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

  beforeAll(async () => {
    local = await startTestLocalSystem('contacts');
    system = local.system;
    const documentClient = createDocumentClient(system.endpoints);
    const tableName = system.resources[MAIN_TABLE.envVar] ?? '';
    await new DynamoSubscriptionStore(documentClient, tableName).put(subscription);
    bootstrap.authorization = `Bearer ${system.bootstrapKey.token}`;
  });
  afterAll(async () => {
    await local?.stop();
  });

  const bootstrap = { authorization: '' };
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${system.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${system.bootstrapKey.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const statesOfBudget = async () => {
    const answer = (await (await api('GET', `/v1/subscriptions/${subscription.id}/budget`)).json()) as {
      contactStates: { address: string; status: string }[];
    };
    return Object.fromEntries(answer.contactStates.map((state) => [state.address, state.status]));
  };
  const mailsTo = async (to: string) =>
    (await storedMails(system.mail.endpoint)).filter((stored) => stored.destination.to.includes(to));
  const textsTo = (to: string) => system.sms.messages().filter((sent) => sent.destinationPhoneNumber === to);
  const linkIn = (text = '') => /https?:\/\/\S+/.exec(text)?.[0] ?? '';
  /** Moves the local system's clock (the API answers on it) ahead by `hours`. */
  const moveClock = async (hours: number) => {
    const moved = await fetch(`${system.apiUrl}/_local/clock`, {
      method: 'POST',
      headers: { ...bootstrap, 'content-type': 'application/json' },
      body: JSON.stringify({ move: `+${hours}h` }),
    });
    expect(moved.status).toBe(200);
  };
  const form = (url: string, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('confirms, unsubscribes and records bounces and opt-outs, each shown with the budget', async () => {
    const saved = await api('PUT', `/v1/subscriptions/${subscription.id}/budget`, {
      plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
      locale: 'ja',
      contacts: { emails: [kept, dead], phones: [phone] },
    });
    expect(saved.status).toBe(200);
    expect(await statesOfBudget()).toEqual({ [kept]: 'pending', [dead]: 'pending', [phone]: 'pending' });

    // The confirmation messages, as the local SES stand-in and the SMS stand-in received them: in Japanese, with
    // their links.
    const mail = await eventually(async () => (await mailsTo(kept))[0]);
    expect(mail.subject).toContain('アラートの受信確認');
    expect(textsTo(phone)).toHaveLength(1);
    const link = linkIn(mail.body.text);
    expect(link.startsWith(`${system.apiUrl}/contacts/confirm?token=`)).toBe(true);

    // Opening the link (a mail scanner would) changes nothing; the page's button confirms.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('確認する');
    expect((await statesOfBudget())[kept]).toBe('pending');
    const token = new URL(link).searchParams.get('token') ?? '';
    const confirmed = await form(`${system.apiUrl}/contacts/confirm`, new URLSearchParams({ token }).toString());
    expect(confirmed.status).toBe(200);
    expect((await statesOfBudget())[kept]).toBe('active');

    // The unsubscribe link an alert carries (the notifier signs it with the same key), posted one-click.
    const key = contactLinkKey(process.env[ENV.sessionSecret] ?? '');
    const unsubscribeLink = await new SignedContactLinks(async () => key, system.apiUrl).linkFor({
      channel: 'email',
      address: kept,
    });
    const oneClick = await form(unsubscribeLink, 'List-Unsubscribe=One-Click');
    expect(oneClick.status).toBe(200);
    expect((await statesOfBudget())[kept]).toBe('optedOut');

    // SES's permanent bounce published where SES publishes it, and the phone's STOP reply through the local
    // endpoint that does the same.
    const sns = createSnsClient(system.endpoints);
    const topicArn = system.resources[DELIVERY_EVENTS_TOPIC.envVar];
    const bounce = JSON.stringify(sampleEvent('delivery/ses-bounce-permanent.json')).replaceAll(
      'No-Such-User@Fabrikam.example',
      dead,
    );
    const stop = JSON.stringify(sampleEvent('delivery/sms-inbound-stop.json')).replaceAll('+819012345678', phone);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: bounce }));
    const injected = await fetch(`${system.apiUrl}/_local/delivery-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.bootstrapKey.token}`, 'content-type': 'application/json' },
      body: stop,
    });
    expect(injected.status).toBe(202);
    const refused = await fetch(`${system.apiUrl}/_local/delivery-events`, { method: 'POST', body: stop });
    expect(refused.status).toBe(401);

    await expect.poll(statesOfBudget, { timeout: 20_000, interval: 250 }).toEqual({
      [kept]: 'optedOut',
      [dead]: 'bounced',
      [phone]: 'optedOut',
    });

    // Saving the budget again sends nothing to any of them, and keeps their states.
    const before = (await storedMails(system.mail.endpoint)).length + system.sms.messages().length;
    await api('PUT', `/v1/subscriptions/${subscription.id}/budget`, {
      plannedMonthlyAmount: { amount: '120000', currency: 'JPY' },
      locale: 'ja',
      contacts: { emails: [kept, dead], phones: [phone] },
    });
    expect((await storedMails(system.mail.endpoint)).length + system.sms.messages().length).toBe(before);
    expect(await statesOfBudget()).toEqual({ [kept]: 'optedOut', [dead]: 'bounced', [phone]: 'optedOut' });
  });

  it('asks an opted-out contact to confirm again: the resent mail arrives, and only the person’s click makes it active', async () => {
    // The first test left `kept` opted out (its unsubscribe link); its confirmation went out at the first save, so
    // a person who said stop is asked again once the 7 days of that message have passed.
    const early = await api(
      'POST',
      `/v1/subscriptions/${subscription.id}/contacts/${encodeURIComponent(kept)}/confirmation`,
    );
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toMatch(/^\d+$/);
    await moveClock(8 * 24);

    const asked = await api(
      'POST',
      `/v1/subscriptions/${subscription.id}/contacts/${encodeURIComponent(kept)}/confirmation`,
    );

    expect(asked.status).toBe(202);
    expect(await asked.json()).toMatchObject({ address: kept, status: 'pending' });
    expect((await statesOfBudget())[kept]).toBe('pending');
    const resent = await eventually(async () => {
      const mails = await mailsTo(kept);
      return mails.length === 2 ? mails[1] : undefined;
    });
    expect(resent.subject).toContain('アラートの受信確認');
    const token = new URL(linkIn(resent.body.text)).searchParams.get('token') ?? '';
    const confirmed = await form(`${system.apiUrl}/contacts/confirm`, new URLSearchParams({ token }).toString());
    expect(confirmed.status).toBe(200);
    expect((await statesOfBudget())[kept]).toBe('active');
    const again = await api(
      'POST',
      `/v1/subscriptions/${subscription.id}/contacts/${encodeURIComponent(kept)}/confirmation`,
    );
    expect(again.status).toBe(409);
  });

  it('leaves a number on the SMS opt-out list opted out until its holder opts in, then asks it by SMS', async () => {
    // The STOP reply of the first test, as End User Messaging keeps it: the number is on the opt-out list.
    system.sms.optOut(phone);
    const path = `/v1/subscriptions/${subscription.id}/contacts/${encodeURIComponent(phone)}/confirmation`;
    const sentBefore = textsTo(phone).length;

    const refused = await api('POST', path);

    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/texting START/);
    expect((await statesOfBudget())[phone]).toBe('optedOut');
    expect(textsTo(phone)).toHaveLength(sentBefore);

    // The holder texts START: End User Messaging's opt-in keyword takes the number off the list (as
    // DeleteOptedOutNumber does). Asking again now sends the confirmation SMS; the state waits for the person.
    await createSmsClient().send(new DeleteOptedOutNumberCommand({ OptedOutNumber: phone, OptOutListName: 'Default' }));
    const asked = await api('POST', path);
    expect(asked.status).toBe(202);
    expect(textsTo(phone)).toHaveLength(sentBefore + 1);
    expect(textsTo(phone).at(-1)?.messageBody).toMatch(/アラート受信の確認はこちら http/);
    expect((await statesOfBudget())[phone]).toBe('pending');
  });
});
