import * as z from 'zod';
import { loadMarketplaceConfig, type MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  optionalWholeNumber,
  TABLE_SETTINGS,
  USAGE_QUEUE_SETTINGS,
} from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Default oldest usage event the ingest accepts: 7 days. Microsoft's Metering API takes usage only within 24 h of
 * its hour, but refusing older usage would lose the publisher's revenue (a backlog replayed after an outage of the
 * publisher's app). Accepted late usage keeps its true hour in the ledger (daily and monthly totals, included
 * quantities of the right term) and the reporter folds it into the next reportable hour, as Microsoft's metering FAQ
 * allows (marketplace-api.md §4.3 "Lateness", §6 item 9): nothing is lost, it is only billed late. The bound still
 * refuses clock and time-zone mistakes and stale replays, and keeps totals older than a week final for alerts.
 * Set 22 to refuse anything that could no longer be reported within Microsoft's 24 h window.
 */
export const DEFAULT_USAGE_MAX_LATENESS_HOURS = 168;
/**
 * Upper bound of the setting (31 days): usage over a month old would be billed as if new, and a larger value is more
 * likely a unit mistake (minutes or seconds typed as hours), which should stop the function at start.
 */
export const MAX_USAGE_MAX_LATENESS_HOURS = 744;

/**
 * Every variable the usage ingest reads at cold start. The marketplace settings (`MARKETPLACE_SETTINGS`) are read
 * later, see `UsageIngestConfig.marketplace`.
 */
export const USAGE_INGEST_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...USAGE_QUEUE_SETTINGS,
  ...CATALOG_SETTINGS,
  [ENV.usageMaxLatenessHours]: optionalWholeNumber('hours', 1, MAX_USAGE_MAX_LATENESS_HOURS),
});

export interface UsageIngestConfig {
  readonly tableName: string;
  readonly usageQueueUrl: string;
  readonly catalog: CatalogSource;
  /** Oldest usage event accepted, in hours (`USAGE_MAX_LATENESS_HOURS`, default 168). */
  readonly maxLatenessHours: number;
  /**
   * The marketplace client's configuration, read when a request first names a subscription the store does not know
   * (it is then checked with Get Subscription): usage of known subscriptions, nearly all of it, never waits for it,
   * and a mistake in these settings must not stop the ingest of that usage.
   * @throws ConfigError naming each missing or invalid marketplace variable.
   */
  readonly marketplace: () => MarketplaceConfig;
}

/**
 * The usage ingest's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageIngestConfig(env: Env = runtimeEnv()): UsageIngestConfig {
  const values = loadSettings(USAGE_INGEST_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    usageQueueUrl: values[ENV.usageQueueUrl],
    catalog: catalogSource(values),
    maxLatenessHours: values[ENV.usageMaxLatenessHours] ?? DEFAULT_USAGE_MAX_LATENESS_HOURS,
    marketplace: () => loadMarketplaceConfig(env),
  };
}
