import {
  type LinkResellerPurchaseDeps,
  type LinkResellerPurchaseOutcome,
  linkResellerPurchase,
} from '#shared/use-cases/partners/link-reseller-purchase.ts';

export interface PurchaseLinkLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface LinkNewPurchaseToResellerDeps extends LinkResellerPurchaseDeps {
  readonly logger: PurchaseLinkLogger;
}

/**
 * The step after a purchase is stored for the first time (`LandingDeps.onNewPurchase`): links it to its reseller when
 * the purchaser is a registered partner (`linkResellerPurchase`, DESIGN "Alerts") and logs a new link.
 *
 * Never throws: the customer waiting on the landing page must not see a failure of this side step, and nothing is
 * lost by it: the failure is logged with the subscription id, and the publisher can link the subscription by hand
 * (`PUT /v1/partners/{partnerId}/customers/{subscriptionId}`).
 * @returns what `linkResellerPurchase` did, or `failed` when it threw (logged).
 */
export async function linkNewPurchaseToReseller(
  deps: LinkNewPurchaseToResellerDeps,
  input: { readonly subscriptionId: string },
): Promise<LinkResellerPurchaseOutcome | 'failed'> {
  const { subscriptionId } = input;
  try {
    const { outcome, partnerId } = await linkResellerPurchase(deps, { subscriptionId });
    if (outcome === 'linked')
      deps.logger.info('Reseller purchase linked to its partner', { subscriptionId, partnerId });
    return outcome;
  } catch (error) {
    deps.logger.warn('Could not check for a reseller purchase; link it with PUT /v1/partners/…/customers/…', {
      subscriptionId,
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}
