import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { DELIVERY_EVENTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoLocalMailbox } from '#shared/adapters/dynamodb/dynamo-local-mailbox.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { contactLinkKey, SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { ENV } from '#shared/env-names.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/**
 * The contact lifecycle in the local mode, over HTTP as a person and a mail client meet it: saving a budget sends
 * each new contact a confirmation (kept in the local mailbox), its link shows a page and only the button confirms,
 * an alert's unsubscribe link takes the RFC 8058 one-click POST, and delivery events published to the DeliveryEvents
 * topic (as SES and End User Messaging SMS would) reach the ContactEvents function through its queue. The budget's
 * answer shows each state.
 */
describe('contact lifecycle in the local mode', () => {
  let local: TestLocalSystem | undefined;
  let system: LocalSystem;
  let mailbox: DynamoLocalMailbox;
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
    mailbox = new DynamoLocalMailbox(documentClient, tableName);
  });
  afterAll(async () => {
    await local?.stop();
  });

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

    // The confirmation message, as the local mailbox kept it (GET /_local/mailbox), in Japanese with its link.
    const mailboxAnswer = await fetch(`${system.apiUrl}/_local/mailbox`, {
      headers: { authorization: `Bearer ${system.bootstrapKey.token}` },
    });
    expect(mailboxAnswer.status).toBe(200);
    const { messages } = (await mailboxAnswer.json()) as { messages: Awaited<ReturnType<typeof mailbox.listRecent>> };
    const mail = messages.find((message) => message.to === kept);
    expect(mail?.subject).toContain('アラートの受信確認');
    expect(messages.find((message) => message.to === phone)?.channel).toBe('sms');
    const link = /https?:\/\/\S+/.exec(mail?.text ?? '')?.[0] ?? '';
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
    const before = (await mailbox.listRecent(100)).length;
    await api('PUT', `/v1/subscriptions/${subscription.id}/budget`, {
      plannedMonthlyAmount: { amount: '120000', currency: 'JPY' },
      locale: 'ja',
      contacts: { emails: [kept, dead], phones: [phone] },
    });
    expect((await mailbox.listRecent(100)).length).toBe(before);
    expect(await statesOfBudget()).toEqual({ [kept]: 'optedOut', [dead]: 'bounced', [phone]: 'optedOut' });
  });
});
