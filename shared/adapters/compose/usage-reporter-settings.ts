/**
 * The usage reporter's settings, shared by the composition roots that build its dependencies: the reporter's own
 * (`functions/usage-reporter/config.ts`) and the fulfillment webhook's, which flushes a cancelled subscription's usage
 * through the reporter. Functions never import each other's files, so the one statement of these settings lives here.
 */
import * as z from 'zod';
import {
  MARKETPLACE_SETTINGS,
  type MarketplaceConfig,
  marketplaceConfig,
} from '#shared/adapters/marketplace/marketplace-config.ts';
import {
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  LIFECYCLE_TOPIC_SETTINGS,
  optionalWholeNumber,
  TABLE_SETTINGS,
} from '#shared/config/settings.ts';
import { DEFAULT_REPORT_GRACE_MINUTES, MAX_REPORT_GRACE_MINUTES } from '#shared/domain/reporting/report-schedule.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the usage reporter reads: the ledger, the catalog to rate it, Microsoft's Metering API, and the
 * lifecycle topic for MeteringRejected alerts. `USAGE_REPORT_GRACE_MINUTES` defaults to `DEFAULT_REPORT_GRACE_MINUTES`
 * (10: usage posted in the last second of an hour still has to pass the queue and the aggregator, which takes
 * seconds; 10 minutes also absorbs a queue backlog and clock skew of the publisher's app, and leaves 23 h 40 min of
 * Microsoft's 24 h window).
 */
export const USAGE_REPORTER_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...LIFECYCLE_TOPIC_SETTINGS,
  ...CATALOG_SETTINGS,
  ...MARKETPLACE_SETTINGS,
  [ENV.usageReportGraceMinutes]: optionalWholeNumber('minutes', 0, MAX_REPORT_GRACE_MINUTES),
});

export interface UsageReporterConfig {
  readonly tableName: string;
  readonly lifecycleTopicArn: string;
  readonly catalog: CatalogSource;
  readonly marketplace: MarketplaceConfig;
  /** Minutes after an hour closes before it is reported. */
  readonly graceMinutes: number;
}

/**
 * The reporter's configuration out of parsed settings; the webhook, which flushes usage on cancellation through the
 * reporter, reads the same ones.
 * @throws ConfigError when the catalog or the marketplace credential is not set right.
 */
export function usageReporterConfig(values: z.output<typeof USAGE_REPORTER_SETTINGS>): UsageReporterConfig {
  return {
    tableName: values[ENV.tableName],
    lifecycleTopicArn: values[ENV.lifecycleTopicArn],
    catalog: catalogSource(values),
    marketplace: marketplaceConfig(values),
    graceMinutes: values[ENV.usageReportGraceMinutes] ?? DEFAULT_REPORT_GRACE_MINUTES,
  };
}
