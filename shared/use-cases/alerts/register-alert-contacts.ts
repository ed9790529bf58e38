import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { Contacts } from '#shared/domain/alerts/settings.ts';
import type { AlertOutbox } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import type { AlertContact, AlertContactRegistry } from '#shared/use-cases/alerts/ports/alert-publisher.ts';

export interface RegisterAlertContactsDeps {
  readonly contacts: AlertContactRegistry;
}

/**
 * Subscribes every e-mail address and phone number of a recipient's settings to that recipient's alerts (and only
 * those: the registry filters on the recipient). Idempotent, so it can run after every settings change.
 * Contacts removed from the settings are released by `releaseRemovedContacts`.
 * @returns the subscription id of each contact, in the order e-mails then phones.
 * @throws Error when the messaging service refuses a contact; the ones before it stay registered.
 */
export async function registerAlertContacts(
  deps: RegisterAlertContactsDeps,
  recipient: AlertRecipient,
  contacts: Contacts,
): Promise<string[]> {
  const ids: string[] = [];
  for (const address of contacts.emails) {
    ids.push(await deps.contacts.registerContact(recipient, { protocol: 'email', address }));
  }
  for (const phone of contacts.phones) {
    ids.push(await deps.contacts.registerContact(recipient, { protocol: 'sms', phone }));
  }
  return ids;
}

/**
 * Registers a recipient's contacts (`registerAlertContacts`) and, in the local mode, subscribes the outbox queue that
 * stands in for e-mail and SMS to the recipient's alerts. For every settings change that names contacts: a customer's
 * budget, a reseller partner.
 * @throws Error when the messaging service refuses a contact or the outbox cannot be subscribed (a retry is harmless).
 */
export async function registerRecipient(
  deps: RegisterAlertContactsDeps & { readonly outbox?: AlertOutbox },
  recipient: AlertRecipient,
  contacts: Contacts,
): Promise<void> {
  await registerAlertContacts(deps, recipient, contacts);
  await deps.outbox?.subscribeRecipient(recipient);
}

/**
 * Stops the alerts of a recipient to the contacts it had (`before`) and no longer has (`kept`: every contact the
 * recipient's settings still name, e.g. those of a customer's other budgets). Run after registering the new contacts
 * and before storing the settings, so a failure leaves the old settings stored and a retry releases them again.
 * @returns the contacts released.
 * @throws Error when the messaging service refuses; the ones before it stay released (a retry is harmless).
 */
export async function releaseRemovedContacts(
  deps: RegisterAlertContactsDeps,
  recipient: AlertRecipient,
  before: Contacts,
  kept: readonly Contacts[],
): Promise<AlertContact[]> {
  const keptEmails = new Set(kept.flatMap((contacts) => contacts.emails));
  const keptPhones = new Set(kept.flatMap((contacts) => contacts.phones));
  const removed: AlertContact[] = [
    ...before.emails
      .filter((address) => !keptEmails.has(address))
      .map((address) => ({ protocol: 'email' as const, address })),
    ...before.phones.filter((phone) => !keptPhones.has(phone)).map((phone) => ({ protocol: 'sms' as const, phone })),
  ];
  for (const contact of removed) await deps.contacts.removeContact(recipient, contact);
  return removed;
}
