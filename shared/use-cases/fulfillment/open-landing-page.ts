import type { StoredSubscription } from '../ports/subscription-store.ts';
import { subscriptionFromMarketplace } from './marketplace-subscription.ts';
import {
  auditLanding,
  type LandingDeps,
  type LandingInput,
  type LandingView,
  type ResolvedPurchase,
  resolvePurchase,
  summaryOf,
} from './resolve-purchase.ts';

/**
 * `GET /landing?token=…` (reference/marketplace-api.md §1.2 Resolve, §1.4 PendingFulfillmentStart): resolve the token;
 * store a subscription we have not seen (as Microsoft reports it: PendingFulfillmentStart for a new purchase); show a
 * new purchase for confirmation, or the state of one already activated (a "Manage account" visit). Safe to repeat:
 * nothing is stored twice, nothing is activated here.
 * @throws InvalidPurchaseTokenError for a missing, malformed or expired token; nothing is stored.
 * @throws MarketplaceError when Microsoft cannot be asked (retry later).
 */
export async function openLandingPage(deps: LandingDeps, input: LandingInput): Promise<LandingView> {
  const purchase = await resolvePurchase(deps, input.token);
  const { stored, created } = await storeIfNew(deps, purchase);
  await auditLanding(deps, {
    subscriptionId: stored.subscription.id,
    what: 'landing page opened',
    result: created ? `stored as ${stored.subscription.status}` : `already stored as ${stored.subscription.status}`,
    ...(input.requestId ? { requestId: input.requestId } : {}),
    correlationId: purchase.correlationId,
  });
  const summary = summaryOf(deps.catalog, stored.subscription, purchase.resolved);
  return stored.subscription.status === 'PendingFulfillmentStart'
    ? { kind: 'confirm', purchase: summary }
    : { kind: 'status', purchase: summary, activatedNow: false };
}

/** Stores the resolved purchase unless it is stored already (`createIfAbsent`: two tabs store it once). */
export async function storeIfNew(
  deps: LandingDeps,
  purchase: ResolvedPurchase,
): Promise<{ stored: StoredSubscription; created: boolean }> {
  const existing = await deps.subscriptions.read(purchase.resolved.id);
  if (existing) return { stored: existing, created: false };
  const { resolved } = purchase;
  const subscription = subscriptionFromMarketplace(purchase.subscription, deps.clock.now(), {
    planId: resolved.planId,
    ...(resolved.quantity === undefined ? {} : { quantity: resolved.quantity }),
  });
  const stored = await deps.subscriptions.createIfAbsent(subscription);
  if (stored.created && deps.onNewPurchase) await deps.onNewPurchase(subscription.id);
  return stored;
}
