import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedMails } from '#infra/local/ses-local.ts';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertDeliveries } from '#shared/adapters/dynamodb/dynamo-alert-deliveries.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf } from '#shared/domain/alerts/alert-message.ts';
import { renderAlert } from '#shared/domain/alerts/templates.ts';
import { Money } from '#shared/domain/money.ts';
import { contactAddressesOf } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { aBudget, oneCandidatePerRule } from '#test/builders/alerts.ts';
import { localClients } from '#test/helpers/local-aws.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/** Polls until `check` returns a value (not undefined), for at most 15 s. */
async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for the notifier');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('alert delivery through the local system (alerts topic → notifications queue → notifier → channels)', () => {
  let local: TestLocalSystem;
  const customerId = `tenant-${randomUUID()}`;
  const confirmed = `it-${randomUUID()}@customer.example`;
  const unconfirmed = `new-${randomUUID()}@customer.example`;
  const phone = '+819012345678';

  beforeAll(async () => {
    local = await startTestLocalSystem('notifier');
    const { documentClient } = localClients();
    const table = local.system.resources[MAIN_TABLE.envVar] ?? '';
    const contactStates = new DynamoContactStates(documentClient, table);
    const recipient = { kind: 'customer' as const, id: customerId };
    const budget = aBudget({
      customerId,
      subscriptionId: `sub-${randomUUID()}`,
      contacts: {
        emails: [confirmed, unconfirmed],
        phones: [phone],
      },
    });
    // What saving the budget does, then two of the three people follow their confirmation links.
    for (const contact of contactAddressesOf(budget.contacts)) await contactStates.register(recipient, contact, 'ja');
    await new DynamoBudgetStore(documentClient, table).putBudget(budget);
    await contactStates.confirm({ channel: 'email', address: confirmed }, new Date());
    await contactStates.confirm({ channel: 'sms', address: phone }, new Date());
  }, 120_000);
  afterAll(() => local?.stop());

  it('mails and texts the confirmed contacts once, holds the alert for the unconfirmed one, and records each', async () => {
    const { documentClient, sns } = localClients();
    const candidate = {
      ...oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1000' : '100000', 'JPY')).budgetThreshold,
      recipient: { kind: 'customer' as const, id: customerId },
      customerId,
    };
    const message = alertMessageOf(alertKey(candidate), candidate, renderAlert(candidate, 'ja'));
    const publisher = new SnsAlertPublisher(sns, local.system.resources[ALERTS_TOPIC.envVar] ?? '');

    await publisher.publish(message);
    await publisher.publish(message); // a duplicate publish (a retried delivery): still one mail per contact

    const mail = await eventually(async () =>
      (await storedMails(local.system.mail.endpoint)).find((stored) => stored.destination.to.includes(confirmed)),
    );
    const sms = await eventually(async () =>
      local.system.sms.messages().find((sent) => sent.destinationPhoneNumber === phone),
    );
    const deliveries = new DynamoAlertDeliveries(documentClient, local.system.resources[MAIN_TABLE.envVar] ?? '');
    const records = await eventually(async () => {
      const listed = await deliveries.list(message.key);
      return listed.length === 3 && listed.every((d) => d.state !== 'sending') ? listed : undefined;
    });

    expect(mail.subject).toBe(message.subject);
    expect(mail.body.text).toContain(message.body);
    expect(mail.body.html).toContain('/contacts/unsubscribe?');
    expect(mail.headers).toContainEqual({ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' });
    expect(sms.messageBody).toBe(message.sms);
    expect(sms.messageType).toBe('TRANSACTIONAL');
    expect(Object.fromEntries(records.map((r) => [r.contact.address, [r.state, r.reason ?? r.messageId]]))).toEqual({
      [confirmed]: ['sent', mail.messageId],
      [phone]: ['sent', sms.messageId],
      [unconfirmed]: ['held', 'pending'],
    });
    // Nothing for the contact that has not confirmed, and nothing twice for the others.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const mails = await storedMails(local.system.mail.endpoint);
    expect(mails.filter((stored) => stored.destination.to.includes(unconfirmed))).toEqual([]);
    expect(mails.filter((stored) => stored.destination.to.includes(confirmed))).toHaveLength(1);
    expect(local.system.sms.messages().filter((sent) => sent.destinationPhoneNumber === phone)).toHaveLength(1);
  });
});
