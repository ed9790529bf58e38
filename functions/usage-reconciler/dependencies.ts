import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { UsageReconcilerConfig } from './config.ts';

/**
 * What the daily reconciliation needs, built once per cold start.
 * @throws ConfigError when the marketplace credential cannot be set up (`createHttpMarketplace`).
 */
export async function buildUsageReconcilerDependencies(config: UsageReconcilerConfig) {
  return {
    ledger: new DynamoReportingLedger(createDocumentClient(), config.tableName),
    marketplace: await createHttpMarketplace(config.marketplace),
    clock: systemClock,
  };
}
