import { type Principal, requireBudgetAccess } from '#shared/domain/access.ts';
import type { BudgetSettings } from '#shared/domain/alerts/settings.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * The budget of a subscription, for its customer or the publisher.
 * @throws NotFoundError for an unknown subscription, or one without a budget.
 * @throws ForbiddenError for a partner key, or a customer key of another customer.
 */
export async function getBudget(
  deps: { readonly subscriptions: Pick<SubscriptionStore, 'get'>; readonly budgets: Pick<BudgetStore, 'getBudget'> },
  caller: Principal,
  subscriptionId: string,
): Promise<BudgetSettings> {
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  requireBudgetAccess(caller, subscription, 'read');
  const budget = await deps.budgets.getBudget(subscriptionId);
  if (!budget) throw new NotFoundError(`Subscription ${subscriptionId} has no budget yet; PUT one first.`);
  return budget;
}
