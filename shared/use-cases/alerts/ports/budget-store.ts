import type { BudgetSettings } from '#shared/domain/alerts/settings.ts';

/** Customer budgets (planned monthly amount, thresholds, time zone, locale, contacts), one per subscription. */
export interface BudgetStore {
  /** The subscription's budget, or `undefined` when the customer has not set one. */
  getBudget(subscriptionId: string): Promise<BudgetSettings | undefined>;
  /** Creates or replaces the subscription's budget. */
  putBudget(budget: BudgetSettings): Promise<void>;
  /** Removes the subscription's budget; nothing happens when there is none. */
  deleteBudget(subscriptionId: string): Promise<void>;
  /** Every budget of a customer's subscriptions, by subscription id. */
  listBudgetsOfCustomer(customerId: string): Promise<BudgetSettings[]>;
}
