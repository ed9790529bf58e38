import type * as z from 'zod';
import {
  USAGE_REPORTER_SETTINGS,
  type UsageReporterConfig,
  usageReporterConfig,
} from '#shared/adapters/compose/usage-reporter-settings.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { USAGE_REPORT_QUEUE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The reporter worker's variables: the reporter's own (shared with the webhook's cancellation flush) and the
 * usage-report queue it queues the continuation of its shard on.
 */
export const USAGE_REPORTER_WORKER_SETTINGS = USAGE_REPORTER_SETTINGS.extend(USAGE_REPORT_QUEUE_SETTINGS);

export interface UsageReporterWorkerConfig extends UsageReporterConfig {
  readonly usageReportQueueUrl: string;
}

export { USAGE_REPORTER_SETTINGS, type UsageReporterConfig };

/**
 * The usage reporter's configuration, read once at cold start (settings in
 * shared/adapters/compose/usage-reporter-settings.ts, shared with the webhook's cancellation flush).
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageReporterConfig(env: Env = runtimeEnv()): UsageReporterWorkerConfig {
  const values: z.output<typeof USAGE_REPORTER_WORKER_SETTINGS> = loadSettings(USAGE_REPORTER_WORKER_SETTINGS, env);
  return { ...usageReporterConfig(values), usageReportQueueUrl: values[ENV.usageReportQueueUrl] };
}
