import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { confirmationEmail, confirmationSms } from '#shared/domain/alerts/contact-messages.ts';
import type { AlertLocale, Contacts } from '#shared/domain/alerts/settings.ts';
import type { ConfirmationRequests, ConfirmLinks } from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactRegistry,
  type ContactState,
  type ContactStateChanges,
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
 * A contact still pending gets a new confirmation message on a later save of a budget or partner naming it, at most
 * once per this many hours: the person who lost the first one is helped by saving again, and saving a form ten
 * times in a minute sends one message, not ten (nor lets anyone flood an address or a phone through our API).
 */
export const CONFIRMATION_RESEND_HOURS = 24;

/** What registering contacts needs: the stored states, the links, and the channels the confirmation goes through. */
export interface ContactLifecycleDeps {
  readonly registry: ContactRegistry;
  readonly changes: Pick<ContactStateChanges, 'markUndeliverable'>;
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
 * whose last message is older than `CONFIRMATION_RESEND_HOURS` is sent a new one; an active, bounced or opted-out
 * contact keeps its state and gets nothing. Contacts the recipient had (`previous`) and no longer names (`kept`: its
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
  if (!(await deps.confirmations.claim(state.contact, at, CONFIRMATION_RESEND_HOURS))) return state;
  try {
    const link = await deps.confirmLinks.confirmLinkFor(state.contact);
    const input = { locale: context.locale, brand: context.brand, recipientKind: recipient.kind, link };
    const tags = { purpose: 'contact-confirmation' };
    if (state.contact.channel === 'email') {
      await deps.email.send({ to: state.contact.address, ...confirmationEmail(input), tags });
    } else {
      await deps.sms.send({ to: state.contact.address, body: confirmationSms(input), tags });
    }
    return state;
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

/** An opted-out number stays opted out; an address the channel will never deliver to counts as bounced. */
function refusedStatus(reason: RecipientRefused['reason']): UndeliverableStatus {
  return reason === 'optedOut' ? 'optedOut' : 'bounced';
}
