import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsMeteringAlertPublisher } from '#shared/adapters/sns/sns-metering-alert-publisher.ts';
import { logger } from '#shared/observability.ts';
import type { ReportUsageDeps } from '#shared/use-cases/metering/report-usage.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { UsageReporterConfig } from './config.ts';

/**
 * The marketplace client's retries on the reporting path: a batch call gets at most 20 s with its retries. Four
 * batch calls run at once, so even a few hundred events of a backlog finish well inside the 300 s function timeout;
 * an event still unanswered stays pending and is resent by the next run, 10 minutes later.
 */
export const REPORTER_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 4,
  totalBudgetMs: 20_000,
  baseDelayMs: 500,
  maxDelayMs: 5_000,
  attemptTimeoutMs: 8_000,
};

/**
 * Everything the usage reporter (and the flush and reconciliation that share its adapters) needs, built once per
 * cold start. @throws ConfigError when the marketplace credential cannot be set up (`createHttpMarketplace`).
 */
export async function buildUsageReporterDependencies(
  config: UsageReporterConfig,
): Promise<ReportUsageDeps & { readonly ledger: DynamoReportingLedger }> {
  const documentClient = createDocumentClient();
  return {
    ledger: new DynamoReportingLedger(documentClient, config.tableName),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    catalog: loadConfiguredCatalog(config.catalog),
    marketplace: await createHttpMarketplace(config.marketplace, { retry: REPORTER_RETRY_POLICY }),
    alerts: new SnsMeteringAlertPublisher(createSnsClient(), config.lifecycleTopicArn),
    clock: systemClock,
    graceMinutes: config.graceMinutes,
    logger,
  };
}
