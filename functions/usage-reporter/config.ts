import {
  USAGE_REPORTER_SETTINGS,
  type UsageReporterConfig,
  usageReporterConfig,
} from '#shared/adapters/compose/usage-reporter-settings.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';

export { USAGE_REPORTER_SETTINGS, type UsageReporterConfig };

/**
 * The usage reporter's configuration, read once at cold start (settings in
 * shared/adapters/compose/usage-reporter-settings.ts, shared with the webhook's cancellation flush).
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageReporterConfig(env: Env = runtimeEnv()): UsageReporterConfig {
  return usageReporterConfig(loadSettings(USAGE_REPORTER_SETTINGS, env));
}
