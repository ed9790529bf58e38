import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { SnsOperationsNotifier } from '#shared/adapters/sns/sns-operations-notifier.ts';
import { logger } from '#shared/observability.ts';
import type { SyncSubscriptionsDeps } from '#shared/use-cases/fulfillment/sync-subscriptions.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionSyncConfig } from './config.ts';

/**
 * Nobody waits on the sync: a page of List Subscriptions or a Get Subscription may take its time with retries (20 s),
 * and a call that still fails is tried again by the next hourly run.
 */
export const SYNC_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 4,
  totalBudgetMs: 20_000,
  baseDelayMs: 500,
  maxDelayMs: 5_000,
  attemptTimeoutMs: 8_000,
};

/**
 * Everything the subscription sync needs, built once per cold start.
 * @throws ConfigError when the marketplace credential cannot be set up (`createHttpMarketplace`).
 */
export async function buildSubscriptionSyncDependencies(
  config: SubscriptionSyncConfig,
): Promise<SyncSubscriptionsDeps> {
  const documentClient = createDocumentClient();
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  const sns = createSnsClient();
  const client = await createHttpMarketplace(config.marketplace, { retry: SYNC_RETRY_POLICY });
  return {
    marketplace: new AuditingMarketplace(client, audit, systemClock, logger),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    lifecycle: new SnsLifecyclePublisher(sns, config.lifecycleTopicArn),
    operations: new SnsOperationsNotifier(sns, config.operationsTopicArn),
    audit,
    catalog: loadConfiguredCatalog(config.catalog),
    clock: systemClock,
    logger,
    pendingPurchaseAlertMinutes: config.pendingPurchaseAlertMinutes,
  };
}
