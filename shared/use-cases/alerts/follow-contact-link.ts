import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import type {
  ContactLinkClaims,
  ContactLinkPurpose,
  ContactLinkRefusal,
  ContactLinkTokens,
} from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  contactKey,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/** What the contact pages need: the link checker and the contact states. */
export interface ContactLinkDeps {
  readonly tokens: ContactLinkTokens;
  readonly states: ContactStates;
  readonly changes: ContactStateChanges;
  readonly clock: Clock;
}

export type Refused = { readonly ok: false; readonly reason: ContactLinkRefusal };

/** A link as the page before the button shows it: whom it names and the contact's state, or why it is refused. */
export type OpenedContactLink =
  | { readonly ok: true; readonly claims: ContactLinkClaims; readonly state: ContactState | undefined }
  | Refused;

/**
 * Checks a link a person opened and reads the contact's state, changing nothing: mail scanners and link previews
 * open every link in a message, so only the page's button (a POST) confirms or unsubscribes.
 */
export async function openContactLink(
  deps: ContactLinkDeps,
  token: string,
  purpose: ContactLinkPurpose,
): Promise<OpenedContactLink> {
  const verified = await deps.tokens.verify(token, purpose);
  if (!verified.ok) return verified;
  const state = (await deps.states.read([verified.claims.contact])).get(contactKey(verified.claims.contact));
  return { ok: true, claims: verified.claims, state };
}

/**
 * - `confirmed`: it was pending and is active now (a second POST answers `alreadyActive`);
 * - `undeliverable`: it bounced, complained or opted out meanwhile, and a confirmation link does not undo that;
 * - `unknown`: no state is stored for it (never registered, or a link made for another deployment).
 */
export type ConfirmOutcome = 'confirmed' | 'alreadyActive' | 'undeliverable' | 'unknown';

/** The person pressed "Confirm": a pending contact becomes active. */
export async function confirmContact(
  deps: ContactLinkDeps,
  token: string,
): Promise<{ readonly ok: true; readonly outcome: ConfirmOutcome; readonly claims: ContactLinkClaims } | Refused> {
  const verified = await deps.tokens.verify(token, 'confirm');
  if (!verified.ok) return verified;
  const { contact } = verified.claims;
  const before = (await deps.states.read([contact])).get(contactKey(contact));
  if (!before) return { ok: true, outcome: 'unknown', claims: verified.claims };
  if (before.status === 'active') return { ok: true, outcome: 'alreadyActive', claims: verified.claims };
  const after = await deps.changes.confirm(contact, deps.clock.now());
  const outcome: ConfirmOutcome =
    after?.status === 'active' ? (before.status === 'pending' ? 'confirmed' : 'alreadyActive') : 'undeliverable';
  return { ok: true, outcome, claims: verified.claims };
}

/** What an unsubscribe stopped: every alert to the contact, or one rule's. */
export type UnsubscribeScope = { readonly scope: 'all' } | { readonly scope: 'rule'; readonly rule: AlertRule };

/**
 * The person pressed "Unsubscribe" (or the mail client sent the RFC 8058 one-click POST): a link for one rule mutes
 * that rule for the contact, a link for all puts the contact `optedOut`, whatever its state (an opt-out is recorded
 * even for an address we do not know, so it holds if the address is registered later). Idempotent.
 */
export async function unsubscribeContact(
  deps: ContactLinkDeps,
  token: string,
): Promise<{ readonly ok: true; readonly claims: ContactLinkClaims; readonly stopped: UnsubscribeScope } | Refused> {
  const verified = await deps.tokens.verify(token, 'unsubscribe');
  if (!verified.ok) return verified;
  const { contact, rule } = verified.claims;
  const at = deps.clock.now();
  if (rule) {
    await deps.changes.muteRule(contact, rule, at);
    return { ok: true, claims: verified.claims, stopped: { scope: 'rule', rule } };
  }
  await deps.changes.markUndeliverable(contact, 'optedOut', at);
  return { ok: true, claims: verified.claims, stopped: { scope: 'all' } };
}
