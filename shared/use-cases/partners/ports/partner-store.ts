import type { CreditLink, Partner, PurchaseApproval, PurchaseBlockRelease } from '#shared/domain/alerts/settings.ts';

/**
 * Reseller partners, their links to customer subscriptions with the credit levels set for each, and their approvals
 * of price-raising changes.
 */
export interface PartnerStore {
  getPartner(partnerId: string): Promise<Partner | undefined>;
  /**
   * Creates or replaces a partner. A tenant belongs to one partner only, so a purchase made from that tenant can be
   * attributed to it (a reseller purchase).
   * @throws ConflictError when another partner is registered with the same tenant id; nothing is written.
   */
  putPartner(partner: Partner): Promise<void>;
  /** The partner registered with this Entra tenant id, if any. */
  findPartnerByTenant(tenantId: string): Promise<Partner | undefined>;

  /** The partner link and credit levels of a subscription, if it is linked. */
  getCreditLink(subscriptionId: string): Promise<CreditLink | undefined>;
  /**
   * Links a subscription to a partner with credit levels, replacing any earlier link of the subscription (with its
   * `purchaseBlockedLevelSetAt` and release as given).
   */
  putCreditLink(link: CreditLink): Promise<void>;
  /**
   * Records the partner's release of the subscription's purchase block on its link, if the link is still the one the
   * caller read: the same partner and the same `purchaseBlockedLevelSetAt` (a release is for the check it saw).
   * @throws ConflictError when the link is gone or changed meanwhile; nothing is written.
   */
  releasePurchaseBlock(
    link: Pick<CreditLink, 'subscriptionId' | 'partnerId' | 'purchaseBlockedLevelSetAt'>,
    release: PurchaseBlockRelease,
  ): Promise<void>;
  deleteCreditLink(subscriptionId: string): Promise<void>;
  /** The partner's linked subscriptions, by customer id then subscription id. */
  listCreditLinks(partnerId: string): Promise<CreditLink[]>;

  /** Stores an approval (replacing one with the same id for the same subscription). */
  putApproval(approval: PurchaseApproval): Promise<void>;
  /**
   * The subscription's approvals, latest expiry first. With `activeAt`, only those not expired at that instant
   * (expired items may linger until DynamoDB's TTL removes them, so the filter is applied on read).
   */
  listApprovals(subscriptionId: string, options?: { readonly activeAt?: Date }): Promise<PurchaseApproval[]>;
}
