/**
 * `shared/adapters/compose/`: wiring that several functions' composition roots share. It builds adapters from the
 * configuration and holds no rule. Functions never import each other's files, so what two of them build alike lives
 * here: the usage reporter's dependencies are built by `functions/usage-reporter` for its scheduled runs and by
 * `functions/fulfillment-webhook` for the usage flush after a cancellation.
 */
import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import type { UsageReporterConfig } from '#shared/adapters/compose/usage-reporter-settings.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsMeteringAlertPublisher } from '#shared/adapters/sns/sns-metering-alert-publisher.ts';
import { logger } from '#shared/observability.ts';
import { flushSubscriptionUsage } from '#shared/use-cases/metering/flush-subscription-usage.ts';
import type { ReportUsageDeps } from '#shared/use-cases/metering/report-usage.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';

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
 * cold start. Every metering call lands in the audit trail of each subscription it carried events for (one entry per
 * subscription and call, `AuditingMarketplace`).
 * @throws ConfigError when the marketplace credential cannot be set up (`createHttpMarketplace`).
 */
export async function buildUsageReporterDependencies(
  config: UsageReporterConfig,
): Promise<ReportUsageDeps & { readonly ledger: DynamoReportingLedger }> {
  const documentClient = createDocumentClient();
  const marketplace = await createHttpMarketplace(config.marketplace, { retry: REPORTER_RETRY_POLICY });
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  return {
    ledger: new DynamoReportingLedger(documentClient, config.tableName),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    catalog: loadConfiguredCatalog(config.catalog),
    marketplace: new AuditingMarketplace(marketplace, audit, systemClock, logger),
    alerts: new SnsMeteringAlertPublisher(createSnsClient(), config.lifecycleTopicArn),
    clock: systemClock,
    graceMinutes: config.graceMinutes,
    logger,
  };
}

/**
 * The fulfillment webhook's `flushUsage` (`HandleFulfillmentWebhookDeps`): reports a cancelled subscription's usage at
 * once with `flushSubscriptionUsage`, on the reporter's own dependencies, which `buildReporter` builds on the first
 * cancellation only: the webhook's cold start does not wait for a second marketplace client, and that client keeps the
 * reporter's retry budget (`REPORTER_RETRY_POLICY`), not the webhook path's. The build, once started, is kept for the
 * life of the function instance, whether it succeeded or not.
 * @returns a function that throws what the build or the flush throws (the webhook logs it and answers anyway).
 */
export function flushUsageWithReporter(
  buildReporter: () => Promise<ReportUsageDeps>,
): (subscriptionId: string, until: Date) => Promise<void> {
  let reporter: Promise<ReportUsageDeps> | undefined;
  return async (subscriptionId, until) => {
    reporter ??= buildReporter();
    await flushSubscriptionUsage(await reporter, { subscriptionId, until });
  };
}
