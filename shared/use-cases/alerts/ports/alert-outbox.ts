import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { AlertNotification } from '#shared/domain/alerts/alert-message.ts';

/**
 * One alert as the outbox shows it: what the e-mail and SMS would have said, and whom it was for — the alert's JSON
 * form (`recipient` as `customer:<id>` or `partner:<id>`) without the customer id and the facts.
 */
export type OutboxMessage = Readonly<Omit<AlertNotification, 'customerId' | 'facts'>> & {
  /** The messaging service's id of the delivery (the same for a redelivered copy). */
  readonly messageId: string;
  readonly sentAt: Date;
};

/**
 * The local mode's stand-in for e-mail and SMS (fauxqs can send neither, DESIGN "A local mode"): a queue subscribed to
 * the alerts topic for each recipient, with the recipient's own filter policy, whose messages the local API shows.
 */
export interface AlertOutbox {
  /**
   * Subscribes the outbox to the recipient's alerts (and only those, like the recipient's contacts). Idempotent.
   * @throws Error when the messaging service refuses it.
   */
  subscribeRecipient(recipient: AlertRecipient): Promise<void>;
  /**
   * The most recent alerts delivered to the outbox, newest first.
   * @throws Error when the outbox cannot be read.
   */
  listRecent(limit: number): Promise<OutboxMessage[]>;
}
