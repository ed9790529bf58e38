import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import type { Contacts } from '#shared/domain/alerts/settings.ts';
import {
  type ContactState,
  type ContactStates,
  type ContactStatus,
  contactAddressesOf,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';

/**
 * A contact's state as the API and the portal show it beside the budget or partner that lists it. `status` is
 * `unknown` for a contact with no stored state (saved by a version before contact states, and not saved since):
 * nothing is sent to it until the settings are saved again, which registers it and asks it to confirm.
 */
export interface ContactStateView {
  readonly channel: 'email' | 'sms';
  readonly address: string;
  readonly status: ContactStatus | 'unknown';
  /** When the status was entered; null for `unknown`. */
  readonly since: string | null;
  readonly mutedRules: readonly AlertRule[];
  /** A `pending` contact the account owner asked to confirm again: the status it had (it stays held until then). */
  readonly reconfirmingFrom?: UndeliverableStatus;
}

export function contactStateViews(states: readonly ContactState[]): ContactStateView[] {
  return states.map(viewOf);
}

function viewOf(state: ContactState): ContactStateView {
  return {
    channel: state.contact.channel,
    address: state.contact.address,
    status: state.status,
    since: state.since,
    mutedRules: state.mutedRules,
    ...(state.reconfirmingFrom ? { reconfirmingFrom: state.reconfirmingFrom } : {}),
  };
}

/** The states of the contacts of a budget or partner, in their order (e-mails, then phones). */
export async function readContactStateViews(states: ContactStates, contacts: Contacts): Promise<ContactStateView[]> {
  const addresses = contactAddressesOf(contacts);
  const stored = await states.read(addresses);
  return addresses.map((contact) => {
    const state = stored.get(contactKey(contact));
    return state
      ? viewOf(state)
      : { channel: contact.channel, address: contact.address, status: 'unknown', since: null, mutedRules: [] };
  });
}
