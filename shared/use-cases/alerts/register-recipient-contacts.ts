import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { confirmationEmail, confirmationSms } from '#shared/domain/alerts/contact-messages.ts';
import type { AlertLocale, Contacts } from '#shared/domain/alerts/settings.ts';
import type { ConfirmationRequests, ConfirmLinks } from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactAddress,
  type ContactRegistry,
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  contactAddressesOf,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  type EmailChannel,
  RecipientRefused,
  type SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * A contact still pending gets a new confirmation message on a later save of a budget or partner naming it, or when
 * the account owner asks for one, at most once per this many hours: the person who lost the first one is helped by
 * asking again, and saving a form ten times in a minute sends one message, not ten (nor lets anyone flood an address
 * or a phone through our API).
 */
export const CONFIRMATION_RESEND_HOURS = 24;

/**
 * A person who stopped alerts themselves (unsubscribed, replied STOP, or marked an alert as spam) is asked to confirm
 * again at most once per confirmation link's lifetime (7 days), however often the owner asks: one open request at a
 * time, so an owner cannot turn "ask again" into a daily message to someone who said stop.
 */
export const RECONFIRMATION_RESEND_HOURS = 7 * 24;

/** How long after its last confirmation message a contact may be sent another. */
export function confirmationIntervalHours(state: Pick<ContactState, 'status' | 'reconfirmingFrom'>): number {
  const stoppedBy = state.status === 'pending' ? state.reconfirmingFrom : state.status;
  return stoppedBy === 'optedOut' || stoppedBy === 'complained'
    ? RECONFIRMATION_RESEND_HOURS
    : CONFIRMATION_RESEND_HOURS;
}

/** What registering contacts needs: the stored states, the links, and the channels the confirmation goes through. */
export interface ContactLifecycleDeps {
  readonly registry: ContactRegistry & ContactStates;
  readonly changes: Pick<ContactStateChanges, 'markUndeliverable' | 'reopen' | 'restore'>;
  readonly confirmations: ConfirmationRequests;
  readonly confirmLinks: ConfirmLinks;
  readonly email: EmailChannel;
  readonly sms: SmsChannel;
  readonly clock: Clock;
}

/** How the confirmation message reads: the recipient's language, and the name the person knows. */
export interface ConfirmationContext {
  readonly locale: AlertLocale;
  readonly brand: string;
}

/**
 * Registers a recipient's contacts in the contact states and asks each pending one to confirm (our own opt-in):
 * a new contact is stored `pending` and sent a confirmation message with a signed link; a contact still pending
 * whose last message is older than `confirmationIntervalHours` is sent a new one; an active, bounced or opted-out
 * contact keeps its state and gets nothing (the owner asks for its re-confirmation on purpose:
 * `requestContactConfirmation`). Contacts the recipient had (`previous`) and no longer names (`kept`: its
 * settings' contacts, all of them) are removed from the recipient; their state stays.
 *
 * A channel that refuses an address for good (a suppressed address, an opted-out number) puts the contact in the
 * matching state at once. Any other failure gives the send claim back and is thrown: nothing else is undone, and
 * saving again is harmless (registering is idempotent and the message is then sent).
 * @returns the states of the recipient's contacts after the call, e-mails then phones.
 * @throws Error when a state cannot be stored or a channel fails for a reason that may pass.
 */
export async function registerRecipientContacts(
  deps: ContactLifecycleDeps,
  recipient: AlertRecipient,
  contacts: Contacts,
  context: ConfirmationContext,
  previous?: { readonly before: Contacts; readonly kept: readonly Contacts[] },
): Promise<ContactState[]> {
  const states: ContactState[] = [];
  for (const contact of contactAddressesOf(contacts)) {
    const { state } = await deps.registry.register(recipient, contact, context.locale);
    states.push(state.status === 'pending' ? await askToConfirm(deps, recipient, state, context) : state);
  }
  if (previous) {
    const kept = new Set(previous.kept.flatMap((other) => contactAddressesOf(other)).map(contactKey));
    for (const contact of contactAddressesOf(previous.before)) {
      if (!kept.has(contactKey(contact))) await deps.registry.remove(recipient, contact);
    }
  }
  return states;
}

async function askToConfirm(
  deps: ContactLifecycleDeps,
  recipient: AlertRecipient,
  state: ContactState,
  context: ConfirmationContext,
): Promise<ContactState> {
  const at = deps.clock.now();
  if (!(await deps.confirmations.claim(state.contact, at, confirmationIntervalHours(state)))) return state;
  try {
    await sendConfirmationMessage(deps, recipient, state.contact, context);
    return { ...state, confirmationSentAt: at.toISOString() };
  } catch (error) {
    if (error instanceof RecipientRefused) {
      const status = refusedStatus(error.reason);
      await deps.changes.markUndeliverable(state.contact, status, at);
      return { ...state, status, since: at.toISOString() };
    }
    await deps.confirmations.release(state.contact, at);
    throw error;
  }
}

/**
 * Sends the confirmation message (our own opt-in) with a fresh signed link, in the recipient's language.
 * @throws RecipientRefused when the channel refuses the address for good; any other error may pass.
 */
export async function sendConfirmationMessage(
  deps: Pick<ContactLifecycleDeps, 'confirmLinks' | 'email' | 'sms'>,
  recipient: AlertRecipient,
  contact: ContactAddress,
  context: ConfirmationContext,
): Promise<void> {
  const link = await deps.confirmLinks.confirmLinkFor(contact);
  const input = { locale: context.locale, brand: context.brand, recipientKind: recipient.kind, link };
  const tags = { purpose: 'contact-confirmation' };
  if (contact.channel === 'email') {
    await deps.email.send({ to: contact.address, ...confirmationEmail(input), tags });
  } else {
    await deps.sms.send({ to: contact.address, body: confirmationSms(input), tags });
  }
}

/** An opted-out number stays opted out; an address the channel will never deliver to counts as bounced. */
export function refusedStatus(reason: RecipientRefused['reason']): UndeliverableStatus {
  return reason === 'optedOut' ? 'optedOut' : 'bounced';
}
