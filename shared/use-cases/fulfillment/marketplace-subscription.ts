import { TERM_UNITS, type TermUnit } from '#shared/domain/catalog.ts';
import type { Subscription, SubscriptionStatus, SubscriptionTerm } from '#shared/domain/subscription.ts';
import type { MarketplaceSubscription } from '../ports/marketplace.ts';

/**
 * Our status for Microsoft's `saasSubscriptionStatus` (§1.3). `NotStarted` (OpenAPI only) and values Microsoft may
 * add later count as not yet activated: nothing becomes billable or entitled by accident.
 */
export function statusFromMarketplace(status: string): SubscriptionStatus {
  return status === 'Subscribed' || status === 'Suspended' || status === 'Unsubscribed'
    ? status
    : 'PendingFulfillmentStart';
}

/**
 * The billing term as Microsoft reports it (§1.3 `term`), when it is complete and its unit is one the catalog knows
 * (P4Y/P5Y, added to the spec in 2025, are not sold by any plan of ours).
 */
export function termFromMarketplace(subscription: MarketplaceSubscription): SubscriptionTerm | undefined {
  const term = subscription.term;
  const unit = TERM_UNITS.find((candidate) => candidate === term?.termUnit);
  if (!term?.startDate || !term.endDate || !unit) return undefined;
  return { startDate: term.startDate, endDate: term.endDate, termUnit: unit as TermUnit };
}

/**
 * A subscription as first stored from what Microsoft reports, with one timeline period from `at` (when we learnt of
 * it: the landing page or a webhook for a purchase we never saw). `overrides` carry what the caller knows better
 * (Resolve's `planId` and `quantity` for the purchase).
 */
export function subscriptionFromMarketplace(
  subscription: MarketplaceSubscription,
  at: Date,
  overrides: { readonly planId?: string; readonly quantity?: number } = {},
): Subscription {
  const status = statusFromMarketplace(subscription.saasSubscriptionStatus);
  const planId = overrides.planId ?? subscription.planId;
  const quantity = overrides.quantity ?? subscription.quantity;
  const term = termFromMarketplace(subscription);
  const name = subscription.name?.trim();
  return {
    id: subscription.id,
    ...(name ? { name } : {}),
    offerId: subscription.offerId,
    planId,
    ...(quantity === undefined ? {} : { quantity }),
    status,
    ...(term ? { term } : {}),
    isFreeTrial: subscription.isFreeTrial,
    beneficiary: party(subscription.beneficiary),
    purchaser: party(subscription.purchaser),
    timeline: [{ from: at.toISOString(), status, planId, ...(quantity === undefined ? {} : { quantity }) }],
  };
}

function party(value: MarketplaceSubscription['beneficiary']): Subscription['beneficiary'] {
  return {
    tenantId: value?.tenantId ?? '',
    ...(value?.emailId ? { emailId: value.emailId } : {}),
    ...(value?.objectId ? { objectId: value.objectId } : {}),
  };
}
