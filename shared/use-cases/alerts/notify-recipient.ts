import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import { renderAlertEmail } from '#shared/domain/alerts/alert-email.ts';
import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';
import type { Contacts } from '#shared/domain/alerts/settings.ts';
import type { AlertDeliveries, DeliverySettlement } from '#shared/use-cases/alerts/ports/alert-deliveries.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import {
  type ContactAddress,
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  contactAddressesOf,
  contactKey,
  type UndeliverableStatus,
  type UnsubscribeLinks,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  type EmailChannel,
  RecipientRefused,
  type SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * How long a pending contact may take to confirm before the alerts held for it are reported as not delivered: a
 * week covers a person who is away for a few days, and the confirmation links A2's messages carry last as long.
 */
export const CONFIRMATION_WINDOW_DAYS = 7;
/**
 * How long a notifier holds the right to send one alert to one contact. Longer than a channel call with the SDK's
 * retries (seconds), shorter than the notifications queue's visibility timeout, so a crashed send is taken over by
 * the redelivered message.
 */
export const DELIVERY_LEASE_SECONDS = 60;

export interface NotifyRecipientDeps {
  readonly budgets: Pick<BudgetStore, 'listBudgetsOfCustomer'>;
  readonly partners: Pick<PartnerStore, 'getPartner'>;
  readonly contactStates: ContactStates;
  readonly stateChanges: Pick<ContactStateChanges, 'markUndeliverable'>;
  readonly deliveries: AlertDeliveries;
  readonly unsubscribeLinks: UnsubscribeLinks;
  /** Absent when the deployment sends no e-mail (no sending domain configured): e-mail contacts are reported. */
  readonly email?: EmailChannel;
  /** Absent when the deployment sends no SMS (no origination identity configured): phone contacts are reported. */
  readonly sms?: SmsChannel;
  readonly clock: Clock;
  readonly confirmationWindowDays?: number;
  readonly leaseSeconds?: number;
}

/**
 * What happened to one contact in this call:
 * - `sent`: the channel accepted the alert now;
 * - `alreadyDone`: an earlier delivery settled it (sent, suppressed or failed): nothing is sent twice;
 * - `inFlight`: another notifier is sending it right now;
 * - `held`, `retry`, `suppressed`, `failed`: as the delivery record (`ContactDeliveryState`).
 */
export type ContactOutcome = 'sent' | 'alreadyDone' | 'inFlight' | 'held' | 'retry' | 'suppressed' | 'failed';

export interface ContactResult {
  readonly contact: ContactAddress;
  readonly outcome: ContactOutcome;
  readonly reason?: string;
  readonly messageId?: string;
}

export interface NotifyRecipientResult {
  readonly contacts: readonly ContactResult[];
  /**
   * Why the alert must come back later, if it must: `held` (a contact has not confirmed yet), `transient` (a channel
   * failed for now, or another notifier was mid-send). Undefined when every contact is settled.
   */
  readonly comeBack?: 'held' | 'transient';
}

/**
 * Sends one alert from the alerts topic to each contact of its recipient, according to each contact's state, and
 * records the outcome per contact (`AlertDeliveries`), so the history says for each address whether the channel
 * accepted it.
 *
 * Steps: find the recipient's contacts (a customer: the contacts of all its budgets; a partner: its own); read their
 * states; for each contact, claim its delivery record (a conditional write: never two sends of one alert to one
 * contact, however often the message is delivered), then:
 * - `active` and the rule not muted → send (e-mail: text and HTML with unsubscribe links, one-click
 *   `List-Unsubscribe`; SMS: the one-segment text) → `sent` with the channel's message id;
 * - `pending` → `held`, and the alert comes back later; once the contact's confirmation window has passed →
 *   `failed` (`notConfirmed`);
 * - `bounced`, `complained`, `optedOut`, rule muted, no state at all → `suppressed` with the reason;
 * - the channel refuses the contact for good (`RecipientRefused`) → `failed` with its reason, and the contact's state
 *   becomes undeliverable (bounced / opted out) so nothing else is tried; any other channel error → `retry`, and the
 *   alert comes back.
 * At-least-once like `deliverAlert`: a crash between the channel's acceptance and `settle` leaves the record
 * `sending`, and the redelivered message sends again after the lease: a rare duplicate rather than a lost alert.
 *
 * @throws Error when the settings, the contact states or the delivery records cannot be read or written; the caller
 *   retries the whole message (settled contacts are skipped then).
 */
export async function notifyRecipient(
  deps: NotifyRecipientDeps,
  message: AlertMessage,
): Promise<NotifyRecipientResult> {
  const contacts = await contactsOfRecipient(deps, message.recipient);
  const states = await deps.contactStates.read(contacts);
  const results: ContactResult[] = [];
  for (const contact of contacts) {
    results.push(await notifyContact(deps, message, contact, states.get(contactKey(contact))));
  }
  const waiting = (outcome: ContactOutcome) => results.some((result) => result.outcome === outcome);
  const comeBack = waiting('retry') || waiting('inFlight') ? 'transient' : waiting('held') ? 'held' : undefined;
  return { contacts: results, ...(comeBack ? { comeBack } : {}) };
}

/** The addresses a recipient's settings name today (a contact dropped from them gets nothing more). */
async function contactsOfRecipient(
  deps: Pick<NotifyRecipientDeps, 'budgets' | 'partners'>,
  recipient: AlertRecipient,
): Promise<ContactAddress[]> {
  let lists: Contacts[];
  if (recipient.kind === 'customer') {
    lists = (await deps.budgets.listBudgetsOfCustomer(recipient.id)).map((budget) => budget.contacts);
  } else {
    const partner = await deps.partners.getPartner(recipient.id);
    lists = partner ? [partner.contacts] : [];
  }
  const unique = new Map<string, ContactAddress>();
  for (const contact of lists.flatMap(contactAddressesOf)) unique.set(contactKey(contact), contact);
  return [...unique.values()];
}

async function notifyContact(
  deps: NotifyRecipientDeps,
  message: AlertMessage,
  contact: ContactAddress,
  state: ContactState | undefined,
): Promise<ContactResult> {
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + (deps.leaseSeconds ?? DELIVERY_LEASE_SECONDS) * 1000);
  const claim = await deps.deliveries.claim(message.key, contact, now, leaseUntil);
  if (!claim.claimed) {
    const { existing } = claim;
    return {
      contact,
      outcome: existing.state === 'sending' ? 'inFlight' : 'alreadyDone',
      ...(existing.reason === undefined ? {} : { reason: existing.reason }),
      ...(existing.messageId === undefined ? {} : { messageId: existing.messageId }),
    };
  }
  const outcome = await decideAndSend(deps, message, contact, state, now);
  await deps.deliveries.settle(message.key, contact, claim.attempts, outcome, deps.clock.now());
  return outcome.state === 'sent'
    ? { contact, outcome: 'sent', messageId: outcome.messageId }
    : { contact, outcome: outcome.state, reason: outcome.reason };
}

async function decideAndSend(
  deps: NotifyRecipientDeps,
  message: AlertMessage,
  contact: ContactAddress,
  state: ContactState | undefined,
  now: Date,
): Promise<DeliverySettlement> {
  if (!state) return { state: 'suppressed', reason: 'notRegistered' };
  switch (state.status) {
    case 'pending': {
      const windowMs = (deps.confirmationWindowDays ?? CONFIRMATION_WINDOW_DAYS) * 24 * 3600 * 1000;
      const expired = now.getTime() > Date.parse(state.since) + windowMs;
      return expired ? { state: 'failed', reason: 'notConfirmed' } : { state: 'held', reason: 'pending' };
    }
    case 'bounced':
    case 'complained':
    case 'optedOut':
      return { state: 'suppressed', reason: state.status };
    case 'active':
      if (state.mutedRules.includes(message.rule)) return { state: 'suppressed', reason: 'muted' };
      return send(deps, message, contact, state);
  }
}

async function send(
  deps: NotifyRecipientDeps,
  message: AlertMessage,
  contact: ContactAddress,
  state: ContactState,
): Promise<DeliverySettlement> {
  // What the channel's delivery events carry back, so a bounce or a failed SMS can be traced to the alert.
  const tags = { alertKey: message.key, rule: message.rule };
  try {
    if (contact.channel === 'email') {
      if (!deps.email) return { state: 'failed', reason: 'emailNotConfigured' };
      const [ruleUrl, allUrl] = await Promise.all([
        deps.unsubscribeLinks.linkFor(contact, message.rule),
        deps.unsubscribeLinks.linkFor(contact),
      ]);
      const rendered = renderAlertEmail({
        subject: message.subject,
        body: message.body,
        locale: state.locale,
        unsubscribeRuleUrl: ruleUrl,
        unsubscribeAllUrl: allUrl,
      });
      const accepted = await deps.email.send({
        to: contact.address,
        subject: message.subject,
        text: rendered.text,
        html: rendered.html,
        // The one-click link of the mail client stops every alert to the address: what a person pressing
        // "unsubscribe" in the client means. The per-rule link is in the footer.
        unsubscribeUrl: allUrl,
        tags,
      });
      return { state: 'sent', messageId: accepted.messageId };
    }
    if (!deps.sms) return { state: 'failed', reason: 'smsNotConfigured' };
    const accepted = await deps.sms.send({ to: contact.address, body: message.sms, tags });
    return { state: 'sent', messageId: accepted.messageId };
  } catch (error) {
    if (!(error instanceof RecipientRefused)) {
      return { state: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
    const status = undeliverableStatusFor(error.reason);
    if (status) await deps.stateChanges.markUndeliverable(contact, status, deps.clock.now());
    return { state: 'failed', reason: error.reason };
  }
}

/**
 * The state a permanent refusal puts the contact in. A country outside the allow-list says nothing about the
 * address itself (the publisher may allow the country later), so the state stays.
 */
function undeliverableStatusFor(reason: RecipientRefused['reason']): UndeliverableStatus | undefined {
  switch (reason) {
    case 'optedOut':
      return 'optedOut';
    case 'suppressed':
    case 'invalidAddress':
      return 'bounced';
    case 'countryNotAllowed':
      return undefined;
  }
}

/**
 * How long an alert that must come back waits before it does, by how often it was received: a held alert backs off
 * from 15 minutes to 12 hours (SQS's longest visibility), so a contact that confirms soon gets it soon and a week of
 * holding takes about 20 receives; a transient failure backs off from 30 seconds to 15 minutes.
 */
export function comeBackDelaySeconds(reason: 'held' | 'transient', receiveCount: number): number {
  const exponent = Math.max(0, Math.min(receiveCount - 1, 10));
  return reason === 'held' ? Math.min(900 * 2 ** exponent, 12 * 3600) : Math.min(30 * 2 ** exponent, 900);
}
