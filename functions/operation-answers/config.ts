import * as z from 'zod';
import {
  MARKETPLACE_SETTINGS,
  type MarketplaceConfig,
  marketplaceConfig,
} from '#shared/adapters/marketplace/marketplace-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { LIFECYCLE_TOPIC_SETTINGS, TABLE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the operation-answers consumer reads: the table (operation records, subscriptions), the lifecycle
 * topic (the event of an applied change) and the marketplace client (PATCH and Get Operation). It reads its queue
 * through its event source, so it needs no queue URL.
 */
export const OPERATION_ANSWERS_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...LIFECYCLE_TOPIC_SETTINGS,
  ...MARKETPLACE_SETTINGS,
});

export interface OperationAnswersConfig {
  readonly tableName: string;
  readonly lifecycleTopicArn: string;
  readonly marketplace: MarketplaceConfig;
}

/**
 * The consumer's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadOperationAnswersConfig(env: Env = runtimeEnv()): OperationAnswersConfig {
  const values = loadSettings(OPERATION_ANSWERS_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    marketplace: marketplaceConfig(values),
  };
}
