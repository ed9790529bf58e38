/**
 * Tells the publisher that Microsoft refused metering for a subscription (ResourceNotActive / ResourceNotFound):
 * usage of it cannot be billed, which usually means our subscription record is stale (a missed Suspend or
 * Unsubscribe) or the app sends usage for a subscription that is not live. Published on the lifecycle topic with
 * `eventType = MeteringRejected`, so the publisher's app can subscribe with a filter policy.
 *
 * Its own port rather than a `LifecycleEvent`: lifecycle events describe subscription changes Microsoft made, and
 * their type list belongs to the fulfillment side.
 */
export interface MeteringRejectedAlert {
  readonly type: 'MeteringRejected';
  readonly subscriptionId: string;
  readonly offerId?: string;
  readonly planId?: string;
  readonly dimension: string;
  /** The usage hour refused (ISO). */
  readonly hour: string;
  /** Microsoft's per-event status, e.g. `ResourceNotActive`. */
  readonly status: string;
  /** The quantity that could not be reported. */
  readonly quantity: string;
  /** ISO instant of the answer. */
  readonly at: string;
}

export interface MeteringAlertPublisher {
  /**
   * Publishes the alert.
   * @throws Error when it could not be published (the reporter logs it; the subscription stays flagged).
   */
  publishMeteringRejected(alert: MeteringRejectedAlert): Promise<void>;
}
