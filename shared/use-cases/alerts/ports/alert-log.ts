import type { AlertCandidate, AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale } from '#shared/domain/alerts/settings.ts';
import type { RenderedAlert } from '#shared/domain/alerts/templates.ts';

/**
 * `pending`: recorded, not yet known to be published (being published, or the publish failed and awaits a retry);
 * `sent`: published to the alerts topic.
 */
export type AlertDeliveryState = 'pending' | 'sent';

/** An alert as first recorded: the candidate, the language and the texts rendered then (a retry sends the same). */
export interface NewAlertEntry {
  readonly key: string;
  readonly candidate: AlertCandidate;
  readonly locale: AlertLocale;
  readonly message: RenderedAlert;
  readonly createdAt: Date;
  /** Until when the recording delivery holds the right to publish (see `AlertLog.claim`). */
  readonly leaseUntil: Date;
}

export interface AlertLogEntry extends NewAlertEntry {
  readonly state: AlertDeliveryState;
  /** Publish attempts started (1 after `record`; each successful `claim` adds one). */
  readonly attempts: number;
  readonly sentAt?: Date;
  /** The SNS message id of the publish that succeeded. */
  readonly messageId?: string;
}

export interface RecordResult {
  /** `new`: this call recorded the alert; `duplicate`: it was recorded before, `entry` is the stored one. */
  readonly outcome: 'new' | 'duplicate';
  readonly entry: AlertLogEntry;
}

/** A page of history, newest first; pass `nextCursor` back as `cursor` for the next page. */
export interface AlertHistoryPage {
  readonly entries: readonly AlertLogEntry[];
  readonly nextCursor?: string;
}

export interface AlertHistoryQuery {
  /** Page size, 1 to 100 (default 50). */
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * The record of every alert, written once per alert key (DESIGN invariant 7), and the history customers and partners
 * read for their own scope.
 */
export interface AlertLog {
  /**
   * Records an alert if its key was never recorded (a conditional write): `new` with state `pending`, attempts 1;
   * otherwise `duplicate` with the stored entry, unchanged. Concurrent calls for one key: exactly one gets `new`.
   */
  record(entry: NewAlertEntry): Promise<RecordResult>;
  /**
   * Takes over the publishing of a `pending` alert whose lease ran out: succeeds only if it is still pending with
   * `expectedAttempts` attempts (nobody claimed it meanwhile), and then sets the new lease and adds an attempt.
   * @returns the claimed entry, or `undefined` when it was sent or claimed by someone else meanwhile.
   */
  claim(key: string, expectedAttempts: number, leaseUntil: Date): Promise<AlertLogEntry | undefined>;
  /**
   * Gives up the lease of a `pending` alert after a failed publish, so that a retry may publish at once instead of
   * waiting for the lease to run out. Only if it is still pending with `attempts` (the holder's claim); otherwise
   * nothing happens.
   */
  release(key: string, attempts: number, at: Date): Promise<void>;
  /** Marks an alert published. */
  markSent(key: string, sentAt: Date, messageId: string): Promise<void>;
  get(key: string): Promise<AlertLogEntry | undefined>;
  /** The alerts sent to one customer or partner, newest first. */
  listByRecipient(recipient: AlertRecipient, query?: AlertHistoryQuery): Promise<AlertHistoryPage>;
  /** The alerts about one subscription (to its customer and its partner), newest first. */
  listBySubscription(subscriptionId: string, query?: AlertHistoryQuery): Promise<AlertHistoryPage>;
}
