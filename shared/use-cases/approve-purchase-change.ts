import { randomUUID } from 'node:crypto';
import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import { type PurchaseApproval, parsePurchaseApproval } from '#shared/domain/alerts/settings.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { PartnerStore } from '#shared/use-cases/ports/partner-store.ts';

export interface ApprovePurchaseChangeDeps {
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'putApproval'>;
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
 * @throws ValidationError naming the field (expiry in the past or beyond 90 days, seats not a positive integer).
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
  const approval = parsePurchaseApproval(
    { ...input.approval, id: (deps.newId ?? randomUUID)(), partnerId: input.partnerId },
    deps.clock.now(),
  );
  await deps.partners.putApproval(approval);
  return approval;
}
