import { describe, expect, it } from 'vitest';
import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { ConflictError, NotFoundError, TooManyRequestsError, ValidationError } from '#shared/domain/errors.ts';
import { contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  CONFIRMATION_RESEND_HOURS,
  RECONFIRMATION_RESEND_HOURS,
  registerRecipientContacts,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import {
  confirmationRequestStep,
  parseContactParam,
  requestContactConfirmation,
  requireListedContact,
} from '#shared/use-cases/alerts/request-contact-confirmation.ts';
import { aContactWorld } from '#test/helpers/contact-world.ts';

const customer: AlertRecipient = { kind: 'customer', id: 'tenant-a' };
const email = { channel: 'email', address: 'billing@fabrikam.example' } as const;
const phone = { channel: 'sms', address: '+819012345678' } as const;
const context = { locale: 'en', brand: 'Contoso Analytics' } as const;

const statusOf = async (world: ReturnType<typeof aContactWorld>, contact: typeof email | typeof phone) =>
  (await world.states.read([contact])).get(contactKey(contact))?.status;

describe('asking a contact to confirm again', () => {
  it('states the step for each status: resend a pending one, reopen an undeliverable one, refuse an active one', () => {
    expect(confirmationRequestStep('pending')).toEqual({ step: 'resend' });
    expect(confirmationRequestStep('bounced')).toEqual({ step: 'reopen', from: 'bounced' });
    expect(confirmationRequestStep('complained')).toEqual({ step: 'reopen', from: 'complained' });
    expect(confirmationRequestStep('optedOut')).toEqual({ step: 'reopen', from: 'optedOut' });
    expect(confirmationRequestStep('active')).toEqual({ step: 'alreadyActive' });
  });

  it('sends a pending contact its confirmation again after 24 hours, and answers 429 with the time before', async () => {
    const world = aContactWorld();
    await registerRecipientContacts(world.lifecycle, customer, { emails: [email.address], phones: [] }, context);
    world.clock.advanceMinutes(60);

    const early = requestContactConfirmation(world.lifecycle, customer, email, context);
    await expect(early).rejects.toThrow(TooManyRequestsError);
    await expect(early).rejects.toThrow(/Ask again from 2026-11-02T00:00:00.000Z/);
    await early.catch((error: TooManyRequestsError) => expect(error.retry.afterSeconds).toBe(23 * 3600));
    expect(world.channels.emails).toHaveLength(1);

    world.clock.advanceMinutes(CONFIRMATION_RESEND_HOURS * 60);
    const answer = await requestContactConfirmation(world.lifecycle, customer, email, context);

    expect(answer).toMatchObject({
      address: email.address,
      status: 'pending',
      confirmationSentAt: '2026-11-02T01:00:00.000Z',
    });
    expect(world.channels.emails).toHaveLength(2);
    expect(world.channels.emails[1]?.subject).toBe('Contoso Analytics: please confirm your alert address');
  });

  it('refuses an active contact with 409: there is nothing to confirm', async () => {
    const world = aContactWorld();
    world.states.put(email, 'active');

    await expect(requestContactConfirmation(world.lifecycle, customer, email, context)).rejects.toThrow(
      /has confirmed already and receives alerts/,
    );
    expect(world.channels.emails).toEqual([]);
  });

  it('puts a bounced address back to pending with a confirmation, and only the person’s confirmation makes it active', async () => {
    const world = aContactWorld();
    world.states.put(email, 'bounced');

    const answer = await requestContactConfirmation(world.lifecycle, customer, email, context);

    expect(answer.status).toBe('pending');
    expect((await world.states.read([email])).get(contactKey(email))).toMatchObject({ reconfirmingFrom: 'bounced' });
    expect(world.channels.emails).toHaveLength(1);
    expect(await world.personConfirms(email.address)).toMatchObject({ ok: true, outcome: 'confirmed' });
    expect((await world.states.read([email])).get(contactKey(email))).toEqual(
      expect.not.objectContaining({ reconfirmingFrom: expect.anything() }),
    );
    expect(await statusOf(world, email)).toBe('active');
  });

  it('asks a person who opted out or complained once per 7 days at most, and leaves them pending until they confirm', async () => {
    for (const stopped of ['optedOut', 'complained'] as const) {
      const world = aContactWorld();
      world.states.put(email, stopped);
      await requestContactConfirmation(world.lifecycle, customer, email, context);

      world.clock.advanceMinutes(CONFIRMATION_RESEND_HOURS * 60 + 1);
      await expect(requestContactConfirmation(world.lifecycle, customer, email, context)).rejects.toThrow(
        /at most once every 7 days to a person who unsubscribed or complained/,
      );
      // Saving the settings again does not send it either.
      await registerRecipientContacts(world.lifecycle, customer, { emails: [email.address], phones: [] }, context);
      expect(world.channels.emails).toHaveLength(1);
      expect(await statusOf(world, email)).toBe('pending');

      world.clock.advanceMinutes(RECONFIRMATION_RESEND_HOURS * 60);
      await requestContactConfirmation(world.lifecycle, customer, email, context);
      expect(world.channels.emails).toHaveLength(2);
    }
  });

  it('leaves a number that replied STOP opted out and says only its holder can lift it (texting START)', async () => {
    const world = aContactWorld();
    world.states.put(phone, 'optedOut', { since: '2026-10-01T00:00:00.000Z' });
    world.channels.refuse.set(phone.address, 'optedOut');

    await expect(requestContactConfirmation(world.lifecycle, customer, phone, context)).rejects.toThrow(
      /replied STOP.*Only its holder can lift that: by texting START/,
    );
    expect((await world.states.read([phone])).get(contactKey(phone))).toMatchObject({
      status: 'optedOut',
      since: '2026-10-01T00:00:00.000Z',
    });
    expect((await world.states.read([phone])).get(contactKey(phone))?.reconfirmingFrom).toBeUndefined();

    // The holder texted START: End User Messaging took the number off its opt-out list. Nothing was sent before, so
    // the owner may ask again at once.
    world.channels.refuse.delete(phone.address);
    expect(await requestContactConfirmation(world.lifecycle, customer, phone, context)).toMatchObject({
      status: 'pending',
    });
    expect(world.channels.texts).toHaveLength(1);
    expect(await world.personConfirms(phone.address)).toMatchObject({ outcome: 'confirmed' });
  });

  it('says how the publisher lifts an SES suppression, and keeps the bounce', async () => {
    const world = aContactWorld();
    world.states.put(email, 'bounced');
    world.channels.refuse.set(email.address, 'suppressed');

    const refused = requestContactConfirmation(world.lifecycle, customer, email, context);

    await expect(refused).rejects.toThrow(ConflictError);
    await expect(refused).rejects.toThrow(/suppression list/);
    expect(await statusOf(world, email)).toBe('bounced');
  });

  it('undoes the reopen when the channel fails for now, so nothing is half done', async () => {
    const world = aContactWorld();
    world.states.put(email, 'complained');
    world.channels.fail = new Error('Throttling');

    await expect(requestContactConfirmation(world.lifecycle, customer, email, context)).rejects.toThrow('Throttling');

    expect(await statusOf(world, email)).toBe('complained');
    world.channels.fail = undefined;
    await requestContactConfirmation(world.lifecycle, customer, email, context);
    expect(world.channels.emails).toHaveLength(1);
  });

  it('answers 409 and sends nothing when the state changed between reading and reopening it', async () => {
    const world = aContactWorld();
    world.states.put(email, 'bounced');
    // A complaint recorded by the delivery events while the request runs.
    const claim = world.states.claim.bind(world.states);
    world.states.claim = async (contact, at, hours) => {
      await world.states.markUndeliverable(contact, 'complained', at);
      return claim(contact, at, hours);
    };

    await expect(requestContactConfirmation(world.lifecycle, customer, email, context)).rejects.toThrow(
      /changed while asking \(it was bounced\): read the contact states again/,
    );
    expect(await statusOf(world, email)).toBe('complained');
    expect(world.channels.emails).toEqual([]);
    // The claim was given back: nothing went out, so the next request is not held back by this one.
    expect(world.states.confirmationSentAt.size).toBe(0);
  });

  it('registers a contact listed before contact states existed, and asks it', async () => {
    const world = aContactWorld();

    expect(await requestContactConfirmation(world.lifecycle, customer, email, context)).toMatchObject({
      status: 'pending',
    });
    expect(world.channels.emails).toHaveLength(1);
  });
});

describe('the contact of a path', () => {
  it('reads an e-mail address (lower-cased) or an E.164 number, percent-encoded or not', () => {
    expect(parseContactParam('Billing%40Fabrikam.example')).toEqual(email);
    expect(parseContactParam('billing@fabrikam.example')).toEqual(email);
    expect(parseContactParam('%2B819012345678')).toEqual(phone);
    expect(parseContactParam('+819012345678')).toEqual(phone);
  });

  it('refuses anything else with a 400 naming path.contact', () => {
    expect(() => parseContactParam('090-1234-5678')).toThrow(ValidationError);
    expect(() => parseContactParam('nobody')).toThrow(/neither an e-mail address nor a phone number/);
  });

  it('finds only contacts the settings list (404 otherwise)', () => {
    const contacts = { emails: ['Billing@Fabrikam.example'], phones: [] };
    expect(requireListedContact(contacts, email, 'the budget')).toEqual(email);
    expect(() => requireListedContact(contacts, phone, 'the budget')).toThrow(NotFoundError);
  });
});
