import { type Principal, requireBudgetAccess } from '#shared/domain/access.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { readContactStateViews } from '#shared/use-cases/alerts/contact-state-views.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import type { ContactStates } from '#shared/use-cases/alerts/ports/contact-states.ts';
import type { BudgetAnswer } from '#shared/use-cases/alerts/save-budget.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * The budget of a subscription, for its customer or the publisher, with the state of each contact (pending
 * confirmation, active, bounced, …).
 * @throws NotFoundError for an unknown subscription, or one without a budget.
 * @throws ForbiddenError for a partner key, or a customer key of another customer.
 */
export async function getBudget(
  deps: {
    readonly subscriptions: Pick<SubscriptionStore, 'get'>;
    readonly budgets: Pick<BudgetStore, 'getBudget'>;
    readonly contactStates: ContactStates;
  },
  caller: Principal,
  subscriptionId: string,
): Promise<BudgetAnswer> {
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  requireBudgetAccess(caller, subscription, 'read');
  const budget = await deps.budgets.getBudget(subscriptionId);
  if (!budget) throw new NotFoundError(`Subscription ${subscriptionId} has no budget yet; PUT one first.`);
  return { ...budget, contactStates: await readContactStateViews(deps.contactStates, budget.contacts) };
}
