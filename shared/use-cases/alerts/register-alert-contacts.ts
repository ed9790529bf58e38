import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale, Contacts } from '#shared/domain/alerts/settings.ts';
import type { AlertOutbox } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import {
  type ContactAddress,
  type ContactRegistration,
  type ContactRegistry,
  contactKey,
} from '#shared/use-cases/alerts/ports/contact-states.ts';

export interface RegisterAlertContactsDeps {
  readonly contacts: ContactRegistry;
  /**
   * Called for each contact `register` created (`isNew`): the contact is `pending` and must be asked to confirm
   * (the opt-in message of the contacts capability). Absent: nothing is sent, the contact stays pending.
   */
  readonly onNewContact?: (registration: ContactRegistration, recipient: AlertRecipient) => Promise<void>;
}

/**
 * The addresses of a settings' contacts as the contact store keys them: e-mail addresses lower-cased (mail systems
 * treat the local part case-insensitively in practice, and one person typing `Ops@` and `ops@` is one contact).
 */
export function contactAddressesOf(contacts: Contacts): ContactAddress[] {
  return [
    ...contacts.emails.map((address): ContactAddress => ({ channel: 'email', address: address.toLowerCase() })),
    ...contacts.phones.map((address): ContactAddress => ({ channel: 'sms', address })),
  ];
}

/**
 * Registers every e-mail address and phone number of a recipient's settings in the contact store: a new one is
 * stored `pending` (and handed to `onNewContact` to be asked to confirm), a known one keeps its state (an address
 * that bounced or opted out stays so). Idempotent, so it runs after every settings change. No subscription is made
 * anywhere: the notifier reads the recipient's settings and the contacts' states when an alert comes.
 * @returns the registrations, in the order e-mails then phones.
 * @throws Error when the store fails; the contacts before it stay registered (a retry is harmless).
 */
export async function registerAlertContacts(
  deps: RegisterAlertContactsDeps,
  recipient: AlertRecipient,
  contacts: Contacts,
  locale: AlertLocale,
): Promise<ContactRegistration[]> {
  const registrations: ContactRegistration[] = [];
  for (const contact of contactAddressesOf(contacts)) {
    const registration = await deps.contacts.register(recipient, contact, locale);
    if (registration.isNew) await deps.onNewContact?.(registration, recipient);
    registrations.push(registration);
  }
  return registrations;
}

/**
 * Registers a recipient's contacts (`registerAlertContacts`) and, in the local mode, subscribes the outbox queue that
 * shows every alert of the recipient. For every settings change that names contacts: a customer's budget, a reseller
 * partner.
 * @throws Error when the store fails or the outbox cannot be subscribed (a retry is harmless).
 */
export async function registerRecipient(
  deps: RegisterAlertContactsDeps & { readonly outbox?: AlertOutbox },
  recipient: AlertRecipient,
  contacts: Contacts,
  locale: AlertLocale,
): Promise<void> {
  await registerAlertContacts(deps, recipient, contacts, locale);
  await deps.outbox?.subscribeRecipient(recipient);
}

/**
 * Drops the recipient from the contacts it had (`before`) and no longer has (`kept`: every contact the recipient's
 * settings still name, e.g. those of a customer's other budgets). The contacts' states are kept (an opt-out must
 * survive the address being removed and added again). Run after registering the new contacts and before storing the
 * settings, so a failure leaves the old settings stored and a retry releases them again.
 * @returns the contacts released.
 * @throws Error when the store fails; the ones before it stay released (a retry is harmless).
 */
export async function releaseRemovedContacts(
  deps: Pick<RegisterAlertContactsDeps, 'contacts'>,
  recipient: AlertRecipient,
  before: Contacts,
  kept: readonly Contacts[],
): Promise<ContactAddress[]> {
  const keptKeys = new Set(kept.flatMap(contactAddressesOf).map(contactKey));
  const removed = contactAddressesOf(before).filter((contact) => !keptKeys.has(contactKey(contact)));
  for (const contact of removed) await deps.contacts.remove(recipient, contact);
  return removed;
}
