import type { BudgetSettings, CreditLink } from '#shared/domain/alerts/settings.ts';
import type { StoredValueInvalidError } from '#shared/domain/errors.ts';

/** What decides whether a subscription has anyone to alert: its customer budget and its reseller credit link. */
export interface AlertSettings {
  readonly budget?: BudgetSettings;
  /** Set instead of `budget` when the stored budget no longer validates (the evaluation skips it with a warning). */
  readonly budgetProblem?: StoredValueInvalidError;
  readonly creditLink?: CreditLink;
}

/**
 * Reads the alert settings of many subscriptions at once. The usage aggregator evaluates every subscription whose
 * usage it committed, and most have no settings at all: reading them in one request per batch instead of two per
 * subscription is what keeps the alert evaluation off the counting path's costs.
 */
export interface AlertSettingsReader {
  /** Every requested subscription is in the answer (with empty settings when it has none). */
  readMany(subscriptionIds: readonly string[]): Promise<Map<string, AlertSettings>>;
}
