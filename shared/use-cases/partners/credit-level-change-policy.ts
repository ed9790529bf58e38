import { decidePurchaseChange, type PurchaseBlock } from '#shared/domain/alerts/credit.ts';
import { purchaseChangeRejectedAlert } from '#shared/domain/alerts/rules.ts';
import type { CreditLink, Partner } from '#shared/domain/alerts/settings.ts';
import type { AlertTextContext } from '#shared/domain/alerts/templates.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { ACCEPT } from '#shared/domain/change-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import { monthlyEquivalentPrice } from '#shared/domain/plan-pricing.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { type DeliverAlertDeps, deliverAlert } from '#shared/use-cases/alerts/deliver-alert.ts';
import { textContext } from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import type { PurchaseBlockCheck } from '#shared/use-cases/billing/get-entitlement.ts';
import type {
  OverridableChangePolicy,
  OverridableChangeRequest,
  OverridableDecision,
} from '#shared/use-cases/fulfillment/ports/change-policy.ts';
import { type CreditPositionDeps, creditPositionOf } from '#shared/use-cases/partners/credit-position.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface CreditLevelPolicyDeps extends DeliverAlertDeps, CreditPositionDeps {
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'getPartner' | 'listApprovals'>;
  readonly catalog: Catalog;
  readonly logger?: { warn(message: string, ...attributes: Record<string, unknown>[]): void };
  /**
   * Longest wait for the partner's notice before answering anyway (default 2000 ms: a share of
   * `CHANGE_ANSWER_DEADLINE_MS` that leaves the PATCH its time).
   */
  readonly noticeBudgetMs?: number;
}

/**
 * The port's request, plus the marketplace operation id when the caller has it: the partner's notice of a refused
 * change is sent once per operation (a redelivered webhook notifies nobody twice). Without it the notice is once per
 * requested change and UTC day.
 *
 * NOTE for the fulfillment webhook: `ChangeRequest` (ports/change-policy.ts) has no operation id; adding
 * `readonly operationId?: string` there and passing `record.operationId` to `decide` makes the notices exact.
 */
export interface CreditChangeRequest extends OverridableChangeRequest {
  readonly operationId?: string;
}

export interface CreditLevelPolicy extends OverridableChangePolicy {
  decide(request: CreditChangeRequest): Promise<OverridableDecision>;
}

const DEFAULT_NOTICE_BUDGET_MS = 2_000;

/**
 * The reseller's credit levels as a fulfillment `ChangePolicy` (DESIGN "Alerts", seeds/000_*: at approval required,
 * plan or quantity increases need the partner's approval; at purchase blocked, they are refused), to be combined with
 * the catalog's for the marketplace webhook: `allPolicies(catalogChangePolicy(catalog), creditLevelChangePolicy(deps))`,
 * and asked by the publisher API's plan and seat changes too (`requestSubscriptionChange`), so a purchase block
 * blocks whoever starts the change.
 *
 * `decide`: a subscription without a credit link is accepted (one read). A change that does not raise the monthly
 * flat price (plan-history.ts `monthlyEquivalentPrice`, in the credit levels' currency, with the customer's private
 * prices) is accepted. Otherwise the customer's credit position is computed in the partner's months
 * (`creditPositionOf`): a purchase block in force (a blocked month-start check not released by the partner, or this
 * month's charges or the planned amount above the purchase-blocked level) refuses; else the credit status from the
 * month-to-date charges and the planned amount applies, the partner's unexpired approvals read when it needs them;
 * `decidePurchaseChange` decides. A refusal is answered `{ accept: false, reason }` and the partner is told
 * (`purchaseChangeRejected`, once per operation); the notice is best effort and time-boxed: the marketplace needs the
 * answer within 10 seconds (reference/marketplace-api.md §2.1), and a failed notice must not turn a refusal into the
 * auto-acceptance that a late answer is.
 *
 * Reads for a price-raising change: credit link, budget and partner, D slot queries (the month to date and the six
 * closed months), approvals (at approval required).
 * @throws Error from `decide` when a store or the ledger cannot be read: the webhook answers 500 and is redelivered.
 */
export function creditLevelChangePolicy(deps: CreditLevelPolicyDeps): CreditLevelPolicy {
  return {
    decide: async (request) => {
      const { subscription, change, now } = request;
      const link = await deps.partners.getCreditLink(subscription.id);
      if (!link) return ACCEPT;
      const planId = change.kind === 'plan' ? change.planId : subscription.planId;
      const quantity = change.kind === 'quantity' ? change.quantity : subscription.quantity;
      const prices = pricesOf(deps.catalog, subscription, link, planId, quantity);
      if (prices && prices.newPrice.compare(prices.currentPrice) <= 0) return ACCEPT;

      const position = await creditPositionOf(deps, subscription, link, now);
      const status = position.status;
      const approvals =
        status === 'approvalRequired' ? await deps.partners.listApprovals(subscription.id, { activeAt: now }) : [];
      // Prices that cannot be compared (a plan not priced in the levels' currency) count as raising: the partner's
      // credit control must not be bypassed by a gap in the catalog.
      const currency = link.levels.warning.currency;
      const currentPrice = prices?.currentPrice ?? Money.zero(currency);
      const newPrice = prices?.newPrice ?? Money.fromMinorUnits(1n, currency);
      const decision = decidePurchaseChange({
        status,
        currentPrice,
        newPrice,
        change: { subscriptionId: subscription.id, planId, ...(quantity === undefined ? {} : { quantity }) },
        approvals,
        now,
        ...(position.block ? { block: position.block } : {}),
      });
      if (decision.decision === 'accept') return ACCEPT;
      // The publisher may lift what the partner could have approved, never a purchase block; it is no refusal, so the
      // partner gets no refusal notice (the caller records the override in the audit trail).
      if (decision.reason === 'approvalRequired' && request.publisherOverride) {
        return { accept: true, overridden: decision.message };
      }

      await notifyPartner(deps, position.partner, textContext(deps.catalog, subscription), {
        link,
        operationId: request.operationId ?? fallbackPeriodKey(request),
        status: decision.reason,
        currentPlanId: subscription.planId,
        change: { subscriptionId: subscription.id, planId, ...(quantity === undefined ? {} : { quantity }) },
        currentPrice: currentPrice.roundToMinorUnit(),
        newPrice: newPrice.roundToMinorUnit(),
      });
      return { accept: false, reason: decision.message };
    },
  };
}

/**
 * The purchase block of a subscription now (credit.ts `purchaseBlockOf`: a blocked month-start check the partner has
 * not released, or this month's charges or the planned amount above the purchase-blocked level), or undefined: what
 * the entitlement API reports as `purchaseBlocked` with its reason and since when. Undefined for a subscription
 * without a credit link or one that is not stored.
 * @throws Error when a store or the ledger cannot be read.
 */
export async function currentPurchaseBlock(
  deps: CreditPositionDeps & {
    readonly subscriptions: Pick<SubscriptionStore, 'get'>;
    readonly partners: Pick<PartnerStore, 'getCreditLink' | 'getPartner'>;
    readonly clock: { now(): Date };
  },
  subscriptionId: string,
): Promise<PurchaseBlock | undefined> {
  const [subscription, link] = await Promise.all([
    deps.subscriptions.get(subscriptionId),
    deps.partners.getCreditLink(subscriptionId),
  ]);
  if (!subscription || !link) return undefined;
  return (await creditPositionOf(deps, subscription, link, deps.clock.now())).block;
}

/**
 * `currentPurchaseBlock` as the entitlement's `PurchaseBlockCheck` port (billing states the port, partners implement
 * it, so billing never depends on partners). The subscription the entitlement already read is handed over, so it is
 * not read a second time.
 */
export function creditLevelPurchaseBlocks(
  deps: Omit<Parameters<typeof currentPurchaseBlock>[0], 'subscriptions'>,
): PurchaseBlockCheck {
  return {
    purchaseBlockOf: (subscription) =>
      currentPurchaseBlock({ ...deps, subscriptions: { get: async () => subscription } }, subscription.id),
  };
}

/** Monthly flat prices before and after, or undefined when they cannot be compared in the levels' currency. */
function pricesOf(
  catalog: Catalog,
  subscription: Subscription,
  link: CreditLink,
  planId: string,
  quantity: number | undefined,
): { readonly currentPrice: Money; readonly newPrice: Money } | undefined {
  const customer = { subscriptionId: subscription.id, tenantId: subscription.beneficiary.tenantId };
  const currency = link.levels.warning.currency;
  const termUnit = subscription.term?.termUnit;
  try {
    return {
      currentPrice: monthlyEquivalentPrice(
        findPlan(catalog, subscription.offerId, subscription.planId),
        termUnit,
        subscription.quantity,
        customer,
        currency,
      ),
      newPrice: monthlyEquivalentPrice(
        findPlan(catalog, subscription.offerId, planId),
        termUnit,
        quantity,
        customer,
        currency,
      ),
    };
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

function fallbackPeriodKey(request: CreditChangeRequest): string {
  const what = request.change.kind === 'plan' ? `plan:${request.change.planId}` : `quantity:${request.change.quantity}`;
  return `${what}@${request.now.toISOString().slice(0, 10)}`;
}

async function notifyPartner(
  deps: CreditLevelPolicyDeps,
  partner: Partner | undefined,
  context: AlertTextContext,
  alert: Parameters<typeof purchaseChangeRejectedAlert>[0],
): Promise<void> {
  const input = alert;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const notice = (async () => {
    const candidate = purchaseChangeRejectedAlert(alert);
    await deliverAlert(deps, { candidate, locale: partner?.locale ?? 'en', context });
  })().catch((error: unknown) => {
    deps.logger?.warn('Could not tell the partner about a refused change; the refusal stands', {
      subscriptionId: input.link.subscriptionId,
      partnerId: input.link.partnerId,
      error,
    });
  });
  await Promise.race([
    notice,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deps.noticeBudgetMs ?? DEFAULT_NOTICE_BUDGET_MS);
    }),
  ]);
  clearTimeout(timer);
}
