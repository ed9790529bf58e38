import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { logger } from '#shared/observability.ts';
import type { UsageAggregatorConfig } from './config.ts';

/** Everything the usage aggregator needs, built once per cold start from the configuration. */
export function buildUsageAggregatorDependencies(config: UsageAggregatorConfig) {
  const documentClient = createDocumentClient();
  return {
    ...buildAlertDependencies(config, documentClient, loadConfiguredCatalog(config.catalog)),
    ledger: new DynamoUsageLedger(documentClient, config.tableName),
    logger,
  };
}

export type UsageAggregatorDependencies = ReturnType<typeof buildUsageAggregatorDependencies>;
