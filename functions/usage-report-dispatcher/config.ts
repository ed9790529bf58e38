import * as z from 'zod';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  optionalWholeNumber,
  TABLE_SETTINGS,
  USAGE_REPORT_QUEUE_SETTINGS,
  WATCHED_SCHEDULES_SETTINGS,
} from '#shared/config/settings.ts';
import { DEFAULT_REPORT_GRACE_MINUTES, MAX_REPORT_GRACE_MINUTES } from '#shared/domain/reporting/report-schedule.ts';
import type { WatchedSchedule } from '#shared/domain/scheduled-runs.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The dispatcher's variables: the table (index heads, run record, the schedules' runs), the usage-report queue, the
 * grace, and the schedules it watches.
 */
export const USAGE_REPORT_DISPATCHER_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...USAGE_REPORT_QUEUE_SETTINGS,
  ...WATCHED_SCHEDULES_SETTINGS,
  [ENV.usageReportGraceMinutes]: optionalWholeNumber('minutes', 0, MAX_REPORT_GRACE_MINUTES),
});

export interface UsageReportDispatcherConfig {
  readonly tableName: string;
  readonly usageReportQueueUrl: string;
  readonly graceMinutes: number;
  readonly watchedSchedules: readonly WatchedSchedule[];
}

/**
 * The dispatcher's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadUsageReportDispatcherConfig(env: Env = runtimeEnv()): UsageReportDispatcherConfig {
  const values = loadSettings(USAGE_REPORT_DISPATCHER_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    usageReportQueueUrl: values[ENV.usageReportQueueUrl],
    graceMinutes: values[ENV.usageReportGraceMinutes] ?? DEFAULT_REPORT_GRACE_MINUTES,
    watchedSchedules: values[ENV.watchedSchedules],
  };
}
