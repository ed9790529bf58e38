import { randomUUID } from 'node:crypto';
import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import { type PurchaseApproval, parsePurchaseApproval } from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface ApprovePurchaseChangeDeps {
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'putApproval'>;
  /** To check an approved plan against the subscription's offer. */
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
  /** Default: a random UUID. */
  readonly newId?: () => string;
}

export interface ApprovalBody {
  readonly subscriptionId: string;
  /** The plan approved; absent: any plan. */
  readonly planId?: string;
  /** Most seats approved; absent: any quantity. */
  readonly maxQuantity?: number;
  /** ISO 8601 instant, within 90 days. */
  readonly expiresAt: string;
}

/**
 * A reseller partner approves a price-raising plan or quantity change of one of its customers at the
 * approval-required level (seeds/000_*: 要承認), until the approval expires; the credit policy then accepts that
 * change (credit.ts `approvalCovers`).
 * @throws ForbiddenError for customer keys and other partners' keys.
 * @throws NotFoundError when the subscription is not linked to this partner.
 * @throws ValidationError naming the field (expiry in the past or beyond 90 days, seats not a positive integer, a
 *   plan that is not a plan of the subscription's offer: an approval that could never match a change is refused).
 */
export async function approvePurchaseChange(
  deps: ApprovePurchaseChangeDeps,
  caller: Principal,
  input: { readonly partnerId: string; readonly approval: ApprovalBody },
): Promise<PurchaseApproval> {
  requirePartnerAccess(caller, input.partnerId);
  const link = await deps.partners.getCreditLink(input.approval.subscriptionId);
  if (link?.partnerId !== input.partnerId) {
    throw new NotFoundError(
      `Subscription ${input.approval.subscriptionId} is not a customer of partner ${input.partnerId} with credit levels.`,
    );
  }
  if (input.approval.planId !== undefined) await requirePlanOfOffer(deps, input.approval);
  const approval = parsePurchaseApproval(
    { ...input.approval, id: (deps.newId ?? randomUUID)(), partnerId: input.partnerId },
    deps.clock.now(),
  );
  await deps.partners.putApproval(approval);
  return approval;
}

async function requirePlanOfOffer(deps: ApprovePurchaseChangeDeps, approval: ApprovalBody): Promise<void> {
  const subscription = await deps.subscriptions.get(approval.subscriptionId);
  if (!subscription) throw new NotFoundError(`Subscription ${approval.subscriptionId} is not known.`);
  const offer = deps.catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  const planIds = offer?.plans.map((plan) => plan.id) ?? [];
  if (!planIds.includes(approval.planId ?? '')) {
    throw new ValidationError(
      `plan "${approval.planId}" is not a plan of offer "${subscription.offerId}"; its plans: ` +
        `${planIds.map((id) => `"${id}"`).join(', ') || 'none in the catalog'} (ids are case-sensitive).`,
      'planId',
    );
  }
}
