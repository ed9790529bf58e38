import type { Principal } from '#shared/domain/access.ts';
import type { PrepaidTerm, RedeemedDayPack } from '#shared/domain/day-packs.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import { getSubscription } from '#shared/use-cases/fulfillment/get-subscription.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * A subscription's prepaid term and the packs redeemed for it, for a caller allowed to see the subscription.
 * @throws NotFoundError for an unknown subscription. @throws ForbiddenError for another party's subscription.
 */
export async function getPrepaidTerm(
  deps: { readonly subscriptions: SubscriptionStore; readonly dayPacks: DayPackStore },
  caller: Principal,
  subscriptionId: string,
): Promise<{ term: PrepaidTerm | null; redemptions: RedeemedDayPack[] }> {
  await getSubscription(deps, caller, subscriptionId);
  const [stored, redemptions] = await Promise.all([
    deps.dayPacks.findPrepaidTerm(subscriptionId),
    deps.dayPacks.listBySubscription(subscriptionId),
  ]);
  return { term: stored?.term ?? null, redemptions };
}
