import type { Catalog } from '#shared/domain/catalog.ts';
import { planIn } from '#shared/domain/catalog-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { Subscription, SubscriptionStatus, SubscriptionTerm } from '#shared/domain/subscription.ts';
import type { AuditActor, AuditLog } from '../ports/audit-log.ts';
import type { Clock } from '../ports/clock.ts';
import type { Marketplace, MarketplaceSubscription, ResolvedSubscription } from '../ports/marketplace.ts';
import { MarketplaceBadRequestError, MarketplaceNotFoundError } from '../ports/marketplace-errors.ts';
import type { VersionedSubscriptionStore } from '../ports/subscription-store.ts';
import type { LifecyclePublisher } from './ports/lifecycle-publisher.ts';

/**
 * The landing-page token is missing, malformed or expired (reference/marketplace-api.md §1.2 Resolve: 400; tokens
 * live about 24 h). The customer can only get a fresh one from Microsoft (§1.2 Resolve: reopen the subscription in the
 * Azure portal or Microsoft 365 admin center and use Configure / Manage account).
 */
export class InvalidPurchaseTokenError extends ValidationError {}

export interface LandingDeps {
  readonly marketplace: Marketplace;
  readonly subscriptions: VersionedSubscriptionStore;
  readonly lifecycle: LifecyclePublisher;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly catalog: Catalog;
  /**
   * Called once for a purchase stored for the first time: links a reseller purchase to its partner
   * (`linkNewPurchaseToReseller`, which logs its own failures and never throws: nothing of it reaches the customer).
   * Optional.
   */
  readonly onNewPurchase?: (subscriptionId: string) => Promise<void>;
}

export interface LandingInput {
  /** The `token` query parameter (GET) or form field (POST), already URL-decoded once by the HTTP layer. */
  readonly token: string | undefined;
  /** The HTTP request id, for the audit trail. */
  readonly requestId?: string;
  /** The signed-in user on the page (recorded as who activated). */
  readonly user?: AuditActor;
}

/** What the landing page shows about a purchase: names from the catalog, parties from Microsoft. */
export interface PurchaseSummary {
  readonly subscriptionId: string;
  readonly subscriptionName?: string;
  readonly offerId: string;
  readonly offerName: string;
  readonly planId: string;
  readonly planName: string;
  readonly quantity?: number;
  readonly purchaserEmail?: string;
  readonly beneficiaryEmail?: string;
  readonly status: SubscriptionStatus;
  readonly term?: SubscriptionTerm;
}

/**
 * `confirm`: a new purchase, shown with an Activate button. `status`: an activated (or suspended, cancelled)
 * subscription: the result of an activation, or a returning "Manage account" visit (§1.2 Resolve).
 */
export type LandingView =
  | { readonly kind: 'confirm'; readonly purchase: PurchaseSummary }
  | { readonly kind: 'status'; readonly purchase: PurchaseSummary; readonly activatedNow: boolean };

/** The purchase behind the token and the marketplace's subscription, plus the correlation id of the visit. */
export interface ResolvedPurchase {
  readonly resolved: ResolvedSubscription;
  readonly subscription: MarketplaceSubscription;
  readonly correlationId: string;
}

/**
 * Resolves a landing-page token (§1.2 #1). The token is passed on exactly as the HTTP layer decoded it: decoding it a
 * second time breaks tokens holding `+` or `%2B` (§6.2).
 * @throws InvalidPurchaseTokenError when the token is missing, malformed or expired (400/404 from Resolve).
 * @throws MarketplaceError for anything else (our configuration, Microsoft unavailable).
 */
export async function resolvePurchase(deps: LandingDeps, token: string | undefined): Promise<ResolvedPurchase> {
  if (!token || token.trim() === '') {
    throw new InvalidPurchaseTokenError('The landing page was opened without a purchase token.', 'token');
  }
  const correlationId = crypto.randomUUID();
  try {
    const resolved = await deps.marketplace.resolve(token, { correlationId });
    const subscription =
      resolved.subscription ?? (await deps.marketplace.getSubscription(resolved.id, { correlationId }));
    return { resolved, subscription, correlationId };
  } catch (error) {
    if (error instanceof MarketplaceBadRequestError || error instanceof MarketplaceNotFoundError) {
      throw new InvalidPurchaseTokenError('The purchase token is not valid or has expired.', 'token', { cause: error });
    }
    throw error;
  }
}

/** The summary of a stored subscription, with display names from the catalog (ids when the catalog lacks them). */
export function summaryOf(
  catalog: Catalog,
  subscription: Subscription,
  purchase: { readonly subscriptionName?: string } = {},
): PurchaseSummary {
  const offer = catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  const plan = planIn(catalog, subscription.offerId, subscription.planId);
  return {
    subscriptionId: subscription.id,
    ...(purchase.subscriptionName ? { subscriptionName: purchase.subscriptionName } : {}),
    offerId: subscription.offerId,
    offerName: offer?.displayName ?? subscription.offerId,
    planId: subscription.planId,
    planName: plan?.displayName ?? subscription.planId,
    ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
    ...(subscription.purchaser.emailId ? { purchaserEmail: subscription.purchaser.emailId } : {}),
    ...(subscription.beneficiary.emailId ? { beneficiaryEmail: subscription.beneficiary.emailId } : {}),
    status: subscription.status,
    ...(subscription.term ? { term: subscription.term } : {}),
  };
}

/** Records a landing-page step in the subscription's audit trail; a failed write is not the customer's problem. */
export async function auditLanding(
  deps: LandingDeps,
  entry: {
    subscriptionId: string;
    what: string;
    result: string;
    requestId?: string;
    correlationId: string;
    actor?: AuditActor;
  },
  onError: (error: unknown) => void = () => undefined,
): Promise<void> {
  await deps.audit
    .record({ ...entry, at: deps.clock.now(), kind: 'landing' })
    .catch((error: unknown) => onError(error));
}
