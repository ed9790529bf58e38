import { type AlertRecipient, type AlertRule, recipientAddress } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale } from '#shared/domain/alerts/settings.ts';
import type { ConfirmationRequests } from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactAddress,
  type ContactRegistration,
  type ContactRegistry,
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';

/**
 * The contact states in Maps, with the DynamoDB adapter's rules (test/adapters/dynamo-contact-states.test.ts holds
 * the adapter to them): register keeps a known state, confirm moves pending only, a state outlives its recipients.
 */
export class InMemoryContactStates
  implements ContactStates, ContactRegistry, ContactStateChanges, ConfirmationRequests
{
  readonly states = new Map<string, ContactState>();
  readonly recipients = new Map<string, Set<string>>();
  readonly confirmationSentAt = new Map<string, Date>();

  constructor(private readonly now: () => Date) {}

  async read(contacts: readonly ContactAddress[]): Promise<ReadonlyMap<string, ContactState>> {
    const found = new Map<string, ContactState>();
    for (const contact of contacts) {
      const state = this.states.get(contactKey(contact));
      if (state) found.set(contactKey(contact), state);
    }
    return found;
  }

  async register(
    recipient: AlertRecipient,
    contact: ContactAddress,
    locale: AlertLocale,
  ): Promise<ContactRegistration> {
    const key = contactKey(contact);
    const known = this.states.get(key);
    this.recipients.set(key, new Set([...(this.recipients.get(key) ?? []), recipientAddress(recipient)]));
    if (known) return { state: known, isNew: false };
    const state: ContactState = { contact, status: 'pending', since: this.now().toISOString(), locale, mutedRules: [] };
    this.states.set(key, state);
    return { state, isNew: true };
  }

  async remove(recipient: AlertRecipient, contact: ContactAddress): Promise<void> {
    this.recipients.get(contactKey(contact))?.delete(recipientAddress(recipient));
  }

  async recipientsOf(contact: ContactAddress): Promise<readonly string[]> {
    return [...(this.recipients.get(contactKey(contact)) ?? [])].sort();
  }

  async confirm(contact: ContactAddress, at: Date): Promise<ContactState | undefined> {
    const state = this.states.get(contactKey(contact));
    if (state?.status !== 'pending') return state;
    const confirmed: ContactState = { ...state, status: 'active', since: at.toISOString() };
    this.states.set(contactKey(contact), confirmed);
    return confirmed;
  }

  async markUndeliverable(contact: ContactAddress, status: UndeliverableStatus, at: Date): Promise<void> {
    const state = this.states.get(contactKey(contact));
    this.states.set(contactKey(contact), {
      contact,
      locale: state?.locale ?? 'en',
      mutedRules: state?.mutedRules ?? [],
      status,
      since: at.toISOString(),
    });
  }

  async muteRule(contact: ContactAddress, rule: AlertRule): Promise<void> {
    const state = this.states.get(contactKey(contact));
    if (!state || state.mutedRules.includes(rule)) return;
    this.states.set(contactKey(contact), { ...state, mutedRules: [...state.mutedRules, rule] });
  }

  async claim(contact: ContactAddress, at: Date, minIntervalHours: number): Promise<boolean> {
    const key = contactKey(contact);
    if (!this.states.has(key)) return false;
    const last = this.confirmationSentAt.get(key);
    if (last && last.getTime() >= at.getTime() - minIntervalHours * 3600_000) return false;
    this.confirmationSentAt.set(key, at);
    return true;
  }

  async release(contact: ContactAddress, at: Date): Promise<void> {
    if (this.confirmationSentAt.get(contactKey(contact))?.getTime() === at.getTime()) {
      this.confirmationSentAt.delete(contactKey(contact));
    }
  }
}
