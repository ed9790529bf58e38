import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import type { Config } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';

/** Everything the usage aggregator needs, built once per cold start from the configuration. */
export function buildUsageAggregatorDependencies(config: Config) {
  const documentClient = createDocumentClient();
  return {
    ...buildAlertDependencies(config, documentClient, loadConfiguredCatalog(config.catalog)),
    ledger: new DynamoUsageLedger(documentClient, config.tableName),
    logger,
  };
}

export type UsageAggregatorDependencies = ReturnType<typeof buildUsageAggregatorDependencies>;
