import type { MarketplaceSubscription } from '#shared/use-cases/ports/marketplace.ts';

/**
 * Microsoft's view of one subscription (Get Subscription, reference/marketplace-api.md §1.2 #4), for usage that names
 * a subscription the store does not know yet: its webhook is late, lost or still queued, or the customer never
 * opened the landing page (since 2026 an auto-activated purchase can be used before anyone opens it).
 *
 * Implemented by `CachingSubscriptionLookup` (`shared/adapters/marketplace/`), which remembers answers in the
 * function instance so that a flood of requests naming ids Microsoft does not know cannot hammer Microsoft.
 */
export interface MarketplaceSubscriptionLookup {
  /**
   * Microsoft's view of the subscription, or `undefined` when Microsoft does not know it (404).
   * @throws Error when Microsoft could not be asked (outage, throttling, credential or configuration problem): the
   *   caller must not take that for "unknown", since the usage may well be valid.
   */
  lookUp(subscriptionId: string): Promise<MarketplaceSubscription | undefined>;
}
