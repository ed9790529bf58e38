import { describe, expect, it } from 'vitest';
import { alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf } from '#shared/domain/alerts/alert-message.ts';
import { renderAlert } from '#shared/domain/alerts/templates.ts';
import { Money } from '#shared/domain/money.ts';
import { comeBackDelaySeconds, notifyRecipient } from '#shared/use-cases/alerts/notify-recipient.ts';
import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { RecipientRefused } from '#shared/use-cases/alerts/ports/notification-channels.ts';
import { aBudget, aPartnerRecord, oneCandidatePerRule } from '#test/builders/alerts.ts';
import { PlainUnsubscribeLinks, RecordingEmailChannel, RecordingSmsChannel } from '#test/builders/notifications.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAlertDeliveries } from '#test/helpers/in-memory-alert-deliveries.ts';
import {
  InMemoryBudgetStore,
  InMemoryContactStates,
  InMemoryPartnerStore,
} from '#test/helpers/in-memory-alert-settings.ts';

const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1000' : '100000', 'JPY'));
const budgetCandidate = candidates.budgetThreshold;
const message = alertMessageOf(alertKey(budgetCandidate), budgetCandidate, renderAlert(budgetCandidate, 'ja'));
const email: ContactAddress = { channel: 'email', address: 'it@customer-a.example' };
const phone: ContactAddress = { channel: 'sms', address: '+819012345678' };

async function setup() {
  const clock = new FixedClock('2025-12-10T03:00:00.000Z');
  const budgets = new InMemoryBudgetStore();
  // The customer of the alert (customer-a) has the budget's two contacts; another customer's are never read.
  await budgets.putBudget(aBudget());
  await budgets.putBudget(
    aBudget({ subscriptionId: 'sub-z', customerId: 'customer-z', contacts: { emails: ['z@z.example'] } }),
  );
  const partners = new InMemoryPartnerStore();
  const contactStates = new InMemoryContactStates(() => clock.now());
  const deliveries = new InMemoryAlertDeliveries();
  const emailChannel = new RecordingEmailChannel();
  const smsChannel = new RecordingSmsChannel();
  const deps = {
    budgets,
    partners,
    contactStates,
    stateChanges: contactStates,
    deliveries,
    unsubscribeLinks: new PlainUnsubscribeLinks(),
    email: emailChannel,
    sms: smsChannel,
    clock,
  };
  return { deps, clock, contactStates, deliveries, emailChannel, smsChannel, partners };
}

describe('notify recipient', () => {
  it('sends to active contacts only: e-mail with HTML, unsubscribe links and tags, SMS with its one-segment text', async () => {
    const { deps, contactStates, emailChannel, smsChannel, deliveries } = await setup();
    contactStates.put(email, 'active', { locale: 'ja' });
    contactStates.put(phone, 'active');
    contactStates.put({ channel: 'email', address: 'z@z.example' }, 'active');

    const result = await notifyRecipient(deps, message);

    expect(result.comeBack).toBeUndefined();
    expect(result.contacts.map((c) => c.outcome)).toEqual(['sent', 'sent']);
    expect(emailChannel.sent).toHaveLength(1);
    const [mail] = emailChannel.sent;
    expect(mail).toMatchObject({
      to: email.address,
      subject: message.subject,
      unsubscribeUrl: 'https://alerts.example/unsubscribe?contact=email%3Ait%40customer-a.example',
      tags: { alertKey: message.key, rule: 'budgetThreshold' },
    });
    expect(mail?.text.startsWith(message.body)).toBe(true);
    // The footer is in the contact's language, with a link for this rule and one for every alert.
    expect(mail?.text).toContain('この種類のアラートを停止する: https://alerts.example/unsubscribe?contact=');
    expect(mail?.html).toContain('rule=budgetThreshold');
    expect(mail?.html).toContain('<html lang="ja">');
    expect(smsChannel.sent).toEqual([
      { to: phone.address, body: message.sms, tags: { alertKey: message.key, rule: 'budgetThreshold' } },
    ]);
    expect((await deliveries.list(message.key)).map((d) => [d.contact.channel, d.state, d.messageId])).toEqual([
      ['email', 'sent', 'message-1'],
      ['sms', 'sent', 'message-1'],
    ]);
  });

  it('never sends the same alert twice to a contact, however often the message is delivered', async () => {
    const { deps, contactStates, emailChannel, smsChannel } = await setup();
    contactStates.put(email, 'active');
    contactStates.put(phone, 'active');

    await notifyRecipient(deps, message);
    const again = await notifyRecipient(deps, message);

    expect(again.contacts.map((c) => [c.outcome, c.messageId])).toEqual([
      ['alreadyDone', 'message-1'],
      ['alreadyDone', 'message-1'],
    ]);
    expect(again.comeBack).toBeUndefined();
    expect(emailChannel.sent).toHaveLength(1);
    expect(smsChannel.sent).toHaveLength(1);
  });

  it('holds the alert for a pending contact, sends it once the contact confirms, and reports it after the window', async () => {
    const { deps, contactStates, emailChannel, clock, deliveries } = await setup();
    contactStates.put(email, 'pending');
    contactStates.put(phone, 'pending');

    const held = await notifyRecipient(deps, message);
    expect(held.comeBack).toBe('held');
    expect(held.contacts.map((c) => c.outcome)).toEqual(['held', 'held']);
    expect(emailChannel.sent).toEqual([]);

    clock.advanceMinutes(60);
    await contactStates.confirm(email, clock.now());
    const afterConfirm = await notifyRecipient(deps, message);
    expect(afterConfirm.contacts.map((c) => c.outcome)).toEqual(['sent', 'held']);
    expect(afterConfirm.comeBack).toBe('held');
    expect(emailChannel.sent).toHaveLength(1);

    clock.advanceMinutes(7 * 24 * 60);
    const expired = await notifyRecipient(deps, message);
    expect(expired.contacts.map((c) => [c.outcome, c.reason])).toEqual([
      ['alreadyDone', undefined],
      ['failed', 'notConfirmed'],
    ]);
    expect(expired.comeBack).toBeUndefined();
    expect((await deliveries.list(message.key)).find((d) => d.contact.channel === 'sms')).toMatchObject({
      state: 'failed',
      reason: 'notConfirmed',
    });
  });

  it.each([
    ['bounced', 'bounced'],
    ['complained', 'complained'],
    ['optedOut', 'optedOut'],
  ] as const)('suppresses a %s contact and records why', async (status, reason) => {
    const { deps, contactStates, emailChannel, deliveries } = await setup();
    contactStates.put(email, status);
    contactStates.put(phone, 'active');

    const result = await notifyRecipient(deps, message);

    expect(result.contacts[0]).toEqual({ contact: email, outcome: 'suppressed', reason });
    expect(emailChannel.sent).toEqual([]);
    expect((await deliveries.list(message.key))[0]).toMatchObject({ state: 'suppressed', reason });
  });

  it('suppresses a contact that muted the rule, and one with no stored state', async () => {
    const { deps, contactStates, emailChannel, smsChannel } = await setup();
    contactStates.put(email, 'active', { mutedRules: ['budgetThreshold'] });

    const result = await notifyRecipient(deps, message);

    expect(result.contacts.map((c) => [c.outcome, c.reason])).toEqual([
      ['suppressed', 'muted'],
      ['suppressed', 'notRegistered'],
    ]);
    expect(emailChannel.sent).toEqual([]);
    expect(smsChannel.sent).toEqual([]);
  });

  it('retries a transient channel failure on the next delivery, sending once', async () => {
    const { deps, contactStates, emailChannel, deliveries } = await setup();
    contactStates.put(email, 'active');
    emailChannel.failNext(new Error('Maximum sending rate exceeded.'));

    const first = await notifyRecipient(deps, message);
    expect(first.comeBack).toBe('transient');
    expect(first.contacts[0]).toMatchObject({ outcome: 'retry', reason: 'Maximum sending rate exceeded.' });

    const second = await notifyRecipient(deps, message);
    expect(second.contacts[0]).toMatchObject({ outcome: 'sent' });
    expect(emailChannel.sent).toHaveLength(1);
    expect((await deliveries.list(message.key))[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('marks a contact the channel refuses for good, and does not retry it', async () => {
    const { deps, contactStates, smsChannel, emailChannel } = await setup();
    contactStates.put(email, 'active');
    contactStates.put(phone, 'active');
    emailChannel.failNext(new RecipientRefused('suppressed', 'on the suppression list'));
    smsChannel.failNext(new RecipientRefused('optedOut', 'replied STOP'));

    const result = await notifyRecipient(deps, message);

    expect(result.contacts.map((c) => [c.outcome, c.reason])).toEqual([
      ['failed', 'suppressed'],
      ['failed', 'optedOut'],
    ]);
    expect(result.comeBack).toBeUndefined();
    expect(contactStates.undeliverable).toEqual([
      { contact: email, status: 'bounced' },
      { contact: phone, status: 'optedOut' },
    ]);
    expect((await notifyRecipient(deps, message)).contacts.map((c) => c.outcome)).toEqual([
      'alreadyDone',
      'alreadyDone',
    ]);
  });

  it('leaves the state of a number refused for its country (the publisher may allow the country later)', async () => {
    const { deps, contactStates, smsChannel } = await setup();
    contactStates.put(phone, 'active');
    smsChannel.failNext(new RecipientRefused('countryNotAllowed', 'not in smsCountries'));

    const result = await notifyRecipient(deps, message);

    expect(result.contacts[1]).toMatchObject({ outcome: 'failed', reason: 'countryNotAllowed' });
    expect(contactStates.undeliverable).toEqual([]);
  });

  it('waits for another notifier mid-send, and takes over once its lease has run out', async () => {
    const { deps, contactStates, deliveries, emailChannel, clock } = await setup();
    contactStates.put(email, 'active');
    // Another notifier claimed the e-mail and crashed before settling it.
    await deliveries.claim(message.key, email, clock.now(), new Date(clock.now().getTime() + 60_000));

    const meanwhile = await notifyRecipient(deps, message);
    expect(meanwhile.contacts[0]).toMatchObject({ outcome: 'inFlight' });
    expect(meanwhile.comeBack).toBe('transient');
    expect(emailChannel.sent).toEqual([]);

    clock.advanceMinutes(2);
    const later = await notifyRecipient(deps, message);
    expect(later.contacts[0]).toMatchObject({ outcome: 'sent' });
    expect(emailChannel.sent).toHaveLength(1);
  });

  it("sends a partner's alert to the partner's contacts", async () => {
    const { deps, contactStates, partners, emailChannel } = await setup();
    const partnerCandidate = candidates.chargesOverCreditLevel;
    await partners.putPartner(aPartnerRecord({ contacts: { emails: ['Credit@Reseller.example'], phones: [] } }));
    contactStates.put({ channel: 'email', address: 'credit@reseller.example' }, 'active');

    const result = await notifyRecipient(
      deps,
      alertMessageOf(alertKey(partnerCandidate), partnerCandidate, renderAlert(partnerCandidate, 'ja')),
    );

    expect(result.contacts.map((c) => [c.contact.address, c.outcome])).toEqual([['credit@reseller.example', 'sent']]);
    expect(emailChannel.sent.map((mail) => mail.to)).toEqual(['credit@reseller.example']);
  });

  it('reports contacts of a channel the deployment does not configure', async () => {
    const { deps, contactStates } = await setup();
    contactStates.put(email, 'active');
    contactStates.put(phone, 'active');
    const { email: _email, sms: _sms, ...withoutChannels } = deps;

    const result = await notifyRecipient(withoutChannels, message);

    expect(result.contacts.map((c) => [c.outcome, c.reason])).toEqual([
      ['failed', 'emailNotConfigured'],
      ['failed', 'smsNotConfigured'],
    ]);
  });

  it('backs a held alert off from 15 minutes to 12 hours, a transient failure from 30 seconds to 15 minutes', () => {
    expect([1, 2, 3, 7, 30].map((count) => comeBackDelaySeconds('held', count))).toEqual([
      900, 1800, 3600, 43_200, 43_200,
    ]);
    expect([1, 2, 6, 30].map((count) => comeBackDelaySeconds('transient', count))).toEqual([30, 60, 900, 900]);
  });
});
