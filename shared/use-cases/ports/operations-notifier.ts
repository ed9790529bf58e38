/**
 * Tells the people who run the deployment (the operations topic, where every CloudWatch alarm goes) about something
 * a person must act on that is no alarm: e.g. a purchase about to be deleted by Microsoft unfulfilled.
 */
export interface OperationsNotice {
  /** Short, for an e-mail subject or a chat title (at most 100 characters). */
  readonly subject: string;
  /** What happened and what to do. */
  readonly message: string;
  /** A stable name of the kind of notice, for subscription filters, e.g. `PendingPurchaseExpiring`. */
  readonly kind: string;
  readonly subscriptionId?: string;
}

/** Implemented by `SnsOperationsNotifier` (the operations SNS topic). */
export interface OperationsNotifier {
  /**
   * Sends one notice.
   * @throws Error when it could not be sent; the caller tries again later.
   */
  notify(notice: OperationsNotice): Promise<void>;
}
