import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T11:00:00.000Z');

function anEmail(): ContactAddress {
  return { channel: 'email', address: `ops-${randomUUID()}@contoso.example` };
}
const customer = (): AlertRecipient => ({ kind: 'customer', id: `tenant-${randomUUID()}` });

describe('DynamoDB contact states', () => {
  const { documentClient } = localClients();
  let store: DynamoContactStates;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    store = new DynamoContactStates(documentClient, env[MAIN_TABLE.envVar] ?? '', () => T0);
  });

  it('registers a new contact as pending once, and keeps its state when registered again', async () => {
    const contact = anEmail();
    const [first, second] = [customer(), customer()];

    const created = await store.register(first, contact, 'ja');
    const again = await store.register(second, contact, 'en');

    expect(created).toEqual({
      isNew: true,
      state: { contact, status: 'pending', since: T0.toISOString(), locale: 'ja', mutedRules: [] },
    });
    expect(again).toEqual({ isNew: false, state: created.state });
    expect(await store.recipientsOf(contact)).toEqual([`customer:${first.id}`, `customer:${second.id}`].sort());
  });

  it('confirms a pending contact only, and answers undefined for an unknown one', async () => {
    const contact = anEmail();
    await store.register(customer(), contact, 'en');

    expect(await store.confirm(contact, T1)).toMatchObject({ status: 'active', since: T1.toISOString() });
    await store.markUndeliverable(contact, 'bounced', T1);
    expect(await store.confirm(contact, new Date('2026-03-02T00:00:00Z'))).toMatchObject({ status: 'bounced' });
    expect(await store.confirm(anEmail(), T1)).toBeUndefined();
  });

  it('keeps an opt-out when the contact is removed and added again', async () => {
    const contact = anEmail();
    const recipient = customer();
    await store.register(recipient, contact, 'en');
    await store.markUndeliverable(contact, 'optedOut', T1);

    await store.remove(recipient, contact);
    expect(await store.recipientsOf(contact)).toEqual([]);
    const again = await store.register(recipient, contact, 'en');

    expect(again).toMatchObject({ isNew: false, state: { status: 'optedOut', since: T1.toISOString() } });
  });

  it('reads many states at once, leaves unknown contacts out, and lists muted rules', async () => {
    const known = Array.from({ length: 30 }, anEmail);
    for (const contact of known) await store.register(customer(), contact, 'en');
    await store.muteRule(known[0] as ContactAddress, 'spike', T1);
    const unknown = anEmail();

    const states = await store.read([...known, unknown, known[1] as ContactAddress]);

    expect(states.size).toBe(30);
    expect(states.has(contactKey(unknown))).toBe(false);
    expect(states.get(contactKey(known[0] as ContactAddress))?.mutedRules).toEqual(['spike']);
  });

  it('removing or muting an unknown contact creates nothing', async () => {
    const contact = anEmail();
    await store.remove(customer(), contact);
    await store.muteRule(contact, 'spike', T1);
    expect((await store.read([contact])).size).toBe(0);
  });

  it('claims a confirmation send once per interval, and gives a claim back for the next save', async () => {
    const contact = anEmail();
    await store.register(customer(), contact, 'en');
    const later = new Date(T0.getTime() + 25 * 3600_000);

    expect(await store.claim(contact, T0, 24)).toBe(true);
    expect(await store.claim(contact, T1, 24)).toBe(false);
    expect(await store.claim(contact, later, 24)).toBe(true);
    // Only its own claim is given back: an older instant leaves the later claim in place.
    await store.release(contact, T0);
    expect(await store.claim(contact, new Date(later.getTime() + 1000), 24)).toBe(false);
    await store.release(contact, later);
    expect(await store.claim(contact, new Date(later.getTime() + 1000), 24)).toBe(true);
    expect(await store.claim(anEmail(), T0, 24)).toBe(false);
  });

  it('reopens an undeliverable contact to pending only from the status seen, and only a confirmation makes it active', async () => {
    const contact = anEmail();
    await store.register(customer(), contact, 'ja');
    await store.markUndeliverable(contact, 'complained', T0);

    expect(await store.reopen(contact, 'optedOut', T1)).toBeUndefined();
    const reopened = await store.reopen(contact, 'complained', T1);

    expect(reopened).toMatchObject({ status: 'pending', since: T1.toISOString(), reconfirmingFrom: 'complained' });
    expect((await store.read([contact])).get(contactKey(contact))).toEqual(reopened);
    // Saving the settings again keeps the re-confirmation as it is.
    expect((await store.register(customer(), contact, 'en')).state).toEqual(reopened);
    const confirmed = await store.confirm(contact, new Date('2026-03-02T00:00:00.000Z'));
    expect(confirmed).toMatchObject({ status: 'active' });
    expect(confirmed?.reconfirmingFrom).toBeUndefined();
  });

  it('restores the state a reopen replaced, unless something happened since', async () => {
    const contact = anEmail();
    await store.register(customer(), contact, 'en');
    await store.markUndeliverable(contact, 'optedOut', T0);
    const before = (await store.read([contact])).get(contactKey(contact));
    if (!before) throw new Error('registered above');

    await store.reopen(contact, 'optedOut', T1);
    await store.restore(before, T1);
    expect((await store.read([contact])).get(contactKey(contact))).toEqual(before);

    // A bounce recorded after the reopen wins over the restore.
    await store.reopen(contact, 'optedOut', T1);
    const later = new Date('2026-03-01T12:00:00.000Z');
    await store.markUndeliverable(contact, 'bounced', later);
    await store.restore(before, T1);
    expect((await store.read([contact])).get(contactKey(contact))).toMatchObject({
      status: 'bounced',
      since: later.toISOString(),
    });
  });

  it('reads when the last confirmation message was claimed', async () => {
    const contact = anEmail();
    await store.register(customer(), contact, 'en');
    await store.claim(contact, T1, 24);

    expect((await store.read([contact])).get(contactKey(contact))?.confirmationSentAt).toBe(T1.toISOString());
  });
});
