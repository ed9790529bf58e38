import { isConsumerTenant } from '#shared/domain/entra-ids.ts';
import { setPartnerOf } from '#shared/use-cases/partners/link-partner-customer.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { VersionedSubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface LinkResellerPurchaseDeps {
  readonly partners: Pick<PartnerStore, 'findPartnerByTenant'>;
  readonly subscriptions: Pick<VersionedSubscriptionStore, 'read' | 'save'>;
}

/**
 * - `linked`: the purchaser is a registered partner; the subscription is now that partner's;
 * - `alreadyLinked`: it was that partner's already (a repeated landing or webhook);
 * - `linkedToAnother`: it belongs to another partner (the publisher linked it): left as it is;
 * - `notAResellerPurchase`: the purchaser is the customer itself, or no partner has its tenant;
 * - `notFound`: no such subscription is stored (store it first).
 */
export type LinkResellerPurchaseOutcome =
  | 'linked'
  | 'alreadyLinked'
  | 'linkedToAnother'
  | 'notAResellerPurchase'
  | 'notFound';

/**
 * Recognises a reseller purchase (DESIGN "Alerts", seeds/000_*: the distributor sells subscriptions to its
 * customers): when the purchaser's tenant is a registered partner's tenant and differs from the beneficiary's, the
 * subscription becomes that partner's (`partnerId`), so the partner's keys reach it and it can set its credit levels
 * (`PUT /v1/partners/{partnerId}/customers/{subscriptionId}`). No credit link is created: levels are the partner's
 * decision, and without levels there is nothing to alert on or to enforce.
 *
 * For the fulfillment flow: call it after the subscription is stored (landing page, webhook, sync). Idempotent, and
 * never takes a subscription from a partner the publisher linked it to.
 * @throws ConflictError when the subscription kept changing under every attempt (call again).
 * @throws Error when a store cannot be read or written.
 */
export async function linkResellerPurchase(
  deps: LinkResellerPurchaseDeps,
  input: { readonly subscriptionId: string },
): Promise<{ readonly outcome: LinkResellerPurchaseOutcome; readonly partnerId?: string }> {
  const stored = await deps.subscriptions.read(input.subscriptionId);
  if (!stored) return { outcome: 'notFound' };
  const { purchaser, beneficiary } = stored.subscription;
  // A personal account's purchase is no reseller's, whatever partner was once stored with the consumer tenant.
  if (purchaser.tenantId === beneficiary.tenantId || isConsumerTenant(purchaser.tenantId)) {
    return { outcome: 'notAResellerPurchase' };
  }
  const partner = await deps.partners.findPartnerByTenant(purchaser.tenantId);
  if (!partner) return { outcome: 'notAResellerPurchase' };
  const current = stored.subscription.partnerId;
  if (current === partner.id) return { outcome: 'alreadyLinked', partnerId: partner.id };
  if (current !== undefined) return { outcome: 'linkedToAnother', partnerId: current };
  await setPartnerOf(deps.subscriptions, stored, partner.id);
  return { outcome: 'linked', partnerId: partner.id };
}
