import * as z from 'zod';
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
  OPERATIONS_TOPIC_SETTINGS,
  optionalWholeNumber,
  TABLE_SETTINGS,
} from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/** An hour: a customer who bought and is on the way to the landing page is not reported. */
export const DEFAULT_PENDING_PURCHASE_ALERT_MINUTES = 60;
/** 30 days: a larger value is more likely a unit mistake than a wish never to hear of forgotten purchases. */
const MAX_PENDING_PURCHASE_ALERT_MINUTES = 30 * 24 * 60;

/**
 * Every variable the subscription sync reads: List Subscriptions on Microsoft's side, the store and the lifecycle
 * topic on ours.
 */
export const SUBSCRIPTION_SYNC_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...LIFECYCLE_TOPIC_SETTINGS,
  ...OPERATIONS_TOPIC_SETTINGS,
  ...CATALOG_SETTINGS,
  ...MARKETPLACE_SETTINGS,
  [ENV.pendingPurchaseAlertMinutes]: optionalWholeNumber('minutes', 0, MAX_PENDING_PURCHASE_ALERT_MINUTES),
});

export interface SubscriptionSyncConfig {
  readonly tableName: string;
  readonly lifecycleTopicArn: string;
  /** Told at day 28 of a purchase still not activated (`PendingPurchaseExpiring`). */
  readonly operationsTopicArn: string;
  readonly catalog: CatalogSource;
  readonly marketplace: MarketplaceConfig;
  /** Minutes a purchase may stay PendingFulfillmentStart before it is reported as never opened. */
  readonly pendingPurchaseAlertMinutes: number;
}

/**
 * The subscription sync's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadSubscriptionSyncConfig(env: Env = runtimeEnv()): SubscriptionSyncConfig {
  const values = loadSettings(SUBSCRIPTION_SYNC_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    operationsTopicArn: values[ENV.operationsTopicArn],
    catalog: catalogSource(values),
    marketplace: marketplaceConfig(values),
    pendingPurchaseAlertMinutes: values[ENV.pendingPurchaseAlertMinutes] ?? DEFAULT_PENDING_PURCHASE_ALERT_MINUTES,
  };
}
