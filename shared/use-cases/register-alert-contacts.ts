import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { Contacts } from '#shared/domain/alerts/settings.ts';
import type { AlertContactRegistry } from '#shared/use-cases/ports/alert-publisher.ts';

export interface RegisterAlertContactsDeps {
  readonly contacts: AlertContactRegistry;
}

/**
 * Subscribes every e-mail address and phone number of a recipient's settings to that recipient's alerts (and only
 * those: the registry filters on the recipient). Idempotent, so it can run after every settings change.
 * Contacts removed from the settings are not unsubscribed here.
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
