import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * Reads one subscription for a caller allowed to see it.
 * @throws NotFoundError for an unknown id. @throws ForbiddenError when it belongs to another customer or partner.
 */
export async function getSubscription(
  deps: { subscriptions: SubscriptionStore },
  caller: Principal,
  subscriptionId: string,
): Promise<Subscription> {
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  return subscription;
}
