import { z } from 'zod';
import { ConfigError } from '#shared/config.ts';
import { DEFAULT_REPORT_GRACE_MINUTES } from '#shared/domain/reporting.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Upper bound of the grace (minutes). With the 10-minute schedule an hour is reported at most grace + 10 min after it
 * closes; beyond 50 minutes the reporter would fall a whole hour behind on every run, and a larger value is more likely
 * a unit mistake (seconds typed as minutes), which should stop the function at cold start.
 */
export const MAX_REPORT_GRACE_MINUTES = 50;

const schema = z.object({
  [ENV.usageReportGraceMinutes]: z.coerce
    .number({ error: 'must be a whole number of minutes' })
    .int()
    .min(0)
    .max(MAX_REPORT_GRACE_MINUTES)
    .optional(),
});

/**
 * The usage reporter's behaviour settings (not addresses; those are in `shared/config.ts`), read wherever its
 * dependencies are built (`usage-reporter-dependencies.ts`).
 */
export interface ReporterSettings {
  /** Minutes after an hour closes before it is reported. */
  readonly graceMinutes: number;
}

/**
 * Reads `USAGE_REPORT_GRACE_MINUTES` (default `DEFAULT_REPORT_GRACE_MINUTES`, 10: usage posted in the last second of
 * an hour still has to pass the queue and the aggregator, which takes seconds; 10 minutes also absorbs a queue backlog
 * and clock skew of the publisher's app, and leaves 23 h 40 min of Microsoft's 24 h window).
 * @throws ConfigError for a value that is not a whole number from 0 to 50.
 */
export function loadReporterSettings(env: Record<string, string | undefined> = process.env): ReporterSettings {
  const raw = env[ENV.usageReportGraceMinutes];
  const parsed = schema.safeParse({ [ENV.usageReportGraceMinutes]: raw === '' ? undefined : raw });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return { graceMinutes: parsed.data[ENV.usageReportGraceMinutes] ?? DEFAULT_REPORT_GRACE_MINUTES };
}
