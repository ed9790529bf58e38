import { describe, expect, it } from 'vitest';
import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { applyDeliveryEvents } from '#shared/use-cases/alerts/apply-delivery-events.ts';
import { confirmContact, openContactLink, unsubscribeContact } from '#shared/use-cases/alerts/follow-contact-link.ts';
import { contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  CONFIRMATION_RESEND_HOURS,
  registerRecipientContacts,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import { aContactWorld } from '#test/helpers/contact-world.ts';

const customer: AlertRecipient = { kind: 'customer', id: 'tenant-a' };
const partner: AlertRecipient = { kind: 'partner', id: 'reseller-one' };
const email = { channel: 'email', address: 'billing@fabrikam.example' } as const;
const phone = { channel: 'sms', address: '+819012345678' } as const;
const contacts = { emails: ['Billing@Fabrikam.example'], phones: ['+819012345678'] };

const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';

describe('registering contacts (the opt-in)', () => {
  it('stores new contacts pending and sends each a confirmation in the recipient’s language, under the brand', async () => {
    const world = aContactWorld();

    const states = await registerRecipientContacts(world.lifecycle, customer, contacts, {
      locale: 'ja',
      brand: 'Contoso Analytics',
    });

    expect(states.map((s) => [contactKey(s.contact), s.status])).toEqual([
      ['email:billing@fabrikam.example', 'pending'],
      ['sms:+819012345678', 'pending'],
    ]);
    const [mail] = world.channels.emails;
    expect(mail).toMatchObject({
      to: 'billing@fabrikam.example',
      subject: '【Contoso Analytics】アラートの受信確認のお願い',
    });
    expect(mail?.text).toContain('Contoso Analytics の');
    expect(mail?.html).toContain('受信を確認する');
    expect(mail?.subject).not.toMatch(/AWS/);
    expect(world.channels.texts).toEqual([
      {
        to: '+819012345678',
        body: expect.stringMatching(
          /^Contoso Analytics: アラート受信の確認はこちら https:\/\/api\.example\.com\/contacts\/confirm\?token=/,
        ),
        tags: { purpose: 'contact-confirmation' },
      },
    ]);
    // The link in each message confirms that very contact.
    expect(await world.links.verify(tokenOf(world.channels.lastLinkTo('+819012345678')), 'confirm')).toMatchObject({
      ok: true,
      claims: { contact: phone },
    });
  });

  it('writes to a partner’s contact in English about its customers’ credit', async () => {
    const world = aContactWorld();

    await registerRecipientContacts(
      world.lifecycle,
      partner,
      { emails: [email.address], phones: [] },
      {
        locale: 'en',
        brand: 'Contoso Analytics',
      },
    );

    expect(world.channels.emails[0]?.subject).toBe('Contoso Analytics: please confirm your alert address');
    expect(world.channels.emails[0]?.text).toMatch(/credit alerts about your customers/);
  });

  it('re-sends to a contact still pending on a save after 24 hours, not before; never to an active one', async () => {
    const world = aContactWorld();
    const context = { locale: 'en', brand: 'Contoso Analytics' } as const;
    await registerRecipientContacts(world.lifecycle, customer, contacts, context);

    world.clock.advanceMinutes(60);
    await registerRecipientContacts(world.lifecycle, customer, contacts, context);
    expect(world.channels.emails).toHaveLength(1);

    world.clock.advanceMinutes(CONFIRMATION_RESEND_HOURS * 60);
    await world.states.confirm(phone, world.clock.now());
    await registerRecipientContacts(world.lifecycle, customer, contacts, context);
    expect(world.channels.emails).toHaveLength(2);
    expect(world.channels.texts).toHaveLength(1);
  });

  it('sends nothing to a contact that bounced or opted out, and keeps that state', async () => {
    const world = aContactWorld();
    await world.states.register(customer, email, 'en');
    await world.states.markUndeliverable(email, 'optedOut', world.clock.now());

    const states = await registerRecipientContacts(
      world.lifecycle,
      partner,
      { emails: [email.address], phones: [] },
      {
        locale: 'en',
        brand: 'Contoso Analytics',
      },
    );

    expect(states[0]?.status).toBe('optedOut');
    expect(world.channels.emails).toEqual([]);
  });

  it('puts a contact the channel refuses for good in that state at once', async () => {
    const world = aContactWorld();
    world.channels.refuse.set('billing@fabrikam.example', 'suppressed');
    world.channels.refuse.set('+819012345678', 'optedOut');

    const states = await registerRecipientContacts(world.lifecycle, customer, contacts, {
      locale: 'en',
      brand: 'Contoso Analytics',
    });

    expect(states.map((s) => s.status)).toEqual(['bounced', 'optedOut']);
    expect((await world.states.read([email])).get(contactKey(email))?.status).toBe('bounced');
  });

  it('gives the send back when the channel fails for a while, so saving again sends it', async () => {
    const world = aContactWorld();
    const context = { locale: 'en', brand: 'Contoso Analytics' } as const;
    world.channels.fail = new Error('Throttling: rate exceeded');

    await expect(registerRecipientContacts(world.lifecycle, customer, contacts, context)).rejects.toThrow(/Throttling/);
    world.channels.fail = undefined;
    await registerRecipientContacts(world.lifecycle, customer, contacts, context);

    expect(world.channels.emails).toHaveLength(1);
    expect(world.channels.texts).toHaveLength(1);
  });

  it('removes the contacts a recipient no longer lists (and only from that recipient), keeping their state', async () => {
    const world = aContactWorld();
    const context = { locale: 'en', brand: 'Contoso Analytics' } as const;
    await registerRecipientContacts(world.lifecycle, customer, contacts, context);
    await registerRecipientContacts(world.lifecycle, partner, contacts, context);

    await registerRecipientContacts(world.lifecycle, customer, { emails: [], phones: [phone.address] }, context, {
      before: contacts,
      kept: [{ emails: [], phones: [phone.address] }],
    });

    expect(await world.states.recipientsOf(email)).toEqual(['partner:reseller-one']);
    expect(await world.states.recipientsOf(phone)).toEqual(['customer:tenant-a', 'partner:reseller-one']);
    expect((await world.states.read([email])).get(contactKey(email))?.status).toBe('pending');
  });
});

describe('following a link', () => {
  async function aPendingContact() {
    const world = aContactWorld();
    await registerRecipientContacts(world.lifecycle, customer, contacts, { locale: 'ja', brand: 'Contoso' });
    return { ...world, token: tokenOf(world.channels.lastLinkTo(email.address)) };
  }

  it('shows the contact without changing anything when the link is opened (mail scanners open links)', async () => {
    const world = await aPendingContact();

    const opened = await openContactLink(world.pages, world.token, 'confirm');

    expect(opened).toMatchObject({ ok: true, claims: { contact: email }, state: { status: 'pending', locale: 'ja' } });
    expect((await world.states.read([email])).get(contactKey(email))?.status).toBe('pending');
  });

  it('confirms a pending contact once; a second press says it is already active', async () => {
    const world = await aPendingContact();

    expect(await confirmContact(world.pages, world.token)).toMatchObject({ ok: true, outcome: 'confirmed' });
    expect(await confirmContact(world.pages, world.token)).toMatchObject({ ok: true, outcome: 'alreadyActive' });
    expect((await world.states.read([email])).get(contactKey(email))).toMatchObject({
      status: 'active',
      since: world.clock.now().toISOString(),
    });
  });

  it('does not turn alerts back on for a contact that bounced meanwhile, and says so for an unknown one', async () => {
    const world = await aPendingContact();
    await world.states.markUndeliverable(email, 'bounced', world.clock.now());
    const unknown = tokenOf(await world.links.confirmLinkFor({ channel: 'email', address: 'never@fabrikam.example' }));

    expect(await confirmContact(world.pages, world.token)).toMatchObject({ ok: true, outcome: 'undeliverable' });
    expect((await world.states.read([email])).get(contactKey(email))?.status).toBe('bounced');
    expect(await confirmContact(world.pages, unknown)).toMatchObject({ ok: true, outcome: 'unknown' });
  });

  it('refuses an expired or altered confirmation link without changing anything', async () => {
    const world = await aPendingContact();

    expect(await confirmContact(world.pages, `${world.token}x`)).toEqual({ ok: false, reason: 'invalid' });
    world.clock.advanceMinutes(8 * 24 * 60);
    expect(await confirmContact(world.pages, world.token)).toEqual({ ok: false, reason: 'expired' });
    expect((await world.states.read([email])).get(contactKey(email))?.status).toBe('pending');
  });

  it('unsubscribes from every alert (opted out), or from one rule (muted), idempotently', async () => {
    const world = await aPendingContact();
    await confirmContact(world.pages, world.token);
    const oneRule = tokenOf(await world.links.linkFor(email, 'spike'));
    const all = tokenOf(await world.links.linkFor(phone));

    expect(await unsubscribeContact(world.pages, oneRule)).toMatchObject({
      ok: true,
      stopped: { scope: 'rule', rule: 'spike' },
    });
    await unsubscribeContact(world.pages, oneRule);
    expect(await unsubscribeContact(world.pages, all)).toMatchObject({ ok: true, stopped: { scope: 'all' } });

    const stored = await world.states.read([email, phone]);
    expect(stored.get(contactKey(email))).toMatchObject({ status: 'active', mutedRules: ['spike'] });
    expect(stored.get(contactKey(phone))?.status).toBe('optedOut');
  });

  it('records an opt-out even for an address it does not know, so it holds when the address is added later', async () => {
    const world = aContactWorld();
    const stranger = { channel: 'email', address: 'stranger@fabrikam.example' } as const;

    await unsubscribeContact(world.pages, tokenOf(await world.links.linkFor(stranger)));
    await registerRecipientContacts(
      world.lifecycle,
      customer,
      { emails: [stranger.address], phones: [] },
      {
        locale: 'en',
        brand: 'Contoso',
      },
    );

    expect((await world.states.read([stranger])).get(contactKey(stranger))?.status).toBe('optedOut');
    expect(world.channels.emails).toEqual([]);
  });

  it('refuses a confirmation link on the unsubscribe page', async () => {
    const world = await aPendingContact();

    expect(await unsubscribeContact(world.pages, world.token)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('delivery events', () => {
  it('put bounced, complained and opted-out contacts in that state, at the event’s time, and skip the rest', async () => {
    const world = aContactWorld();
    await world.states.register(customer, email, 'ja');
    const at = new Date('2026-11-02T03:00:00.000Z');

    const result = await applyDeliveryEvents({ changes: world.states }, [
      { contact: email, effect: 'bounced', at, cause: 'Bounce/Permanent' },
      { contact: phone, effect: 'optedOut', at, cause: 'inbound STOP' },
      { contact: { channel: 'email', address: 'x@fabrikam.example' }, effect: 'ignored', at, cause: 'Delivery' },
    ]);

    expect(result).toEqual({ applied: 2, ignored: 1 });
    const stored = await world.states.read([email, phone]);
    expect(stored.get(contactKey(email))).toMatchObject({ status: 'bounced', since: at.toISOString(), locale: 'ja' });
    // A number never registered gets a state too: the opt-out holds if it is typed into a form later.
    expect(stored.get(contactKey(phone))?.status).toBe('optedOut');
  });
});
