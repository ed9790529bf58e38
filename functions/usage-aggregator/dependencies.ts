import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import type { Config } from '#shared/config.ts';

/** Everything the usage aggregator needs, built once per cold start from the configuration. */
export function buildUsageAggregatorDependencies(config: Config) {
  return { ledger: new DynamoUsageLedger(createDocumentClient(), config.tableName) };
}

export type UsageAggregatorDependencies = ReturnType<typeof buildUsageAggregatorDependencies>;
