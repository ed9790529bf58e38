import { type CreditStatus, creditStatus, decidePurchaseChange } from '#shared/domain/alerts/credit.ts';
import { alertTimeZone, purchaseChangeRejectedAlert } from '#shared/domain/alerts/rules.ts';
import type { BudgetSettings, CreditLink } from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { ACCEPT, type ChangeDecision } from '#shared/domain/change-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import { monthlyEquivalentPrice } from '#shared/domain/plan-pricing.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { type DeliverAlertDeps, deliverAlert } from '#shared/use-cases/alerts/deliver-alert.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { computeSubscriptionCharges } from '#shared/use-cases/billing/compute-subscription-charges.ts';
import type { PurchaseBlockCheck } from '#shared/use-cases/billing/get-entitlement.ts';
import type { ChangePolicy, ChangeRequest } from '#shared/use-cases/fulfillment/ports/change-policy.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface CreditLevelPolicyDeps extends DeliverAlertDeps {
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'getPartner' | 'listApprovals'>;
  readonly ledger: Pick<UsageLedger, 'readSlots'>;
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
export interface CreditChangeRequest extends ChangeRequest {
  readonly operationId?: string;
}

export interface CreditLevelPolicy extends ChangePolicy {
  decide(request: CreditChangeRequest): Promise<ChangeDecision>;
}

const DEFAULT_NOTICE_BUDGET_MS = 2_000;

/**
 * The reseller's credit levels as a fulfillment `ChangePolicy` (DESIGN "Alerts", seeds/000_*: at approval required,
 * plan or quantity increases need the partner's approval; at purchase blocked, they are refused), to be combined with
 * the catalog's: `allPolicies(catalogChangePolicy(catalog), creditLevelChangePolicy(deps))`.
 *
 * `decide`: a subscription without a credit link is accepted (one read). A change that does not raise the monthly
 * flat price (plan-history.ts `monthlyEquivalentPrice`, in the credit levels' currency, with the customer's private
 * prices) is accepted. Otherwise the customer's credit status is computed from its month-to-date charges and planned
 * amount (credit.ts `creditStatus`), the partner's unexpired approvals are read when it needs them, and
 * `decidePurchaseChange` decides. A refusal is answered `{ accept: false, reason }` and the partner is told
 * (`purchaseChangeRejected`, once per operation); the notice is best effort and time-boxed: the marketplace needs the
 * answer within 10 seconds (reference/marketplace-api.md §2.1), and a failed notice must not turn a refusal into the
 * auto-acceptance that a late answer is.
 *
 * Reads for a price-raising change: credit link, budget, D slot queries (month to date), approvals (at approval
 * required), partner (on refusal).
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

      const { status } = await creditStatusWith(deps, subscription, link, now);
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
      });
      if (decision.decision === 'accept') return ACCEPT;

      await notifyPartner(deps, {
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
 * Whether new purchases of the subscription are blocked by its reseller's credit level (purchase blocked exceeded
 * by the month-to-date charges or the planned amount): what the entitlement API reports as `purchaseBlocked`.
 * False for a subscription without a credit link or one that is not stored.
 * @throws Error when a store or the ledger cannot be read.
 */
export async function isPurchaseBlocked(
  deps: Omit<CreditLevelPolicyDeps, 'alertLog' | 'publisher'> & {
    readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  },
  subscriptionId: string,
): Promise<boolean> {
  const [subscription, link] = await Promise.all([
    deps.subscriptions.get(subscriptionId),
    deps.partners.getCreditLink(subscriptionId),
  ]);
  if (!subscription || !link) return false;
  return (await creditStatusWith(deps, subscription, link, deps.clock.now())).status === 'purchaseBlocked';
}

/**
 * `isPurchaseBlocked` as the entitlement's `PurchaseBlockCheck` port. The subscription the entitlement already read is
 * handed over, so it is not read a second time.
 */
export function creditLevelPurchaseBlocks(
  deps: Omit<Parameters<typeof isPurchaseBlocked>[0], 'subscriptions'>,
): PurchaseBlockCheck {
  return {
    isPurchaseBlocked: (subscription) =>
      isPurchaseBlocked({ ...deps, subscriptions: { get: async () => subscription } }, subscription.id),
  };
}

/**
 * The customer's credit status now: month-to-date charges (in the budget's time zone, the levels' currency) and the
 * planned amount against the levels.
 */
async function creditStatusWith(
  deps: Pick<CreditLevelPolicyDeps, 'budgets' | 'ledger' | 'catalog'>,
  subscription: Subscription,
  link: CreditLink,
  now: Date,
): Promise<{ readonly status: CreditStatus; readonly budget: BudgetSettings | undefined }> {
  const budget = await deps.budgets.getBudget(subscription.id);
  const currency = link.levels.warning.currency;
  const charges = await computeSubscriptionCharges(deps, {
    subscription,
    timeZone: alertTimeZone(budget),
    currency,
    now,
    days: 0,
    closedMonths: 0,
  });
  const planned = budget && budget.plannedMonthlyAmount.currency === currency ? budget.plannedMonthlyAmount : undefined;
  return { status: creditStatus(link.levels, charges.monthToDate, planned), budget };
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
  alert: Parameters<typeof purchaseChangeRejectedAlert>[0],
): Promise<void> {
  const input = alert;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const notice = (async () => {
    const partner = await deps.partners.getPartner(input.link.partnerId);
    await deliverAlert(deps, { candidate: purchaseChangeRejectedAlert(alert), locale: partner?.locale ?? 'en' });
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
