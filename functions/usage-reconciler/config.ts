import * as z from 'zod';
import {
  MARKETPLACE_SETTINGS,
  type MarketplaceConfig,
  marketplaceConfig,
} from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { TABLE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/** Every variable the daily reconciliation reads: the ledger's table and Microsoft's usage retrieval. */
export const USAGE_RECONCILER_SETTINGS = z.object({ ...TABLE_SETTINGS, ...MARKETPLACE_SETTINGS });

export interface UsageReconcilerConfig {
  readonly tableName: string;
  readonly marketplace: MarketplaceConfig;
}

/**
 * The reconciliation's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageReconcilerConfig(env: Env = runtimeEnv()): UsageReconcilerConfig {
  const values = loadSettings(USAGE_RECONCILER_SETTINGS, env);
  return { tableName: values[ENV.tableName], marketplace: marketplaceConfig(values) };
}
