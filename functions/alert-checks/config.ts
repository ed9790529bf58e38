import * as z from 'zod';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERT_EVALUATION_SETTINGS,
  type AlertEvaluationConfig,
  alertEvaluationConfig,
} from '#shared/config/settings.ts';

/** Every variable the hourly alert checks read: those of alert evaluation, nothing more. */
export const ALERT_CHECKS_SETTINGS = z.object(ALERT_EVALUATION_SETTINGS);

export type AlertChecksConfig = AlertEvaluationConfig;

/**
 * The alert checks' configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadAlertChecksConfig(env: Env = runtimeEnv()): AlertChecksConfig {
  return alertEvaluationConfig(loadSettings(ALERT_CHECKS_SETTINGS, env));
}
