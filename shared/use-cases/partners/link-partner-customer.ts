import type { Principal } from '#shared/domain/access.ts';
import {
  type CreditLevelsInput,
  type CreditLink,
  customerIdOf,
  parseCreditLevels,
} from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { requirePlanPricedIn } from '#shared/domain/plan-pricing.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { readBudgetTolerantly } from '#shared/use-cases/alerts/read-budget-tolerantly.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { VersionedSubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface LinkPartnerCustomerDeps {
  readonly subscriptions: Pick<VersionedSubscriptionStore, 'read' | 'save'>;
  readonly partners: Pick<PartnerStore, 'getPartner' | 'getCreditLink' | 'putCreditLink'>;
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
}

/** Writes of the subscription's partner that meet a concurrent change (a webhook) re-read and try again this often. */
const SAVE_ATTEMPTS = 4;

/**
 * Links a customer's subscription to a reseller partner with the three credit levels (警告 / 要承認 / 購入不可), and
 * makes the partner the subscription's partner so the partner's API keys reach it.
 *
 * Who: the publisher links any subscription to any partner; a partner may set the levels of a subscription that is
 * already its own (linked by the publisher, or by a reseller purchase: `linkResellerPurchase`), never take over
 * another's.
 *
 * Steps: read the partner and the subscription; check the caller; validate the levels; check their currency is one
 * the plan is priced in and the budget's; store the link (the customer is the subscription's beneficiary tenant, as
 * for the budget, so both name the same customer); set `partnerId` on the subscription with a versioned write (the
 * fulfillment webhook may be writing it at the same moment; a lost update would undo the link or the change).
 *
 * The month-start check (credit.ts `monthStartCheck`): a new link, or a new purchase-blocked level, is stamped with
 * the clock's instant, so the next evaluation checks the current status at once (and tells the partner so, as the
 * current status, not as a month start); setting the same partner and purchase-blocked level again keeps the stamp
 * and the partner's release, so a repeated request changes nothing.
 *
 * @throws ForbiddenError for customer keys and for a partner key on a subscription that is not its own.
 * @throws NotFoundError for an unknown partner or subscription.
 * @throws ValidationError naming the field.
 * @throws ConflictError when the subscription kept changing under every attempt (retry the request).
 */
export async function linkPartnerCustomer(
  deps: LinkPartnerCustomerDeps,
  caller: Principal,
  input: { readonly partnerId: string; readonly subscriptionId: string; readonly levels: CreditLevelsInput },
): Promise<CreditLink> {
  if (caller.role === 'customer') {
    throw new ForbiddenError('A customer key may not set credit levels; the publisher or the reseller partner does.');
  }
  if (caller.role === 'partner' && caller.partnerId !== input.partnerId) {
    throw new ForbiddenError(`This partner key has no access to partner ${input.partnerId}.`);
  }
  const [partner, stored] = await Promise.all([
    deps.partners.getPartner(input.partnerId),
    deps.subscriptions.read(input.subscriptionId),
  ]);
  if (!partner) throw new NotFoundError(`No partner with id ${input.partnerId}; PUT /v1/partners/{partnerId} first.`);
  if (!stored) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  if (caller.role === 'partner' && stored.subscription.partnerId !== input.partnerId) {
    throw new ForbiddenError(
      `Subscription ${input.subscriptionId} is not a customer of partner ${input.partnerId}; the publisher links it.`,
    );
  }
  const levels = parseCreditLevels(input.levels);
  const currency = levels.warning.currency;
  requirePlanPricedIn(deps.catalog, stored.subscription, currency, 'warning.currency');
  const { budget } = await readBudgetTolerantly(deps.budgets, input.subscriptionId);
  if (budget && budget.plannedMonthlyAmount.currency !== currency) {
    throw new ValidationError(
      `the credit levels must be in ${budget.plannedMonthlyAmount.currency}, the currency of the customer's budget`,
      'warning.currency',
    );
  }
  const previous = await deps.partners.getCreditLink(input.subscriptionId);
  const sameCheck =
    previous?.partnerId === partner.id && previous.levels.purchaseBlocked.equals(levels.purchaseBlocked);
  const link: CreditLink = {
    partnerId: partner.id,
    customerId: customerIdOf(stored.subscription),
    subscriptionId: stored.subscription.id,
    levels,
    ...(sameCheck
      ? {
          ...(previous.purchaseBlockedLevelSetAt
            ? { purchaseBlockedLevelSetAt: previous.purchaseBlockedLevelSetAt }
            : {}),
          ...(previous.purchaseBlockRelease ? { purchaseBlockRelease: previous.purchaseBlockRelease } : {}),
        }
      : { purchaseBlockedLevelSetAt: deps.clock.now() }),
  };
  await deps.partners.putCreditLink(link);
  await setPartnerOf(deps.subscriptions, stored, partner.id);
  return link;
}

/**
 * Sets the subscription's `partnerId` with optimistic concurrency, re-reading after a conflict.
 * @throws ConflictError after `SAVE_ATTEMPTS` conflicts. @throws NotFoundError when the subscription disappeared.
 */
export async function setPartnerOf(
  subscriptions: Pick<VersionedSubscriptionStore, 'read' | 'save'>,
  first: { readonly subscription: Subscription; readonly version: number },
  partnerId: string,
): Promise<void> {
  let current: { readonly subscription: Subscription; readonly version: number } | undefined = first;
  for (let attempt = 1; ; attempt++) {
    if (!current) throw new NotFoundError(`Subscription ${first.subscription.id} no longer exists.`);
    if (current.subscription.partnerId === partnerId) return;
    try {
      await subscriptions.save({ ...current.subscription, partnerId }, current.version);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= SAVE_ATTEMPTS) throw error;
      current = await subscriptions.read(first.subscription.id);
    }
  }
}
