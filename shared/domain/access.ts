import type { Catalog, Offer, Plan } from '#shared/domain/catalog.ts';
import { isConsumerTenant, normalizeEntraId, sameEntraId, sameOrganizationTenant } from '#shared/domain/entra-ids.ts';
import { ForbiddenError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

/** A user signed in with Microsoft, as a principal carries them for audit ("who activated", "who changed"). */
export interface PrincipalUser {
  readonly tenantId: string;
  readonly objectId: string;
  readonly name?: string;
  readonly email?: string;
}

/**
 * Who is calling the project's own API, as established from an API key or a signed-in user's session (then `keyId`
 * is `user:<oid>` and `user` names them).
 * - publisher: the SaaS publisher's own back end and operators; may do everything.
 * - partner: a reseller partner; sees only the subscriptions of customers linked to it.
 * - customer: one customer; sees only its own subscriptions (by id, or all of its Entra tenant's: those it is the
 *   beneficiary of, and, for a signed-in user, also those it purchased). A signed-in personal Microsoft account has
 *   no tenant scope (its tenant is shared by every personal account): `personalObjectId` names the user, and it sees
 *   the subscriptions it is itself the beneficiary or purchaser of.
 */
export type Principal =
  | { readonly role: 'publisher'; readonly keyId: string; readonly user?: PrincipalUser }
  | { readonly role: 'partner'; readonly keyId: string; readonly partnerId: string; readonly user?: PrincipalUser }
  | {
      readonly role: 'customer';
      readonly keyId: string;
      readonly tenantId?: string;
      readonly subscriptionIds: readonly string[];
      /**
       * A personal Microsoft account's object id (lower case): the subscriptions whose beneficiary or purchaser is
       * this user of the consumer tenant. Set only for signed-in personal accounts, and then `tenantId` is absent.
       */
      readonly personalObjectId?: string;
      readonly user?: PrincipalUser;
    };

/** Who administers the publisher when signed in: users of one tenant, listed by object id or e-mail, or a group. */
export interface PublisherAdmins {
  readonly tenantId?: string;
  /** Object ids and e-mail addresses, lower case. */
  readonly users: readonly string[];
  readonly groupId?: string;
}

/** The signed-in user as the session names them (`shared/http/session.ts` SignedInUser without its CSRF token). */
export interface SignedInIdentity extends PrincipalUser {
  readonly groups?: readonly string[];
}

/**
 * The principal of a signed-in user: a publisher administrator (the configured tenant, and there a listed user or a
 * member of the configured group), else, for a personal Microsoft account, a customer of its own purchases only,
 * else the reseller partner registered with the user's tenant, else a customer of the user's tenant. No admin tenant
 * configured means nobody administers by sign-in (API keys still do). Tenant and object ids are lower-cased here,
 * where they come in from the id token (`entra-ids.ts`).
 * @param partnerId the partner whose `tenantId` is the user's tenant, if any.
 */
export function principalOfUser(
  identity: SignedInIdentity,
  admins: PublisherAdmins,
  partnerId: string | undefined,
): Principal {
  const tenantId = normalizeEntraId(identity.tenantId);
  const objectId = normalizeEntraId(identity.objectId);
  const user: PrincipalUser = {
    tenantId,
    objectId,
    ...(identity.name ? { name: identity.name } : {}),
    ...(identity.email ? { email: identity.email } : {}),
  };
  const keyId = `user:${objectId}`;
  if (isPublisherAdmin(identity, admins)) return { role: 'publisher', keyId, user };
  // Every personal account signs in from the same consumer tenant: scoped by tenant, each would see every other's
  // purchases. It is never a partner either (a tenant registered on a partner would make them all that partner).
  if (isConsumerTenant(tenantId)) {
    return { role: 'customer', keyId, subscriptionIds: [], personalObjectId: objectId, user };
  }
  if (partnerId !== undefined) return { role: 'partner', keyId, partnerId, user };
  return { role: 'customer', keyId, tenantId, subscriptionIds: [], user };
}

function isPublisherAdmin(identity: SignedInIdentity, admins: PublisherAdmins): boolean {
  if (!admins.tenantId || !sameEntraId(identity.tenantId, admins.tenantId)) return false;
  const names = [identity.objectId.toLowerCase(), ...(identity.email ? [identity.email.toLowerCase()] : [])];
  if (names.some((name) => admins.users.includes(name))) return true;
  return (
    admins.groupId !== undefined && (identity.groups ?? []).some((group) => group.toLowerCase() === admins.groupId)
  );
}

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
        (principal.personalObjectId !== undefined && isPersonalPurchaseOf(principal.personalObjectId, subscription)) ||
        sameOrganizationTenant(principal.tenantId, subscription.beneficiary.tenantId) ||
        // A signed-in user of the purchasing tenant sees what it bought for another tenant (issue 13 "who sees
        // what"); customer keys keep their beneficiary-only scope.
        (principal.user !== undefined && sameOrganizationTenant(principal.tenantId, subscription.purchaser.tenantId))
      );
  }
}

/**
 * Whether this personal Microsoft account is the subscription's beneficiary or purchaser: that party is in the
 * consumer tenant and has the user's object id (the marketplace's `beneficiary`/`purchaser` `objectId`,
 * marketplace-api.md §1.3, which the id token's `oid` names).
 */
export function isPersonalPurchaseOf(objectId: string, subscription: Subscription): boolean {
  return [subscription.beneficiary, subscription.purchaser].some(
    (party) => isConsumerTenant(party.tenantId) && sameEntraId(party.objectId, objectId),
  );
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
          sameEntraId(price.tenantId, principal.tenantId),
      ),
    });
  }
  return { ...offer, plans };
}

function isInAudience(principal: Extract<Principal, { role: 'customer' }>, plan: Plan): boolean {
  const audience = plan.audience;
  if (!audience) return false;
  return (
    audience.tenantIds.some((tenantId) => sameEntraId(tenantId, principal.tenantId)) ||
    principal.subscriptionIds.some((id) => audience.subscriptionIds.includes(id))
  );
}
