import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';

/**
 * The delivery of one alert to one contact:
 * - `sending`: a notifier holds the right to send it (until `leaseUntil`);
 * - `sent`: the channel accepted it for an active contact (`messageId` comes back in the channel's events);
 * - `held`: the contact has not confirmed yet; it is sent once it does, or reported `failed` (`notConfirmed`) when
 *   its confirmation window ends first;
 * - `retry`: the channel failed for a reason that may pass (throttling, an outage); the notifier tries again;
 * - `suppressed`: not sent, on purpose: the contact bounced, complained, opted out, muted the rule, or is unknown;
 * - `failed`: not sent and never will be: the channel refused the contact, or it never confirmed.
 */
export type ContactDeliveryState = 'sending' | 'sent' | 'held' | 'retry' | 'suppressed' | 'failed';

export interface ContactDelivery {
  readonly alertKey: string;
  readonly contact: ContactAddress;
  readonly state: ContactDeliveryState;
  /** Why it is not sent: the contact status (`bounced`, `optedOut`, …), `muted`, `notRegistered`, `notConfirmed`,
   * a channel refusal (`suppressed`, `countryNotAllowed`, …), or the transient error's message. */
  readonly reason?: string;
  readonly messageId?: string;
  /** ISO-8601 UTC time of the last change. */
  readonly at: string;
  /** Send attempts claimed so far. */
  readonly attempts: number;
}

/** The outcome written after a claim. */
export type DeliverySettlement =
  | { readonly state: 'sent'; readonly messageId: string }
  | { readonly state: 'held' | 'retry' | 'suppressed' | 'failed'; readonly reason: string };

export type DeliveryClaim =
  | { readonly claimed: true; readonly attempts: number }
  | { readonly claimed: false; readonly existing: ContactDelivery };

/**
 * The per-contact delivery records of alerts. Each alert reaches each contact at most once (DESIGN invariant 7 per
 * contact): a notifier claims the record with a conditional write before it looks at the contact or sends, and only
 * the holder of the claim settles it.
 */
export interface AlertDeliveries {
  /**
   * Takes the right to decide and send: succeeds when the record is absent, `held`, `retry`, or `sending` with a
   * lease that ran out (the holder crashed); then the state is `sending` until `leaseUntil` and an attempt is added.
   * Otherwise answers the stored record (`sent`, `suppressed`, `failed`, or `sending` held by another notifier).
   */
  claim(alertKey: string, contact: ContactAddress, now: Date, leaseUntil: Date): Promise<DeliveryClaim>;
  /** Writes the outcome of a claim, if the claim (`attempts`) is still the current one; otherwise nothing. */
  settle(
    alertKey: string,
    contact: ContactAddress,
    attempts: number,
    outcome: DeliverySettlement,
    at: Date,
  ): Promise<void>;
  /** Every contact's delivery of one alert. */
  list(alertKey: string): Promise<ContactDelivery[]>;
}
