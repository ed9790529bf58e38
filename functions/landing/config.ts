import * as z from 'zod';
import {
  SESSION_SETTINGS,
  type SessionSecretSource,
  sessionSecretSource,
} from '#shared/adapters/entra/sign-in-config.ts';
import {
  MARKETPLACE_SETTINGS,
  type MarketplaceConfig,
  marketplaceConfig,
} from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  LIFECYCLE_TOPIC_SETTINGS,
  TABLE_SETTINGS,
} from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the landing page reads: it resolves and activates purchases, and publishes their lifecycle; the
 * customer is signed in (the session cookie the portal's sign-in sets) before anything is shown.
 */
export const LANDING_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...LIFECYCLE_TOPIC_SETTINGS,
  ...CATALOG_SETTINGS,
  ...MARKETPLACE_SETTINGS,
  ...SESSION_SETTINGS,
});

export interface LandingConfig {
  readonly tableName: string;
  readonly lifecycleTopicArn: string;
  readonly catalog: CatalogSource;
  readonly marketplace: MarketplaceConfig;
  readonly sessionSecret: SessionSecretSource;
  /** `PUBLIC_BASE_URL`: the origin browsers use when the API has a custom domain (CSRF origin check). */
  readonly publicOrigin?: string;
}

/**
 * The landing page's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadLandingConfig(env: Env = runtimeEnv()): LandingConfig {
  const values = loadSettings(LANDING_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    catalog: catalogSource(values),
    marketplace: marketplaceConfig(values),
    sessionSecret: sessionSecretSource(values),
    publicOrigin: values[ENV.publicBaseUrl],
  };
}
