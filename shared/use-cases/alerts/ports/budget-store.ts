import type { BudgetSettings } from '#shared/domain/alerts/settings.ts';

/** Customer budgets (planned monthly amount, thresholds, time zone, locale, contacts), one per subscription. */
export interface BudgetStore {
  /**
   * The subscription's budget, or `undefined` when the customer has not set one.
   * @throws StoredValueInvalidError when the stored budget no longer validates (see `readBudgetTolerantly`).
   */
  getBudget(subscriptionId: string): Promise<BudgetSettings | undefined>;
  /** Creates or replaces the subscription's budget. */
  putBudget(budget: BudgetSettings): Promise<void>;
  /** Removes the subscription's budget; nothing happens when there is none. */
  deleteBudget(subscriptionId: string): Promise<void>;
  /** Every valid budget of a customer's subscriptions, by subscription id (a stored one that no longer validates is left out). */
  listBudgetsOfCustomer(customerId: string): Promise<BudgetSettings[]>;
}
