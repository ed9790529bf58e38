import type { Partner } from '#shared/domain/alerts/settings.ts';
import type { DayPack } from '#shared/domain/day-packs.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';

/** One page of a list and the opaque cursor of the next one (absent on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** 1 to 100. */
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/**
 * Which subscriptions to list. All conditions hold together; `anyOf` narrows to the subscriptions matching at least one
 * of its entries (a customer's scope: its ids, its tenant as beneficiary or purchaser, or one user of a tenant as
 * beneficiary or purchaser). Tenant and object ids are compared as stored: pass them lower case (`entra-ids.ts`).
 */
export interface SubscriptionFilter {
  readonly status?: SubscriptionStatus;
  readonly offerId?: string;
  readonly planId?: string;
  /** Beneficiary or purchaser tenant. */
  readonly tenantId?: string;
  readonly partnerId?: string;
  readonly anyOf?: {
    readonly ids?: readonly string[];
    /** Beneficiary or purchaser tenant. */
    readonly tenantId?: string;
    /** Beneficiary or purchaser is this user (object id) of this tenant: a personal account's own purchases. */
    readonly user?: { readonly tenantId: string; readonly objectId: string };
  };
}

/** Subscriptions page by page, oldest first within each status. */
export interface SubscriptionDirectory {
  /**
   * A page of at most `limit` subscriptions matching the filter (a page may hold fewer and still have a next one: a
   * page reads a bounded number of items, so that a narrow filter cannot make one request read the whole table).
   * @throws ValidationError when the cursor was not issued by this list.
   */
  listSubscriptions(filter: SubscriptionFilter, page: PageRequest): Promise<Page<Subscription>>;
}

/** Reseller partners page by page, by id. */
export interface PartnerDirectory {
  /** @throws ValidationError when the cursor was not issued by this list. */
  listPartners(page: PageRequest): Promise<Page<Partner>>;
}

/** A partner's day packs page by page, oldest issue first. */
export interface DayPackDirectory {
  /** @throws ValidationError when the cursor was not issued by this list. */
  listByPartnerPage(partnerId: string, page: PageRequest): Promise<Page<DayPack>>;
}
