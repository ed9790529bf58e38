import type { AlertRecipient, AlertRule } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale, Contacts } from '#shared/domain/alerts/settings.ts';

/**
 * Where an alert goes: an e-mail address (lower-cased) or a mobile number in E.164. The same address registered by
 * two recipients is one contact with one state (a bounce or an opt-out is about the address, not the recipient).
 */
export type ContactAddress =
  | { readonly channel: 'email'; readonly address: string }
  | { readonly channel: 'sms'; readonly address: string };

/**
 * The addresses of a settings' contacts as the contact store keys them, e-mails then phones: e-mail addresses
 * lower-cased (mail systems treat the local part case-insensitively in practice, and one person typing `Ops@` and
 * `ops@` is one contact).
 */
export function contactAddressesOf(contacts: Contacts): ContactAddress[] {
  return [
    ...contacts.emails.map((address): ContactAddress => ({ channel: 'email', address: address.toLowerCase() })),
    ...contacts.phones.map((address): ContactAddress => ({ channel: 'sms', address })),
  ];
}

/** `email:<address>` or `sms:<E.164>`: the key of a contact in maps and stores. */
export function contactKey(contact: ContactAddress): string {
  return `${contact.channel}:${contact.address}`;
}

/**
 * A contact's delivery state:
 * - `pending`: registered, waiting for the person to confirm (our own opt-in message with a link or code);
 * - `active`: confirmed; alerts are sent;
 * - `bounced`: the address does not exist or the mailbox refuses mail (a hard bounce): nothing is sent;
 * - `complained`: the person marked an alert as spam: nothing is sent;
 * - `optedOut`: the person unsubscribed (e-mail link, SMS STOP): nothing is sent.
 */
export type ContactStatus = 'pending' | 'active' | 'bounced' | 'complained' | 'optedOut';

export interface ContactState {
  readonly contact: ContactAddress;
  readonly status: ContactStatus;
  /** ISO-8601 UTC time the status was entered. */
  readonly since: string;
  /** Rules this contact unsubscribed from one by one (the per-rule unsubscribe link); it still gets the others. */
  readonly mutedRules: readonly AlertRule[];
  /** The language its confirmation message was sent in. */
  readonly locale: AlertLocale;
  /** When the last confirmation message was sent (ISO-8601 UTC); absent when none was. */
  readonly confirmationSentAt?: string;
  /**
   * Set while a contact is `pending` again because the account owner asked for a new confirmation after it
   * bounced, complained or opted out: the status it came from. Only the person's confirmation makes it `active`.
   */
  readonly reconfirmingFrom?: UndeliverableStatus;
}

/**
 * The stored states of contacts. Implemented by the contacts capability (DynamoDB adapter); read by the notifier
 * before it sends anything.
 */
export interface ContactStates {
  /**
   * The states of the given contacts, by `contactKey`. A contact with no stored state is missing from the map:
   * treat it as never registered (send nothing, report it).
   */
  read(contacts: readonly ContactAddress[]): Promise<ReadonlyMap<string, ContactState>>;
}

/** What registering a contact found: its state, and whether it was new (then it needs a confirmation message). */
export interface ContactRegistration {
  readonly state: ContactState;
  readonly isNew: boolean;
}

/**
 * Registers and removes a recipient's contacts when a budget or a partner is saved (replaces the per-contact SNS
 * subscriptions). A new contact is stored `pending`; a known one keeps its state, so an address that bounced or opted
 * out is not made sendable again by being saved in a form.
 */
export interface ContactRegistry {
  register(recipient: AlertRecipient, contact: ContactAddress, locale: AlertLocale): Promise<ContactRegistration>;
  /**
   * The recipient no longer lists the contact; other recipients keep it. The state itself is kept (an opt-out or a
   * bounce must survive the contact being removed and added again). Idempotent.
   */
  remove(recipient: AlertRecipient, contact: ContactAddress): Promise<void>;
  /** The recipients (`customer:<id>` / `partner:<id>`) that list the contact. */
  recipientsOf(contact: ContactAddress): Promise<readonly string[]>;
}

/** The undeliverable states a channel's events or the person can put a contact in. */
export type UndeliverableStatus = Extract<ContactStatus, 'bounced' | 'complained' | 'optedOut'>;

/** State changes, from the person (confirm, unsubscribe) or from the channels' delivery events. */
export interface ContactStateChanges {
  /**
   * `pending` → `active` (the person followed the confirmation link). A contact in any other state is left as it is.
   * @returns the state after the call, or undefined for an unknown contact.
   */
  confirm(contact: ContactAddress, at: Date): Promise<ContactState | undefined>;
  /** Any state → `status`; creates the state for an unknown contact (a bounce may arrive for any address). */
  markUndeliverable(contact: ContactAddress, status: UndeliverableStatus, at: Date): Promise<void>;
  /** Stops one rule for this contact (the per-rule unsubscribe link); idempotent. */
  muteRule(contact: ContactAddress, rule: AlertRule, at: Date): Promise<void>;
  /**
   * `from` → `pending` with `reconfirmingFrom = from`: the account owner asked for a new confirmation of a contact
   * that bounced, complained or opted out. Only when the stored status is still `from` (an event or a person's
   * action meanwhile wins). Never makes a contact `active`: only `confirm` (the person) does.
   * @returns the pending state, or undefined when the stored status was no longer `from`.
   */
  reopen(contact: ContactAddress, from: UndeliverableStatus, at: Date): Promise<ContactState | undefined>;
  /**
   * Undoes a `reopen` made at `at` whose confirmation could not be sent: back to `previous` (status and since), only
   * while the contact is still pending from that reopen. Idempotent.
   */
  restore(previous: ContactState, at: Date): Promise<void>;
}

/** Links a person follows to stop alerts: per contact for every rule, or per contact and rule. */
export interface UnsubscribeLinks {
  /** An absolute https URL carrying a signed token; `rule` narrows it to one rule. */
  linkFor(contact: ContactAddress, rule?: AlertRule): Promise<string>;
}
