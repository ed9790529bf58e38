import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { logger } from '#shared/observability.ts';
import type { AlertChecksConfig } from './config.ts';

/** Everything the scheduled alert checks need, built once per cold start from the configuration. */
export function buildAlertChecksDependencies(config: AlertChecksConfig) {
  const documentClient = createDocumentClient();
  const alerts = buildAlertDependencies(config, documentClient, loadConfiguredCatalog(config.catalog));
  return { ...alerts, subscriptionList: alerts.subscriptions, logger };
}

export type AlertChecksDependencies = ReturnType<typeof buildAlertChecksDependencies>;
