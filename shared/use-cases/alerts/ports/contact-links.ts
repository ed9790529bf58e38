import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';

/** What a link sent to a contact lets the person do. */
export type ContactLinkPurpose = 'confirm' | 'unsubscribe';

/** What a verified link names. */
export interface ContactLinkClaims {
  readonly purpose: ContactLinkPurpose;
  readonly contact: ContactAddress;
  /** Unsubscribe links only: the one rule to stop; absent, every rule. */
  readonly rule?: AlertRule;
  readonly expiresAt: Date;
}

/**
 * Why a token was refused: `expired` (it was ours, its time is over: ask for a new link), `invalid` (not ours,
 * altered, truncated by a mail client, or made for the other purpose).
 */
export type ContactLinkRefusal = 'expired' | 'invalid';

export type ContactLinkVerification =
  | { readonly ok: true; readonly claims: ContactLinkClaims }
  | { readonly ok: false; readonly reason: ContactLinkRefusal };

/** Links for the confirmation message of a new contact (the opt-in). */
export interface ConfirmLinks {
  /** An absolute URL carrying a signed, expiring token that names the contact. */
  confirmLinkFor(contact: ContactAddress): Promise<string>;
}

/** Checks the token of a link a person followed. */
export interface ContactLinkTokens {
  /** Never rejects for a bad token: the answer says why it was refused. */
  verify(token: string, purpose: ContactLinkPurpose): Promise<ContactLinkVerification>;
}

/**
 * When confirmation messages were sent: the rate limit of re-sending one to a contact still pending (on the next save
 * of a budget or partner naming it, at most once per interval), and the guard that two saves at the same instant send
 * one message, not two.
 */
export interface ConfirmationRequests {
  /**
   * Claims the right to send a confirmation to `contact` now: true (and `at` recorded) when none was sent, or the
   * last one more than `minIntervalHours` before `at`; false otherwise.
   */
  claim(contact: ContactAddress, at: Date, minIntervalHours: number): Promise<boolean>;
  /** Gives a claim back after the message could not be sent, so the next save tries again. */
  release(contact: ContactAddress, at: Date): Promise<void>;
}
