import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { Contacts } from '#shared/domain/alerts/settings.ts';
import { ConflictError, NotFoundError, TooManyRequestsError, ValidationError } from '#shared/domain/errors.ts';
import { type ContactStateView, contactStateViews } from '#shared/use-cases/alerts/contact-state-views.ts';
import {
  type ContactAddress,
  type ContactStatus,
  contactAddressesOf,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import { RecipientRefused } from '#shared/use-cases/alerts/ports/notification-channels.ts';
import {
  type ConfirmationContext,
  type ContactLifecycleDeps,
  confirmationIntervalHours,
  refusedStatus,
  sendConfirmationMessage,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';

/**
 * What the account owner's "send the confirmation again" does to a contact, by its status:
 * - `pending`: the confirmation message is sent again;
 * - `bounced`, `complained`, `optedOut`: the contact goes back to `pending` (remembering where it came from) and a
 *   confirmation message is sent: alerts start again only when **the person** confirms, never on the owner's word
 *   (a complaint or an opt-out is the person's decision, a bounce the mailbox's);
 * - `active`: nothing to do (refused with 409).
 *
 * No owner action leads to `active`: only `confirmContact` (the person pressing Confirm on the link's page) does.
 */
export type ConfirmationRequestStep =
  | { readonly step: 'resend' }
  | { readonly step: 'reopen'; readonly from: UndeliverableStatus }
  | { readonly step: 'alreadyActive' };

export function confirmationRequestStep(status: ContactStatus): ConfirmationRequestStep {
  if (status === 'active') return { step: 'alreadyActive' };
  if (status === 'pending') return { step: 'resend' };
  return { step: 'reopen', from: status };
}

/** A contact's state after a confirmation request, with when its last confirmation message was sent. */
export type ContactConfirmationAnswer = ContactStateView & { readonly confirmationSentAt: string };

/**
 * The e-mail address or E.164 number of a path parameter as the contact store keys it (e-mails lower-cased). A
 * percent-encoded value (`%40`, `%2B`) is decoded first: whether a gateway decodes path parameters is not something
 * to depend on, and neither an address nor a number contains `%` otherwise.
 * @throws ValidationError naming `path.contact` for anything else.
 */
export function parseContactParam(raw: string): ContactAddress {
  let value = raw.trim();
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // Left as it is: the checks below say what is wrong.
    }
  }
  if (/^\+[1-9]\d{6,14}$/.test(value)) return { channel: 'sms', address: value };
  if (/^[^\s@]+@[^\s@]+$/.test(value) && value.length <= 254) return { channel: 'email', address: value.toLowerCase() };
  throw new ValidationError(
    `"${raw.slice(0, 100)}" is neither an e-mail address nor a phone number in E.164 (+819012345678): give the ` +
      'contact as it is listed in the settings, percent-encoded in the path',
    'path.contact',
  );
}

/**
 * The contact of a recipient's settings a request names.
 * @throws NotFoundError when the settings do not list it (`where` names them in the message).
 */
export function requireListedContact(contacts: Contacts, contact: ContactAddress, where: string): ContactAddress {
  const listed = contactAddressesOf(contacts).find((candidate) => contactKey(candidate) === contactKey(contact));
  if (!listed) {
    throw new NotFoundError(
      `${contact.address} is not a contact of ${where}: add it to the settings (which sends it a confirmation) ` +
        'instead of asking for one',
    );
  }
  return listed;
}

/**
 * The account owner (or the publisher, or a partner for its own contacts) asks for a new confirmation message to a
 * contact its settings list: see `confirmationRequestStep`. At most one message per `confirmationIntervalHours`
 * per contact (24 hours; 7 days for a person who unsubscribed or complained), shared with the re-send on save.
 *
 * Steps: read the state (a contact listed by settings saved before contact states is registered now, `pending`);
 * refuse an active one; claim the send (the rate limit); for an undeliverable one, put it back to `pending`; send the
 * message. A channel that refuses the address for good (a number on End User Messaging's opt-out list, an address on
 * SES's suppression list) leaves the contact as it was and gives the claim back (nothing was sent); the 409 says
 * what only the person or the publisher can do about it. Any other failure also undoes both and is thrown.
 *
 * @returns the contact's state after the call (`pending`) and when the message was sent.
 * @throws ConflictError (409) for an active contact, a state that changed meanwhile, or an address the channel refuses.
 * @throws TooManyRequestsError (429) when the last message is too recent, with when to ask again.
 * @throws Error when a state cannot be stored or a channel fails for a reason that may pass.
 */
export async function requestContactConfirmation(
  deps: ContactLifecycleDeps,
  recipient: AlertRecipient,
  contact: ContactAddress,
  context: ConfirmationContext,
): Promise<ContactConfirmationAnswer> {
  const stored = (await deps.registry.read([contact])).get(contactKey(contact));
  const state = stored ?? (await deps.registry.register(recipient, contact, context.locale)).state;
  const step = confirmationRequestStep(state.status);
  if (step.step === 'alreadyActive') {
    throw new ConflictError(
      `${contact.address} has confirmed already and receives alerts (active since ${state.since}): there is ` +
        'nothing to confirm',
    );
  }
  const at = deps.clock.now();
  const interval = confirmationIntervalHours(state);
  if (!(await deps.confirmations.claim(contact, at, interval))) throw await tooSoon(deps, contact, at, interval);
  let current = state;
  if (step.step === 'reopen') {
    const reopened = await deps.changes.reopen(contact, step.from, at);
    if (!reopened) {
      await deps.confirmations.release(contact, at);
      throw new ConflictError(
        `The state of ${contact.address} changed while asking (it was ${step.from}): read the contact states again`,
      );
    }
    current = reopened;
  }
  try {
    await sendConfirmationMessage(deps, recipient, contact, context);
  } catch (error) {
    // Nothing was sent: the contact is as it was, and the next request is not held back by this one.
    if (step.step === 'reopen') await deps.changes.restore(state, at);
    await deps.confirmations.release(contact, at);
    if (!(error instanceof RecipientRefused)) throw error;
    if (step.step === 'resend') await deps.changes.markUndeliverable(contact, refusedStatus(error.reason), at);
    throw new ConflictError(refusalAdvice(contact, error), { cause: error });
  }
  const [view] = contactStateViews([current]);
  return { ...(view as ContactStateView), confirmationSentAt: at.toISOString() };
}

async function tooSoon(
  deps: ContactLifecycleDeps,
  contact: ContactAddress,
  at: Date,
  intervalHours: number,
): Promise<TooManyRequestsError> {
  // Read again: a request at the same instant may have claimed it since the state was read.
  const sentAt = (await deps.registry.read([contact])).get(contactKey(contact))?.confirmationSentAt;
  const retryAt = new Date((sentAt ? Date.parse(sentAt) : at.getTime()) + intervalHours * 3600_000);
  const why =
    intervalHours > 24
      ? `at most once every ${intervalHours / 24} days to a person who unsubscribed or complained`
      : `at most once every ${intervalHours} hours`;
  return new TooManyRequestsError(
    `A confirmation message was sent to ${contact.address} at ${sentAt ?? at.toISOString()}; one is sent ${why}, ` +
      `so that nobody can flood an address through this API. Ask again from ${retryAt.toISOString()}, or ask the ` +
      'person to use the link of the message already sent (valid for 7 days).',
    { at: retryAt, afterSeconds: Math.max(1, (retryAt.getTime() - at.getTime()) / 1000) },
  );
}

/** What to do when the channel refuses the address for good: only the person, or the publisher's setup, can help. */
function refusalAdvice(contact: ContactAddress, refused: RecipientRefused): string {
  switch (refused.reason) {
    case 'optedOut':
      // AWS End User Messaging SMS sends nothing to a number on its opt-out list; removing it (DeleteOptedOutNumber)
      // is for a person who opted in again, never the account owner's decision (docs/alerts.md "Contacts").
      return (
        `${contact.address} replied STOP, and AWS End User Messaging sends nothing to a number on its opt-out list. ` +
        'Only its holder can lift that: by texting START (the opt-in keyword) to the alert sender number. Ask for ' +
        'the confirmation again after that; the contact stays opted out meanwhile.'
      );
    case 'suppressed':
      return (
        `Amazon SES refuses ${contact.address}: it is on the account's suppression list after a hard bounce or a ` +
        'complaint. If the address receives mail again, the publisher removes it from the list ' +
        '(docs/alerts.md "Asking again"); then ask again. The contact keeps its state meanwhile.'
      );
    case 'invalidAddress':
      return `${contact.address} is not an address the channel can deliver to: correct it in the settings.`;
    case 'countryNotAllowed':
      return `SMS to the country of ${contact.address} is blocked for this deployment: use a number of an allowed country.`;
  }
}
