import { planIn } from '#shared/domain/catalog-rules.ts';
import type { StoredSubscription } from '../ports/subscription-store.ts';
import { statusFromMarketplace, subscriptionFromMarketplace } from './marketplace-subscription.ts';
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
 * new purchase for confirmation, or the state of one already activated (a "Manage account" visit, or a purchase of an
 * auto-activated plan, Subscribed since it was bought: marketplace-2026.md). Safe to repeat: nothing is stored twice,
 * nothing is activated here.
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
  const subscription = subscriptionFromMarketplace(purchase.subscription, knownSince(deps, purchase), {
    planId: resolved.planId,
    ...(resolved.quantity === undefined ? {} : { quantity: resolved.quantity }),
  });
  const stored = await deps.subscriptions.createIfAbsent(subscription);
  if (stored.created && deps.onNewPurchase) await deps.onNewPurchase(subscription.id);
  return stored;
}

/**
 * From when the stored timeline holds: now (when we learnt of it), except for a purchase of an auto-activated plan,
 * which Microsoft made Subscribed (and billable, so usage counts) at the purchase, the start of its term: a customer
 * who used the service before opening this page must not have that usage refused.
 */
function knownSince(deps: LandingDeps, purchase: ResolvedPurchase): Date {
  const now = deps.clock.now();
  const { subscription } = purchase;
  const plan = planIn(deps.catalog, subscription.offerId, purchase.resolved.planId);
  const startDate = subscription.term?.startDate;
  if (plan?.autoActivation !== true || statusFromMarketplace(subscription.saasSubscriptionStatus) !== 'Subscribed') {
    return now;
  }
  const start = startDate === undefined ? Number.NaN : Date.parse(startDate);
  return Number.isNaN(start) || start > now.getTime() ? now : new Date(start);
}
