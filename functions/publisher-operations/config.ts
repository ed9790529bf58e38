import * as z from 'zod';
import {
  PUBLISHER_ADMIN_SETTINGS,
  publisherAdmins,
  SESSION_SETTINGS,
  type SessionSecretSource,
  sessionSecretSource,
} from '#shared/adapters/entra/sign-in-config.ts';
import { loadMarketplaceConfig, type MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERTS_SETTINGS,
  type AlertsSettings,
  alertsSettings,
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  LIFECYCLE_TOPIC_SETTINGS,
  TABLE_SETTINGS,
  USAGE_QUEUE_SETTINGS,
} from '#shared/config/settings.ts';
import type { PublisherAdmins } from '#shared/domain/access.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the function reads at cold start: the usage queue (the health check reads its attributes), the
 * alerts topic (a partner's notice of a change its credit levels refused), the lifecycle topic (a change Microsoft
 * reports Succeeded is applied and published here), the session settings (the portal calls these routes with the
 * session cookie). The marketplace settings (`MARKETPLACE_SETTINGS`) are read later, see `marketplace`.
 */
export const PUBLISHER_OPERATIONS_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...USAGE_QUEUE_SETTINGS,
  ...ALERTS_SETTINGS,
  ...CATALOG_SETTINGS,
  ...LIFECYCLE_TOPIC_SETTINGS,
  ...SESSION_SETTINGS,
  ...PUBLISHER_ADMIN_SETTINGS,
});

export interface PublisherOperationsConfig extends AlertsSettings {
  readonly tableName: string;
  readonly usageQueueUrl: string;
  readonly lifecycleTopicArn: string;
  readonly catalog: CatalogSource;
  /** The session secret the cookie keys are derived from. */
  readonly sessionSecret: SessionSecretSource;
  /** `PUBLIC_BASE_URL`: the origin browsers use when the API has a custom domain (CSRF origin check). */
  readonly publicOrigin?: string;
  /** Who administers the publisher when signed in. */
  readonly publisherAdmins: PublisherAdmins;
  /**
   * The marketplace client's configuration, read on the first request that needs it rather than at cold start, so a
   * mistake in these settings shows in the health report and the operation's answer instead of failing every route.
   * @throws ConfigError naming each missing or invalid marketplace variable.
   */
  readonly marketplace: () => MarketplaceConfig;
  /**
   * Whether the marketplace client is configured at all (`ENTRA_CREDENTIAL_KIND` set, as the stack always does): the
   * health check then reports the Entra credential too.
   */
  readonly marketplaceConfigured: boolean;
}

/**
 * The function's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadPublisherOperationsConfig(env: Env = runtimeEnv()): PublisherOperationsConfig {
  const values = loadSettings(PUBLISHER_OPERATIONS_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    usageQueueUrl: values[ENV.usageQueueUrl],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    ...alertsSettings(values),
    catalog: catalogSource(values),
    sessionSecret: sessionSecretSource(values),
    publicOrigin: values[ENV.publicBaseUrl],
    publisherAdmins: publisherAdmins(values),
    marketplace: () => loadMarketplaceConfig(env),
    marketplaceConfigured: (env[ENV.entraCredentialKind] ?? '') !== '',
  };
}
