import { canAccessSubscription, type Principal } from '#shared/domain/access.ts';
import { CONSUMER_TENANT_ID, isConsumerTenant, normalizeEntraId } from '#shared/domain/entra-ids.ts';
import { ForbiddenError } from '#shared/domain/errors.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import type { SubscriptionDirectory, SubscriptionFilter } from '#shared/use-cases/portal-data/ports/directories.ts';

export const DEFAULT_LIST_LIMIT = 50;

export interface ListSubscriptionsQuery {
  readonly status?: SubscriptionStatus;
  readonly offerId?: string;
  readonly planId?: string;
  /** Beneficiary or purchaser tenant. */
  readonly tenantId?: string;
  readonly partnerId?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** A subscription as the lists show it. */
export interface SubscriptionSummary {
  readonly id: string;
  readonly name?: string;
  readonly offerId: string;
  readonly planId: string;
  readonly status: SubscriptionStatus;
  readonly beneficiaryTenantId: string;
  readonly purchaserTenantId: string;
  readonly partnerId?: string;
  readonly quantity?: number;
  readonly term?: Subscription['term'];
}

/**
 * The subscriptions the caller may see, page by page, with filters: the publisher all of them; a partner those of its
 * linked customers; a customer its own (its ids, or its tenant as beneficiary or purchaser; a personal Microsoft
 * account those it is itself the beneficiary or purchaser of). The store narrows by the caller's scope, and every
 * subscription is checked again with `canAccessSubscription`, so the list never shows what
 * `GET /v1/subscriptions/{id}` would refuse.
 * @throws ForbiddenError when a partner asks for another partner's customers.
 * @throws ValidationError for a cursor the list did not issue.
 */
export async function listSubscriptions(
  deps: { readonly subscriptionDirectory: SubscriptionDirectory },
  caller: Principal,
  query: ListSubscriptionsQuery,
): Promise<{ subscriptions: SubscriptionSummary[]; nextCursor?: string }> {
  const { limit = DEFAULT_LIST_LIMIT, cursor, ...given } = query;
  // Stored tenant ids are lower case and the store compares exactly (entra-ids.ts).
  const asked = given.tenantId === undefined ? given : { ...given, tenantId: normalizeEntraId(given.tenantId) };
  let filter: SubscriptionFilter;
  switch (caller.role) {
    case 'publisher':
      filter = asked;
      break;
    case 'partner':
      if (asked.partnerId !== undefined && asked.partnerId !== caller.partnerId) {
        throw new ForbiddenError(`This partner key has no access to partner ${asked.partnerId}'s customers.`);
      }
      filter = { ...asked, partnerId: caller.partnerId };
      break;
    case 'customer':
      filter = {
        ...asked,
        anyOf: {
          ids: caller.subscriptionIds,
          // Never the consumer tenant's every purchase (a customer key stored with it: sameOrganizationTenant).
          ...(caller.tenantId === undefined || isConsumerTenant(caller.tenantId)
            ? {}
            : { tenantId: normalizeEntraId(caller.tenantId) }),
          ...(caller.personalObjectId === undefined
            ? {}
            : { user: { tenantId: CONSUMER_TENANT_ID, objectId: caller.personalObjectId } }),
        },
      };
      break;
  }
  const page = await deps.subscriptionDirectory.listSubscriptions(filter, { limit, ...(cursor ? { cursor } : {}) });
  return {
    subscriptions: page.items.filter((s) => canAccessSubscription(caller, s)).map(summaryOf),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}

function summaryOf(subscription: Subscription): SubscriptionSummary {
  return {
    id: subscription.id,
    ...(subscription.name === undefined ? {} : { name: subscription.name }),
    offerId: subscription.offerId,
    planId: subscription.planId,
    status: subscription.status,
    beneficiaryTenantId: subscription.beneficiary.tenantId,
    purchaserTenantId: subscription.purchaser.tenantId,
    ...(subscription.partnerId === undefined ? {} : { partnerId: subscription.partnerId }),
    ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
    ...(subscription.term === undefined ? {} : { term: subscription.term }),
  };
}
