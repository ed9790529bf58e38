/** What happened to a subscription, for the publisher's app (DESIGN "What it does" 1; issue 4: lifecycle topic). */
export type LifecycleEventType =
  | 'SubscriptionActivated'
  | 'PlanChanged'
  | 'QuantityChanged'
  | 'Suspended'
  | 'Reinstated'
  | 'Renewed'
  | 'Unsubscribed'
  /**
   * Raised once per subscription by the subscription sync (never by Microsoft): a purchase still
   * PendingFulfillmentStart after `PENDING_PURCHASE_ALERT_MINUTES`, i.e. the customer never opened the landing page
   * (reference/marketplace-api.md §1.2 Resolve, §6.3: no webhook is sent for a purchase). Reach out to the purchaser.
   */
  | 'PendingPurchaseNotOpened'
  /**
   * Raised by the subscription sync at 7, 21 and 28 days after a purchase still PendingFulfillmentStart, once each,
   * with `daysLeft` and `deadline`: Microsoft deletes a purchase not activated within 30 days (reference/
   * marketplace-2026.md, 2026-07-31), and the customer is lost unless someone gets them to the landing page.
   */
  | 'PendingPurchaseExpiring';

export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = [
  'SubscriptionActivated',
  'PlanChanged',
  'QuantityChanged',
  'Suspended',
  'Reinstated',
  'Renewed',
  'Unsubscribed',
  'PendingPurchaseNotOpened',
  'PendingPurchaseExpiring',
];

/**
 * One lifecycle event. Delivery is at least once: a consumer that must act once per change deduplicates on
 * `(subscriptionId, type, operationId)` (`operationId` is Microsoft's operation id, or `activate` for the landing
 * page's activation).
 */
export interface LifecycleEvent {
  readonly type: LifecycleEventType;
  readonly subscriptionId: string;
  readonly offerId: string;
  /** The plan in force after the change. */
  readonly planId: string;
  /** Seats after the change, for per-user plans. */
  readonly quantity?: number;
  /** ISO instant the change took effect. */
  readonly at: string;
  readonly operationId?: string;
  /** `PendingPurchaseExpiring`: whole days left before Microsoft deletes the purchase (23, 9, then 2). */
  readonly daysLeft?: number;
  /** `PendingPurchaseExpiring`: ISO instant Microsoft deletes the purchase if it is still not activated. */
  readonly deadline?: string;
  /**
   * Why, when the type alone does not say: `expiredUnfulfilled` on an `Unsubscribed` raised because Microsoft deleted
   * a purchase never activated within 30 days.
   */
  readonly reason?: 'expiredUnfulfilled';
}

/** Tells the publisher's app about subscription changes (SNS lifecycle topic in AWS and in the local mode). */
export interface LifecyclePublisher {
  /**
   * Publishes one event.
   * @throws Error when it could not be published; the caller keeps the event and publishes it again later.
   */
  publish(event: LifecycleEvent): Promise<void>;
}
