import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import { type PurchaseBlock, purchaseBlockOf } from '#shared/domain/alerts/credit.ts';
import type { PurchaseBlockRelease } from '#shared/domain/alerts/settings.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { type CreditPositionDeps, creditPositionOf } from '#shared/use-cases/partners/credit-position.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface ReleasePurchaseBlockDeps extends CreditPositionDeps {
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'getPartner' | 'releasePurchaseBlock'>;
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly clock: Clock;
}

export interface ReleasedPurchaseBlock {
  readonly subscriptionId: string;
  readonly release: PurchaseBlockRelease;
  /** What was released: the month-start (or current-status) check's block. */
  readonly released: PurchaseBlock;
  /** A block still in force after the release (this month's charges or the planned amount above the level). */
  readonly stillBlocked?: PurchaseBlock;
}

/**
 * A reseller partner (or the publisher for it) explicitly releases the purchase block of a month-start check: its
 * customer may again make price-raising plan or quantity changes, until the next month-start check (which blocks
 * again if the largest month still exceeds the purchase-blocked level) or a change of that level (checked at once).
 * The DESIGN's "explicit release" of a month-start result; it does not touch the live levels: charges or a planned
 * amount above the purchase-blocked level keep blocking until they fall below it or the partner raises the level.
 *
 * Steps: check the caller; read the link (it must be this partner's); compute the credit position in the partner's
 * months (`creditPositionOf`); refuse when no month-start block is in force; record the release on the link, on
 * condition that the link is still the one read (a level changed meanwhile makes a new check, not covered by this
 * release).
 * @throws ForbiddenError for customer keys and other partners' keys.
 * @throws NotFoundError when the subscription is not linked to this partner or not stored.
 * @throws ConflictError when no month-start check blocks purchases now (nothing to release; the message says what
 *   blocks, if anything), or the link changed meanwhile.
 */
export async function releasePurchaseBlock(
  deps: ReleasePurchaseBlockDeps,
  caller: Principal,
  input: { readonly partnerId: string; readonly subscriptionId: string },
): Promise<ReleasedPurchaseBlock> {
  requirePartnerAccess(caller, input.partnerId);
  const [link, subscription] = await Promise.all([
    deps.partners.getCreditLink(input.subscriptionId),
    deps.subscriptions.get(input.subscriptionId),
  ]);
  if (link?.partnerId !== input.partnerId || !subscription) {
    throw new NotFoundError(
      `Subscription ${input.subscriptionId} is not a customer of partner ${input.partnerId} with credit levels.`,
    );
  }
  const now = deps.clock.now();
  const position = await creditPositionOf(deps, subscription, link, now);
  const block = position.block;
  if (block?.reason !== 'monthStartCheck' && block?.reason !== 'currentStatusCheck') {
    throw new ConflictError(
      block
        ? `Purchases are blocked because ${block.reason === 'chargesOverLevel' ? "this month's charges" : 'the planned monthly amount'} ` +
            `(${block.amount.toString()}) exceed the purchase-blocked level ${block.purchaseBlockedLevel.toString()}, ` +
            'not by a month-start check: raise the level to let price-raising changes through.'
        : `No month-start check blocks purchases of subscription ${input.subscriptionId} now; there is nothing to release.`,
    );
  }
  const release: PurchaseBlockRelease = {
    at: now,
    by: caller.role === 'partner' ? `partner:${caller.partnerId}` : 'publisher',
  };
  await deps.partners.releasePurchaseBlock(link, release);
  // The charges do not change with the release: only the check's block is lifted.
  const after = purchaseBlockOf({
    check: { ...position.check, release },
    monthToDate: position.monthToDate,
    ...(position.plannedAmount ? { plannedAmount: position.plannedAmount } : {}),
    month: position.month,
  });
  return {
    subscriptionId: input.subscriptionId,
    release,
    released: block,
    ...(after ? { stillBlocked: after } : {}),
  };
}
