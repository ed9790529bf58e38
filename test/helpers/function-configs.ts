import { z } from 'zod';
import { ALERT_CHECKS_SETTINGS, loadAlertChecksConfig } from '#functions/alert-checks/config.ts';
import { ALERT_NOTIFIER_SETTINGS, loadAlertNotifierConfig } from '#functions/alert-notifier/config.ts';
import { API_SETTINGS, loadApiConfig } from '#functions/api/config.ts';
import { CONTACT_EVENTS_SETTINGS, loadContactEventsConfig } from '#functions/contact-events/config.ts';
import { CONTACT_PAGES_SETTINGS, loadContactPagesConfig } from '#functions/contact-pages/config.ts';
import { ENTRA_CANARY_SETTINGS, loadEntraCanaryConfig } from '#functions/entra-canary/config.ts';
import { FULFILLMENT_WEBHOOK_SETTINGS, loadFulfillmentWebhookConfig } from '#functions/fulfillment-webhook/config.ts';
import { LANDING_SETTINGS, loadLandingConfig } from '#functions/landing/config.ts';
import { loadOperationAnswersConfig, OPERATION_ANSWERS_SETTINGS } from '#functions/operation-answers/config.ts';
import { loadPortalConfig, PORTAL_SETTINGS } from '#functions/portal/config.ts';
import {
  loadPublisherOperationsConfig,
  PUBLISHER_OPERATIONS_SETTINGS,
} from '#functions/publisher-operations/config.ts';
import { loadSubscriptionSyncConfig, SUBSCRIPTION_SYNC_SETTINGS } from '#functions/subscription-sync/config.ts';
import { loadUsageAggregatorConfig, USAGE_AGGREGATOR_SETTINGS } from '#functions/usage-aggregator/config.ts';
import { loadUsageIngestConfig, USAGE_INGEST_SETTINGS } from '#functions/usage-ingest/config.ts';
import { loadUsageReconcilerConfig, USAGE_RECONCILER_SETTINGS } from '#functions/usage-reconciler/config.ts';
import {
  loadUsageReportDispatcherConfig,
  USAGE_REPORT_DISPATCHER_SETTINGS,
} from '#functions/usage-report-dispatcher/config.ts';
import { loadUsageReporterConfig, USAGE_REPORTER_WORKER_SETTINGS } from '#functions/usage-reporter/config.ts';
import {
  ALERT_CHECKS_FUNCTION,
  ALERT_NOTIFIER_FUNCTION,
  API_FUNCTION,
  CONTACT_EVENTS_FUNCTION,
  CONTACT_PAGES_FUNCTION,
  ENTRA_CANARY_FUNCTION,
  FULFILLMENT_WEBHOOK_FUNCTION,
  LANDING_FUNCTION,
  OPERATION_ANSWERS_FUNCTION,
  PORTAL_FUNCTION,
  PUBLISHER_OPERATIONS_FUNCTION,
  SUBSCRIPTION_SYNC_FUNCTION,
  USAGE_AGGREGATOR_FUNCTION,
  USAGE_INGEST_FUNCTION,
  USAGE_RECONCILER_FUNCTION,
  USAGE_REPORT_DISPATCHER_FUNCTION,
  USAGE_REPORTER_FUNCTION,
} from '#infra/functions.ts';
import { MARKETPLACE_SETTINGS } from '#shared/adapters/marketplace/marketplace-config.ts';
import type { Env } from '#shared/config/load-settings.ts';

/** A function's configuration as the tests see it: how to load all of it, and every setting it reads. */
export interface FunctionConfigUnderTest {
  /** Loads the configuration, including what the function defers to first use, so every error shows. */
  readonly load: (env: Env) => unknown;
  /** The zod objects of every variable the function reads, at cold start or later. */
  readonly settings: readonly z.ZodObject[];
}

/** The configuration module of each function of `infra/functions.ts`, by function id. */
export const FUNCTION_CONFIGS: Readonly<Record<string, FunctionConfigUnderTest>> = {
  [API_FUNCTION.id]: { load: loadApiConfig, settings: [API_SETTINGS] },
  [PUBLISHER_OPERATIONS_FUNCTION.id]: {
    load: (env) => {
      const config = loadPublisherOperationsConfig(env);
      return { ...config, marketplace: config.marketplace() };
    },
    settings: [PUBLISHER_OPERATIONS_SETTINGS, z.object(MARKETPLACE_SETTINGS)],
  },
  [USAGE_INGEST_FUNCTION.id]: {
    load: (env) => {
      const config = loadUsageIngestConfig(env);
      return { ...config, marketplace: config.marketplace() };
    },
    settings: [USAGE_INGEST_SETTINGS, z.object(MARKETPLACE_SETTINGS)],
  },
  [USAGE_AGGREGATOR_FUNCTION.id]: { load: loadUsageAggregatorConfig, settings: [USAGE_AGGREGATOR_SETTINGS] },
  [ALERT_NOTIFIER_FUNCTION.id]: { load: loadAlertNotifierConfig, settings: [ALERT_NOTIFIER_SETTINGS] },
  [LANDING_FUNCTION.id]: { load: loadLandingConfig, settings: [LANDING_SETTINGS] },
  [PORTAL_FUNCTION.id]: { load: loadPortalConfig, settings: [PORTAL_SETTINGS] },
  [FULFILLMENT_WEBHOOK_FUNCTION.id]: { load: loadFulfillmentWebhookConfig, settings: [FULFILLMENT_WEBHOOK_SETTINGS] },
  [OPERATION_ANSWERS_FUNCTION.id]: { load: loadOperationAnswersConfig, settings: [OPERATION_ANSWERS_SETTINGS] },
  [ALERT_CHECKS_FUNCTION.id]: { load: loadAlertChecksConfig, settings: [ALERT_CHECKS_SETTINGS] },
  [USAGE_REPORTER_FUNCTION.id]: { load: loadUsageReporterConfig, settings: [USAGE_REPORTER_WORKER_SETTINGS] },
  [USAGE_REPORT_DISPATCHER_FUNCTION.id]: {
    load: loadUsageReportDispatcherConfig,
    settings: [USAGE_REPORT_DISPATCHER_SETTINGS],
  },
  [USAGE_RECONCILER_FUNCTION.id]: { load: loadUsageReconcilerConfig, settings: [USAGE_RECONCILER_SETTINGS] },
  [SUBSCRIPTION_SYNC_FUNCTION.id]: { load: loadSubscriptionSyncConfig, settings: [SUBSCRIPTION_SYNC_SETTINGS] },
  [ENTRA_CANARY_FUNCTION.id]: { load: loadEntraCanaryConfig, settings: [ENTRA_CANARY_SETTINGS] },
  [CONTACT_PAGES_FUNCTION.id]: { load: loadContactPagesConfig, settings: [CONTACT_PAGES_SETTINGS] },
  [CONTACT_EVENTS_FUNCTION.id]: { load: loadContactEventsConfig, settings: [CONTACT_EVENTS_SETTINGS] },
};

/** Every variable a function reads. */
export function variablesRead(config: FunctionConfigUnderTest): string[] {
  return [...new Set(config.settings.flatMap((settings) => Object.keys(settings.shape)))].sort();
}

/** The variables a function cannot start (or, for deferred settings, work) without. */
export function variablesRequired(config: FunctionConfigUnderTest): string[] {
  return [
    ...new Set(
      config.settings.flatMap((settings) =>
        Object.entries(settings.shape)
          .filter(([, setting]) => !(setting as z.ZodType).safeParse(undefined).success)
          .map(([name]) => name),
      ),
    ),
  ].sort();
}
