import { z } from 'zod';
import { isValidTimeZone } from '#shared/domain/alerts/calendar.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Default oldest usage event the ingest accepts: 7 days. Microsoft's Metering API takes usage only within 24 h of
 * its hour, but refusing older usage would lose the publisher's revenue (a backlog replayed after an outage of the
 * publisher's app). Accepted late usage keeps its true hour in the ledger (daily and monthly totals, included
 * quantities of the right term) and the reporter folds it into the next reportable hour, as Microsoft's metering FAQ
 * allows (marketplace-api.md §4.3 "Lateness", §6 item 9): nothing is lost, it is only billed late. The bound still
 * refuses clock and time-zone mistakes and stale replays, and keeps totals older than a week final for alerts.
 * Set 22 to refuse anything that could no longer be reported within Microsoft's 24 h window.
 */
export const DEFAULT_USAGE_MAX_LATENESS_HOURS = 168;
/**
 * Upper bound of the setting (31 days): usage over a month old would be billed as if new, and a larger value is more
 * likely a unit mistake (minutes or seconds typed as hours), which should stop the function at start.
 */
export const MAX_USAGE_MAX_LATENESS_HOURS = 744;

/**
 * Configuration of every function, read once at cold start. Infrastructure values have no defaults on purpose:
 * a missing table name must stop the function at start with a clear message, not write to a wrong table.
 */
const configSchema = z.object({
  [ENV.tableName]: z.string().min(1),
  // Each function gets only the addresses it may use (infra/functions.ts `uses`); `requireSetting` says which
  // variable is missing when code needs one its function was not given.
  [ENV.usageQueueUrl]: z.string().min(1).optional(),
  [ENV.lifecycleTopicArn]: z.string().min(1).optional(),
  [ENV.alertsTopicArn]: z.string().min(1).optional(),
  [ENV.alertsOutboxQueueUrl]: z.string().min(1).optional(),
  /** The catalog compiled into the bundle by the CDK app (AWS), or a file path (local mode). One must be set. */
  CATALOG_JSON: z.string().min(1).optional(),
  [ENV.catalogPath]: z.string().min(1).optional(),
  // Behaviour settings (not addresses) may have defaults; each default is a named constant with its reason.
  [ENV.usageMaxLatenessHours]: z.coerce.number().int().min(1).max(MAX_USAGE_MAX_LATENESS_HOURS).optional(),
  // Unset means UTC (calendar.ts DEFAULT_TIME_ZONE): the months every partner without its own time zone follows.
  [ENV.publisherTimeZone]: z
    .string()
    .min(1)
    .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Tokyo or UTC')
    .optional(),
});

export interface Config {
  readonly tableName: string;
  readonly usageQueueUrl?: string;
  readonly lifecycleTopicArn?: string;
  readonly alertsTopicArn?: string;
  /** Local mode only: the alert outbox queue (absent in AWS, where alerts go out by e-mail and SMS). */
  readonly alertsOutboxQueueUrl?: string;
  readonly catalog: { readonly json: string } | { readonly path: string };
  /** Oldest usage event the ingest accepts, in hours; unset means `DEFAULT_USAGE_MAX_LATENESS_HOURS`. */
  readonly usageMaxLatenessHours?: number;
  /** The publisher's time zone: the months of reseller partners without their own; unset means UTC. */
  readonly publisherTimeZone?: string;
}

/** Raised when the environment lacks a value; the message names every missing or invalid variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a typed `Config`.
 * @throws ConfigError naming each missing or invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = runtimeEnv()): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  const catalogJson = values.CATALOG_JSON;
  const catalogPath = values[ENV.catalogPath];
  if (!catalogJson && !catalogPath) {
    throw new ConfigError(`Invalid configuration: set CATALOG_JSON or ${ENV.catalogPath} to the plan catalog`);
  }
  return {
    tableName: values[ENV.tableName],
    usageQueueUrl: values[ENV.usageQueueUrl],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    alertsTopicArn: values[ENV.alertsTopicArn],
    ...(values[ENV.alertsOutboxQueueUrl] === undefined
      ? {}
      : { alertsOutboxQueueUrl: values[ENV.alertsOutboxQueueUrl] }),
    catalog: catalogJson ? { json: catalogJson } : { path: catalogPath as string },
    ...(values[ENV.usageMaxLatenessHours] === undefined
      ? {}
      : { usageMaxLatenessHours: values[ENV.usageMaxLatenessHours] }),
    ...(values[ENV.publisherTimeZone] === undefined ? {} : { publisherTimeZone: values[ENV.publisherTimeZone] }),
  };
}

/**
 * `process.env` plus the values the bundler compiles in: esbuild's `define` replaces only the literal expression
 * `process.env.CATALOG_JSON`, so it has to be spelled out here rather than read through the env object.
 */
export function runtimeEnv(): Record<string, string | undefined> {
  return { ...process.env, CATALOG_JSON: process.env.CATALOG_JSON };
}

/**
 * A setting this function needs but that is optional for functions in general.
 * @throws ConfigError naming the environment variable, so a wiring mistake is obvious at cold start.
 */
export function requireSetting<T>(value: T | undefined, envVar: string): T {
  if (value === undefined) {
    throw new ConfigError(
      `Invalid configuration: ${envVar} is not set for this function (see infra/functions.ts uses)`,
    );
  }
  return value;
}
