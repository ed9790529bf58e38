import type { Subscription } from '#shared/domain/subscription.ts';

/** Persistence of marketplace subscriptions. */
export interface SubscriptionStore {
  get(subscriptionId: string): Promise<Subscription | undefined>;
  /** Creates or replaces the stored subscription. */
  put(subscription: Subscription): Promise<void>;
}
