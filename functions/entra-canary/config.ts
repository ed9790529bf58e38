import * as z from 'zod';
import {
  MARKETPLACE_SETTINGS,
  type MarketplaceConfig,
  marketplaceConfig,
} from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { required, TABLE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the canary reads: the marketplace credential, the landing page's URL, and the table (its failures
 * in a row, its schedule's runs).
 */
export const ENTRA_CANARY_SETTINGS = z.object({
  ...MARKETPLACE_SETTINGS,
  ...TABLE_SETTINGS,
  [ENV.landingPageUrl]: required('the landing page URL Partner Center sends buyers to').pipe(
    z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL of the landing page' }),
  ),
});

export interface EntraCanaryConfig {
  readonly marketplace: MarketplaceConfig;
  readonly tableName: string;
  readonly landingPageUrl: string;
}

/**
 * The canary's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadEntraCanaryConfig(env: Env = runtimeEnv()): EntraCanaryConfig {
  const values = loadSettings(ENTRA_CANARY_SETTINGS, env);
  return {
    marketplace: marketplaceConfig(values),
    tableName: values[ENV.tableName],
    landingPageUrl: values[ENV.landingPageUrl],
  };
}
