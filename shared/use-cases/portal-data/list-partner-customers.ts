import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import type { CreditStatus } from '#shared/domain/alerts/credit.ts';
import type { CreditLink, PurchaseApproval } from '#shared/domain/alerts/settings.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { Money } from '#shared/domain/money.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import {
  type CreditPosition,
  type CreditPositionDeps,
  creditPositionOf,
} from '#shared/use-cases/partners/credit-position.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface ListPartnerCustomersDeps extends CreditPositionDeps {
  readonly partners: Pick<PartnerStore, 'getPartner' | 'listCreditLinks' | 'listApprovals'>;
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly clock: Clock;
}

type Amount = ReturnType<Money['toJSON']>;

/** One linked customer as the partner's table shows it. Amounts only: never the store fee or the payout. */
export interface PartnerCustomerView {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly name: string | null;
  readonly tenantId: string | null;
  readonly offerId: string | null;
  readonly planId: string | null;
  /** null when the linked subscription is no longer stored. */
  readonly status: SubscriptionStatus | null;
  /**
   * ok, or the most severe of the three levels (warning / approvalRequired / purchaseBlocked) reached; null (and no
   * figures) when the subscription is gone or cannot be rated in the levels' currency.
   */
  readonly creditState: CreditStatus | null;
  readonly creditLevels: {
    readonly warning: Amount;
    readonly approvalRequired: Amount;
    readonly purchaseBlocked: Amount;
  };
  readonly provisionalCredit: Amount | null;
  /** Charges of the month to date, in the partner's time zone. */
  readonly monthToDate: Amount | null;
  /** The largest monthly charge of the six closed months (the month-start check's), with its month. */
  readonly largestMonthlyCharge: (Amount & { readonly month: string }) | null;
  /** null when the row could not be rated. */
  readonly purchaseBlocked: boolean | null;
  /** Approvals not yet expired. */
  readonly pendingApprovals: readonly {
    readonly id: string;
    readonly planId: string | null;
    readonly maxQuantity: number | null;
    readonly approvedAt: string;
    readonly expiresAt: string;
  }[];
}

export interface PartnerCustomers {
  readonly partnerId: string;
  readonly asOf: string;
  /** The partner's time zone: its months are the ones month-to-date and the largest month are counted in. */
  readonly timeZone: string | null;
  readonly customers: readonly PartnerCustomerView[];
}

/** Customers rated at once: each one reads its usage (one query per dimension); more would crowd the table. */
const CONCURRENCY = 4;

/**
 * The partner's customers in one table (issue 13 point 4): per linked subscription its credit state against the three
 * levels, the levels, the provisional credit, the month to date, the largest monthly charge and the approvals still
 * open — from `creditPositionOf`, so the figures are the ones the partner's alerts and the purchase checks use.
 *
 * Reads: the partner, its credit links (one index query), then per customer the subscription, its credit position
 * (budget, partner, one slot query per dimension over seven months) and its approvals.
 * @throws ForbiddenError unless the caller is the publisher or this partner. @throws NotFoundError for an unknown partner.
 */
export async function listPartnerCustomers(
  deps: ListPartnerCustomersDeps,
  caller: Principal,
  partnerId: string,
): Promise<PartnerCustomers> {
  requirePartnerAccess(caller, partnerId);
  const [partner, links] = await Promise.all([
    deps.partners.getPartner(partnerId),
    deps.partners.listCreditLinks(partnerId),
  ]);
  if (!partner) throw new NotFoundError(`No partner with id ${partnerId}.`);
  const now = deps.clock.now();
  const customers: PartnerCustomerView[] = new Array(links.length);
  let next = 0;
  let timeZone: string | null = null;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, links.length) }, async () => {
      while (next < links.length) {
        const index = next++;
        const link = links[index];
        if (!link) continue;
        const levels = {
          warning: link.levels.warning.toJSON(),
          approvalRequired: link.levels.approvalRequired.toJSON(),
          purchaseBlocked: link.levels.purchaseBlocked.toJSON(),
        };
        const [subscription, approvals] = await Promise.all([
          deps.subscriptions.get(link.subscriptionId),
          deps.partners.listApprovals(link.subscriptionId, { activeAt: now }),
        ]);
        const pendingApprovals = approvals.filter((a) => a.partnerId === partnerId).map(approvalView);
        // A customer whose plan is gone from the catalog or not priced in the levels' currency cannot be rated: its
        // row shows no figures rather than the whole table failing.
        const position = subscription ? await ratedPosition(deps, subscription, link, now) : undefined;
        if (!subscription || !position) {
          customers[index] = {
            subscriptionId: link.subscriptionId,
            customerId: link.customerId,
            name: subscription?.name ?? null,
            tenantId: subscription?.beneficiary.tenantId ?? null,
            offerId: subscription?.offerId ?? null,
            planId: subscription?.planId ?? null,
            status: subscription?.status ?? null,
            creditState: null,
            creditLevels: levels,
            provisionalCredit: null,
            monthToDate: null,
            largestMonthlyCharge: null,
            purchaseBlocked: null,
            pendingApprovals,
          };
          continue;
        }
        timeZone = position.timeZone;
        const largest = position.check.largest;
        customers[index] = {
          subscriptionId: subscription.id,
          customerId: link.customerId,
          name: subscription.name ?? null,
          tenantId: subscription.beneficiary.tenantId,
          offerId: subscription.offerId,
          planId: subscription.planId,
          status: subscription.status,
          creditState: position.status,
          creditLevels: levels,
          provisionalCredit: position.provisionalCredit?.amount.roundToMinorUnit().toJSON() ?? null,
          monthToDate: position.monthToDate.toJSON(),
          largestMonthlyCharge: largest ? { ...largest.amount.toJSON(), month: largest.month } : null,
          purchaseBlocked: position.block !== undefined,
          pendingApprovals,
        };
      }
    }),
  );
  return { partnerId, asOf: now.toISOString(), timeZone, customers };
}

async function ratedPosition(
  deps: ListPartnerCustomersDeps,
  subscription: Subscription,
  link: CreditLink,
  now: Date,
): Promise<CreditPosition | undefined> {
  try {
    return await creditPositionOf(deps, subscription, link, now);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function approvalView(approval: PurchaseApproval) {
  return {
    id: approval.id,
    planId: approval.planId ?? null,
    maxQuantity: approval.maxQuantity ?? null,
    approvedAt: approval.approvedAt.toISOString(),
    expiresAt: approval.expiresAt.toISOString(),
  };
}
