import type { MarketplaceSubscriptionLookup } from '#shared/use-cases/metering/ports/marketplace-subscription-lookup.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace, MarketplaceSubscription } from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceBadRequestError, MarketplaceNotFoundError } from '#shared/use-cases/ports/marketplace-errors.ts';

export interface SubscriptionLookupCacheOptions {
  /** How long Microsoft's answer about a known subscription is reused (default 5 minutes). */
  readonly knownTtlMs?: number;
  /** How long "Microsoft does not know this id" is reused (default 5 minutes). */
  readonly unknownTtlMs?: number;
  /** Most ids remembered; the oldest answer is forgotten first (default 10,000). */
  readonly maxEntries?: number;
}

export const DEFAULT_LOOKUP_TTL_MS = 5 * 60_000;
export const DEFAULT_LOOKUP_MAX_ENTRIES = 10_000;

interface Entry {
  readonly subscription: MarketplaceSubscription | undefined;
  readonly expiresAt: number;
}

/**
 * Get Subscription with its answers remembered in the function instance. Unknown ids (404, or 400 for an id
 * Microsoft finds malformed) are remembered briefly, so a client sending bad ids costs Microsoft one call per id per
 * `unknownTtlMs` and instance, not one per request; known ones too, for the rare request that cannot store what it
 * learnt. Bounded: past `maxEntries` the oldest answers are forgotten. Failures (outage, 403, token) are never
 * remembered: the next request asks again.
 *
 * `connect` builds the marketplace client on first use only (the Entra credential is a Secrets Manager read in AWS):
 * most requests name known subscriptions and never need it. A failed build is retried on the next lookup.
 */
export class CachingSubscriptionLookup implements MarketplaceSubscriptionLookup {
  private readonly entries = new Map<string, Entry>();
  private marketplace: Promise<Pick<Marketplace, 'getSubscription'>> | undefined;
  private readonly knownTtlMs: number;
  private readonly unknownTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly connect: () => Promise<Pick<Marketplace, 'getSubscription'>>,
    private readonly clock: Clock,
    options: SubscriptionLookupCacheOptions = {},
  ) {
    this.knownTtlMs = options.knownTtlMs ?? DEFAULT_LOOKUP_TTL_MS;
    this.unknownTtlMs = options.unknownTtlMs ?? DEFAULT_LOOKUP_TTL_MS;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_LOOKUP_MAX_ENTRIES);
  }

  async lookUp(subscriptionId: string): Promise<MarketplaceSubscription | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.entries.get(subscriptionId);
    if (cached && cached.expiresAt > now) return cached.subscription;
    this.entries.delete(subscriptionId);

    const marketplace = await this.client();
    let subscription: MarketplaceSubscription | undefined;
    try {
      subscription = await marketplace.getSubscription(subscriptionId);
    } catch (error) {
      if (!(error instanceof MarketplaceNotFoundError || error instanceof MarketplaceBadRequestError)) throw error;
      subscription = undefined;
    }
    this.remember(subscriptionId, subscription, now);
    return subscription;
  }

  /** Ids remembered now (for tests and logs). */
  get size(): number {
    return this.entries.size;
  }

  private remember(id: string, subscription: MarketplaceSubscription | undefined, now: number): void {
    const ttl = subscription ? this.knownTtlMs : this.unknownTtlMs;
    // A Map iterates in insertion order: the first key is the oldest answer.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(id, { subscription, expiresAt: now + ttl });
  }

  private client(): Promise<Pick<Marketplace, 'getSubscription'>> {
    this.marketplace ??= this.connect().catch((error: unknown) => {
      this.marketplace = undefined;
      throw error;
    });
    return this.marketplace;
  }
}
