import type { TermUnit } from '#shared/domain/catalog.ts';

/** SaaS subscription states of the Fulfillment API v2. */
export type SubscriptionStatus = 'PendingFulfillmentStart' | 'Subscribed' | 'Suspended' | 'Unsubscribed';

export interface Party {
  readonly tenantId: string;
  readonly emailId?: string;
  readonly objectId?: string;
}

/**
 * A marketplace SaaS subscription as this system keeps it. `id` is Microsoft's SaaS subscription id, which is
 * also the `resourceId` of metering events.
 */
export interface Subscription {
  readonly id: string;
  readonly offerId: string;
  readonly planId: string;
  /** Seats of a per-user plan; absent for flat-rate plans. */
  readonly quantity?: number;
  readonly status: SubscriptionStatus;
  readonly term?: { readonly startDate: string; readonly endDate: string; readonly termUnit: TermUnit };
  readonly isFreeTrial: boolean;
  /** Who uses the subscription (the customer). */
  readonly beneficiary: Party;
  /** Who bought it: differs from the beneficiary for reseller (CSP) purchases. */
  readonly purchaser: Party;
  /** The reseller partner this customer is linked to, if any (used by partner-scoped API keys). */
  readonly partnerId?: string;
}
