import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import { loadMarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import type { Config } from '#shared/config.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';

/** What the daily reconciliation needs, built once per cold start. @throws ConfigError for a missing setting. */
export async function buildUsageReconcilerDependencies(
  config: Config,
  env: Record<string, string | undefined> = process.env,
) {
  return {
    ledger: new DynamoReportingLedger(createDocumentClient(), config.tableName),
    marketplace: await createHttpMarketplace(loadMarketplaceConfig(env)),
    clock: systemClock,
  };
}
