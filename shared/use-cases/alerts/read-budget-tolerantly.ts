import type { BudgetSettings } from '#shared/domain/alerts/settings.ts';
import { StoredValueInvalidError } from '#shared/domain/errors.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';

/** A subscription's budget as readers that only use it in passing need it. */
export interface TolerantBudgetRead {
  /** The budget; absent when none is set or the stored one no longer validates. */
  readonly budget?: BudgetSettings;
  /** Why the stored budget is ignored (it no longer validates), for a log line or an answer's note. */
  readonly problem?: StoredValueInvalidError;
}

/**
 * Reads a budget for a use case that can go on without it (usage view, credit position, partner linking, alert
 * evaluation, replacing the budget): a stored budget that no longer validates is treated as absent and reported in
 * `problem`, so that one bad value does not make the subscription unreadable or an alert evaluation retry forever.
 * `GET …/budget` reads it strictly instead, so its owner learns to replace it.
 * @throws Error when the store cannot be read.
 */
export async function readBudgetTolerantly(
  budgets: Pick<BudgetStore, 'getBudget'>,
  subscriptionId: string,
): Promise<TolerantBudgetRead> {
  try {
    const budget = await budgets.getBudget(subscriptionId);
    return budget ? { budget } : {};
  } catch (error) {
    if (error instanceof StoredValueInvalidError) return { problem: error };
    throw error;
  }
}
