import * as z from 'zod';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERT_EVALUATION_SETTINGS,
  type AlertEvaluationConfig,
  alertEvaluationConfig,
} from '#shared/config/settings.ts';

/** Every variable the usage aggregator reads: it applies usage, then evaluates and publishes alerts. */
export const USAGE_AGGREGATOR_SETTINGS = z.object(ALERT_EVALUATION_SETTINGS);

export type UsageAggregatorConfig = AlertEvaluationConfig;

/**
 * The usage aggregator's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageAggregatorConfig(env: Env = runtimeEnv()): UsageAggregatorConfig {
  return alertEvaluationConfig(loadSettings(USAGE_AGGREGATOR_SETTINGS, env));
}
