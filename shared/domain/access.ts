import type { Catalog, Offer, Plan } from '#shared/domain/catalog.ts';
import { ForbiddenError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

/**
 * Who is calling the project's own API, as established from an API key.
 * - publisher: the SaaS publisher's own back end and operators; may do everything.
 * - partner: a reseller partner; sees only the subscriptions of customers linked to it.
 * - customer: one customer; sees only its own subscriptions (by id, or all of its Entra tenant's).
 */
export type Principal =
  | { readonly role: 'publisher'; readonly keyId: string }
  | { readonly role: 'partner'; readonly keyId: string; readonly partnerId: string }
  | {
      readonly role: 'customer';
      readonly keyId: string;
      readonly tenantId?: string;
      readonly subscriptionIds: readonly string[];
    };

export type Role = Principal['role'];

/** @throws ForbiddenError unless the caller holds a publisher key. */
export function requirePublisher(principal: Principal, action: string): void {
  if (principal.role !== 'publisher') {
    throw new ForbiddenError(`Only a publisher key may ${action}; this request used a ${principal.role} key.`);
  }
}

/** Whether the caller may read or change this subscription. */
export function canAccessSubscription(principal: Principal, subscription: Subscription): boolean {
  switch (principal.role) {
    case 'publisher':
      return true;
    case 'partner':
      return subscription.partnerId !== undefined && subscription.partnerId === principal.partnerId;
    case 'customer':
      return (
        principal.subscriptionIds.includes(subscription.id) ||
        (principal.tenantId !== undefined && principal.tenantId === subscription.beneficiary.tenantId)
      );
  }
}

/** @throws ForbiddenError when the caller may not touch this subscription. */
export function requireSubscriptionAccess(principal: Principal, subscription: Subscription): void {
  if (!canAccessSubscription(principal, subscription)) {
    throw new ForbiddenError(
      `This ${principal.role} key has no access to subscription ${subscription.id}. ` +
        'Use a key issued for the customer or partner that owns it.',
    );
  }
}

/**
 * Checks that the caller may read or set this subscription's budget: the publisher, or a customer key of this
 * subscription. A partner sees the planned amount in its alerts but does not manage its customer's budget.
 * @throws ForbiddenError for a partner key, or a key without access to the subscription.
 */
export function requireBudgetAccess(principal: Principal, subscription: Subscription, action: 'read' | 'set'): void {
  if (principal.role === 'partner') {
    throw new ForbiddenError(
      `A partner key may not ${action} a customer's budget; use the customer's or the publisher's key.`,
    );
  }
  requireSubscriptionAccess(principal, subscription);
}

/** @throws ForbiddenError when the caller is neither the publisher nor this partner. */
export function requirePartnerAccess(principal: Principal, partnerId: string): void {
  if (principal.role === 'publisher') return;
  if (principal.role === 'partner' && principal.partnerId === partnerId) return;
  throw new ForbiddenError(`This ${principal.role} key has no access to partner ${partnerId}.`);
}

/**
 * The catalog as this caller may see it: private plans (negotiated prices) are shown only to the publisher and to
 * the customers in their audience; per-customer prices of other customers are removed.
 */
export function catalogVisibleTo(principal: Principal, catalog: Catalog): Catalog {
  if (principal.role === 'publisher') return catalog;
  return { ...catalog, offers: catalog.offers.map((offer) => offerVisibleTo(principal, offer)) };
}

function offerVisibleTo(principal: Exclude<Principal, { role: 'publisher' }>, offer: Offer): Offer {
  const plans: Plan[] = [];
  for (const plan of offer.plans) {
    if (plan.visibility === 'public') {
      plans.push(plan);
      continue;
    }
    if (principal.role !== 'customer' || !isInAudience(principal, plan)) continue;
    const { audience: _audience, customerPrices, ...rest } = plan;
    plans.push({
      ...rest,
      customerPrices: customerPrices?.filter(
        (price) =>
          (price.subscriptionId !== undefined && principal.subscriptionIds.includes(price.subscriptionId)) ||
          (price.tenantId !== undefined && price.tenantId === principal.tenantId),
      ),
    });
  }
  return { ...offer, plans };
}

function isInAudience(principal: Extract<Principal, { role: 'customer' }>, plan: Plan): boolean {
  const audience = plan.audience;
  if (!audience) return false;
  return (
    (principal.tenantId !== undefined && audience.tenantIds.includes(principal.tenantId)) ||
    principal.subscriptionIds.some((id) => audience.subscriptionIds.includes(id))
  );
}
