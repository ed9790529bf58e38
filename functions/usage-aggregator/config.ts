import { z } from 'zod';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERTS_SETTINGS,
  type AlertsSettings,
  alertsSettings,
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  TABLE_SETTINGS,
} from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/** Every variable the usage aggregator reads: it applies usage, then evaluates and publishes alerts. */
export const USAGE_AGGREGATOR_SETTINGS = z.object({ ...TABLE_SETTINGS, ...ALERTS_SETTINGS, ...CATALOG_SETTINGS });

export interface UsageAggregatorConfig extends AlertsSettings {
  readonly tableName: string;
  readonly catalog: CatalogSource;
}

/**
 * The usage aggregator's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageAggregatorConfig(env: Env = runtimeEnv()): UsageAggregatorConfig {
  const values = loadSettings(USAGE_AGGREGATOR_SETTINGS, env);
  return { tableName: values[ENV.tableName], ...alertsSettings(values), catalog: catalogSource(values) };
}
