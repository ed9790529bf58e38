import { ConflictError } from '#shared/domain/errors.ts';
import { applyChange } from '#shared/domain/subscription-lifecycle.ts';
import { MarketplaceBadRequestError, MarketplaceNotFoundError } from '../ports/marketplace-errors.ts';
import { applySubscriptionChange, type ComputedChange } from './apply-subscription-change.ts';
import { termFromMarketplace } from './marketplace-subscription.ts';
import { storeIfNew } from './open-landing-page.ts';
import {
  auditLanding,
  type LandingDeps,
  type LandingInput,
  type LandingView,
  resolvePurchase,
  summaryOf,
} from './resolve-purchase.ts';

/** The operation id under which the landing page's activation is recorded (Microsoft's ids are GUIDs). */
export const ACTIVATION_OPERATION_ID = 'activate';

/**
 * `POST /landing` (the Activate button): re-resolve the token (only its holder can activate, and a stale page
 * cannot), activate at Microsoft with the purchased plan and seats (§1.2 #2: billing starts), store the subscription
 * as Subscribed from now with its term, and publish `SubscriptionActivated` so the publisher's app provisions.
 *
 * Idempotent (refresh, double click, two tabs): a subscription already past PendingFulfillmentStart is shown, not
 * activated again; an Activate that Microsoft answers "already Subscribed" counts as done; the stored activation is a
 * conditional write keyed on the operation `activate`, so exactly one request publishes the event.
 * @throws InvalidPurchaseTokenError for a missing, malformed or expired token; nothing is stored.
 * @throws ConflictError when Microsoft refuses the activation (cancelled meanwhile, plan mismatch).
 * @throws MarketplaceError when Microsoft cannot be asked (retry: the page can simply be submitted again).
 */
export async function activatePurchase(deps: LandingDeps, input: LandingInput): Promise<LandingView> {
  const purchase = await resolvePurchase(deps, input.token);
  const { resolved, correlationId } = purchase;
  const { stored } = await storeIfNew(deps, purchase);
  // Who clicked Activate, on every record of this click (issue 13: the landing page records who activated).
  const requestId = {
    ...(input.requestId ? { requestId: input.requestId } : {}),
    ...(input.user ? { actor: input.user } : {}),
  };
  if (stored.subscription.status !== 'PendingFulfillmentStart') {
    await auditLanding(deps, {
      subscriptionId: resolved.id,
      what: 'activate clicked',
      result: `not activated again: already ${stored.subscription.status}`,
      ...requestId,
      correlationId,
    });
    return { kind: 'status', purchase: summaryOf(deps.catalog, stored.subscription, resolved), activatedNow: false };
  }

  await activateAtMicrosoft(deps, purchase.resolved.id, resolved.planId, resolved.quantity, correlationId);
  // §1.3: the term dates exist once activated; read them now so renewals and allowances start from the right day.
  const activated = await deps.marketplace.getSubscription(resolved.id, { correlationId }).catch(() => undefined);
  const term = activated ? termFromMarketplace(activated) : undefined;
  const at = deps.clock.now();
  const result = await applySubscriptionChange(deps, {
    subscriptionId: resolved.id,
    operationId: ACTIVATION_OPERATION_ID,
    action: 'Activate',
    compute: ({ subscription }): ComputedChange => {
      if (subscription.status !== 'PendingFulfillmentStart') return { unchanged: `already ${subscription.status}` };
      const changed = applyChange(subscription, {
        at,
        status: 'Subscribed',
        planId: resolved.planId,
        quantity: resolved.quantity ?? null,
      });
      if (!changed.applied) return { unchanged: changed.reason };
      return {
        subscription: { ...changed.subscription, ...(term ? { term } : {}) },
        eventType: 'SubscriptionActivated',
        at,
      };
    },
  });
  await auditLanding(deps, {
    subscriptionId: resolved.id,
    what: 'activate clicked',
    result: result.outcome === 'applied' ? 'activated' : `not activated again: ${result.outcome}`,
    ...requestId,
    correlationId,
  });
  const now = (await deps.subscriptions.read(resolved.id))?.subscription;
  if (!now) throw new Error(`Subscription ${resolved.id} vanished after activation`);
  return {
    kind: 'status',
    purchase: summaryOf(deps.catalog, now, resolved),
    activatedNow: result.outcome === 'applied',
  };
}

/**
 * Activate (§1.2 #2). A 400 after someone else activated (another tab) is success when Microsoft now reports the
 * subscription Subscribed on the purchased plan.
 * @throws ConflictError when Microsoft refuses for another reason (404: cancelled meanwhile).
 */
async function activateAtMicrosoft(
  deps: LandingDeps,
  subscriptionId: string,
  planId: string,
  quantity: number | undefined,
  correlationId: string,
): Promise<void> {
  try {
    await deps.marketplace.activate(
      subscriptionId,
      { planId, ...(quantity === undefined ? {} : { quantity }) },
      { correlationId },
    );
  } catch (error) {
    if (error instanceof MarketplaceBadRequestError) {
      const current = await deps.marketplace.getSubscription(subscriptionId, { correlationId });
      if (current.saasSubscriptionStatus === 'Subscribed' || current.saasSubscriptionStatus === 'Suspended') return;
      throw new ConflictError(
        `Microsoft refused to activate this subscription (it is ${current.saasSubscriptionStatus}).`,
        { cause: error },
      );
    }
    if (error instanceof MarketplaceNotFoundError) {
      throw new ConflictError('This subscription was cancelled in the marketplace and cannot be activated.', {
        cause: error,
      });
    }
    throw error;
  }
}
