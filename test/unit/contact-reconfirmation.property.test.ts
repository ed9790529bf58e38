import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { DomainError } from '#shared/domain/errors.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  CONFIRMATION_RESEND_HOURS,
  RECONFIRMATION_RESEND_HOURS,
  registerRecipientContacts,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import { requestContactConfirmation } from '#shared/use-cases/alerts/request-contact-confirmation.ts';
import { aContactWorld } from '#test/helpers/contact-world.ts';

const customer: AlertRecipient = { kind: 'customer', id: 'tenant-a' };
const contexts = [
  { locale: 'en', brand: 'Contoso Analytics' },
  { locale: 'ja', brand: 'Contoso Analytics' },
] as const;

/** What the account owner (or the publisher, or a partner) can do, and what time and the channels do meanwhile. */
type Step =
  | { readonly kind: 'save'; readonly locale: 0 | 1 }
  | { readonly kind: 'remove' }
  | { readonly kind: 'request' }
  | { readonly kind: 'wait'; readonly minutes: number }
  | { readonly kind: 'bounce' | 'complaint' | 'unsubscribe' }
  | { readonly kind: 'providerOptOut' | 'providerOptIn' };

const ownerSteps: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('save' as const), locale: fc.constantFrom(0 as const, 1 as const) }),
  fc.constant({ kind: 'remove' as const }),
  fc.constant({ kind: 'request' as const }),
  fc.constant({ kind: 'request' as const }),
  // Minutes, and a day to nine days: around both resend intervals (24 hours, 7 days).
  fc.record({
    kind: fc.constant('wait' as const),
    minutes: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 23 * 60, max: 9 * 24 * 60 })),
  }),
  fc.constant({ kind: 'bounce' as const }),
  // The channel's opt-out list: a number that replied STOP is refused until its holder texts START.
  fc.constant({ kind: 'providerOptOut' as const }),
  fc.constant({ kind: 'providerOptIn' as const }),
);

const contacts: fc.Arbitrary<ContactAddress> = fc.constantFrom<ContactAddress>(
  { channel: 'email', address: 'billing@fabrikam.example' },
  { channel: 'sms', address: '+819012345678' },
);

type World = ReturnType<typeof aContactWorld>;

async function apply(world: World, contact: ContactAddress, step: Step): Promise<void> {
  const listed =
    contact.channel === 'email' ? { emails: [contact.address], phones: [] } : { emails: [], phones: [contact.address] };
  const none = { emails: [], phones: [] };
  const at = world.clock.now();
  switch (step.kind) {
    case 'save':
      await registerRecipientContacts(world.lifecycle, customer, listed, contexts[step.locale]);
      return;
    case 'remove':
      await registerRecipientContacts(world.lifecycle, customer, none, contexts[0], { before: listed, kept: [none] });
      return;
    case 'request':
      // Refusals (409, 429) are answers, not failures of the property.
      await requestContactConfirmation(world.lifecycle, customer, contact, contexts[0]).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
      });
      return;
    case 'wait':
      world.clock.advanceMinutes(step.minutes);
      return;
    case 'bounce':
      await world.states.markUndeliverable(contact, 'bounced', at);
      return;
    case 'complaint':
      await world.states.markUndeliverable(contact, 'complained', at);
      return;
    case 'unsubscribe':
      await world.states.markUndeliverable(contact, 'optedOut', at);
      return;
    case 'providerOptOut':
      if (contact.channel === 'sms') world.channels.refuse.set(contact.address, 'optedOut');
      return;
    case 'providerOptIn':
      world.channels.refuse.delete(contact.address);
      return;
  }
}

const statusOf = async (world: World, contact: ContactAddress) =>
  (await world.states.read([contact])).get(contactKey(contact))?.status;
const sentTo = (world: World, contact: ContactAddress) =>
  contact.channel === 'email'
    ? world.channels.emails.filter((mail) => mail.to === contact.address).length
    : world.channels.texts.filter((text) => text.to === contact.address).length;

describe('contact states under any sequence of owner actions', () => {
  it('never makes a complained or opted-out contact active without the person’s confirmation', async () => {
    await fc.assert(
      fc.asyncProperty(
        contacts,
        fc.constantFrom('complained' as const, 'optedOut' as const, 'bounced' as const),
        fc.array(ownerSteps, { maxLength: 25 }),
        async (contact, start, steps) => {
          const world = aContactWorld();
          world.states.put(contact, start);
          for (const step of steps) {
            await apply(world, contact, step);
            expect(await statusOf(world, contact)).not.toBe('active');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sends one contact at most one confirmation per 24 hours, and per 7 days to a person who said stop', async () => {
    const personStops = fc.constantFrom<Step>({ kind: 'unsubscribe' }, { kind: 'complaint' });
    await fc.assert(
      fc.asyncProperty(
        contacts,
        fc.constantFrom('pending' as const, 'complained' as const, 'optedOut' as const, 'bounced' as const),
        fc.array(fc.oneof(ownerSteps, personStops), { maxLength: 30 }),
        async (contact, start, steps) => {
          const world = aContactWorld();
          world.states.put(contact, start);
          let last: number | undefined;
          for (const step of steps) {
            const state = (await world.states.read([contact])).get(contactKey(contact));
            const saidStop = (status?: string) => status === 'optedOut' || status === 'complained';
            const personSaidStop =
              saidStop(state?.status) || (state?.status === 'pending' && saidStop(state.reconfirmingFrom));
            const before = sentTo(world, contact);
            await apply(world, contact, step);
            if (sentTo(world, contact) === before) continue;
            const now = world.clock.now().getTime();
            const hours = personSaidStop ? RECONFIRMATION_RESEND_HOURS : CONFIRMATION_RESEND_HOURS;
            if (last !== undefined) expect(now - last).toBeGreaterThan(hours * 3600_000);
            last = now;
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('does make the contact active when the person confirms the link of a re-confirmation (the property can fail)', async () => {
    await fc.assert(
      fc.asyncProperty(
        contacts,
        fc.constantFrom('complained' as const, 'optedOut' as const, 'bounced' as const),
        async (contact, start) => {
          const world = aContactWorld();
          world.states.put(contact, start);
          world.clock.advanceMinutes(RECONFIRMATION_RESEND_HOURS * 60);
          await requestContactConfirmation(world.lifecycle, customer, contact, contexts[0]);
          expect(await statusOf(world, contact)).toBe('pending');
          await world.personConfirms(contact.address);
          expect(await statusOf(world, contact)).toBe('active');
        },
      ),
      { numRuns: 20 },
    );
  });
});
