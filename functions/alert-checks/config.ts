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

/** Every variable the hourly alert checks read. */
export const ALERT_CHECKS_SETTINGS = z.object({ ...TABLE_SETTINGS, ...ALERTS_SETTINGS, ...CATALOG_SETTINGS });

export interface AlertChecksConfig extends AlertsSettings {
  readonly tableName: string;
  readonly catalog: CatalogSource;
}

/**
 * The alert checks' configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadAlertChecksConfig(env: Env = runtimeEnv()): AlertChecksConfig {
  const values = loadSettings(ALERT_CHECKS_SETTINGS, env);
  return { tableName: values[ENV.tableName], ...alertsSettings(values), catalog: catalogSource(values) };
}
