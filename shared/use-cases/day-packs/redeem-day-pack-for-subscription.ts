import type { Principal } from '#shared/domain/access.ts';
import {
  type RedeemDayPackDeps,
  type RedeemDayPackResult,
  redeemDayPack,
} from '#shared/use-cases/day-packs/redeem-day-pack.ts';
import { getSubscription } from '#shared/use-cases/fulfillment/get-subscription.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * The API's way to redeem a day pack: the caller must be allowed to touch the subscription, and the product the
 * pack must match is the stored subscription's offer (never something the request claims).
 * @throws NotFoundError for an unknown subscription or code. @throws ForbiddenError for another party's
 *   subscription. Otherwise as `redeemDayPack`.
 */
export async function redeemDayPackForSubscription(
  deps: RedeemDayPackDeps & { readonly subscriptions: SubscriptionStore },
  caller: Principal,
  input: { readonly subscriptionId: string; readonly code: string },
): Promise<RedeemDayPackResult> {
  const subscription = await getSubscription(deps, caller, input.subscriptionId);
  return redeemDayPack(deps, {
    code: input.code,
    subscription: { id: subscription.id, productKey: subscription.offerId },
  });
}
