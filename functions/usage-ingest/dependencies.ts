import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createDynamoDbClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { CachingApiKeyStore } from '#shared/adapters/caching-api-key-store.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { idempotentOnHeader } from '#shared/adapters/dynamodb/request-idempotency.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { CachingSubscriptionLookup } from '#shared/adapters/marketplace/caching-subscription-lookup.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SqsUsageQueue } from '#shared/adapters/sqs/sqs-usage-queue.ts';
import { logger } from '#shared/observability.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { UsageIngestConfig } from './config.ts';

/**
 * The publisher's app waits on the answer: a Get Subscription gets at most 3 s with its retries, then the request is
 * answered 503 and the client retries it (its usage is not lost, only delayed).
 */
export const INGEST_LOOKUP_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 2,
  totalBudgetMs: 3_000,
  baseDelayMs: 100,
  maxDelayMs: 500,
  attemptTimeoutMs: 2_000,
};

/** Everything the usage ingest function needs, built once per cold start from the configuration. */
export function buildUsageIngestDependencies(config: UsageIngestConfig) {
  const documentClient = createDocumentClient();
  const subscriptions = new DynamoSubscriptionStore(documentClient, config.tableName);
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  // Built on the first unknown subscription only: reading the Entra credential (Secrets Manager in AWS) would
  // otherwise slow every cold start for a client that is rarely needed.
  const connectMarketplace = async () =>
    new AuditingMarketplace(
      await createHttpMarketplace(config.marketplace(), { retry: INGEST_LOOKUP_RETRY_POLICY }),
      audit,
      systemClock,
      logger,
    );
  return {
    clock: systemClock,
    codec: apiKeyCodec,
    apiKeys: new CachingApiKeyStore(new DynamoApiKeyStore(documentClient, config.tableName), systemClock),
    subscriptions,
    unknownSubscriptions: {
      marketplace: new CachingSubscriptionLookup(connectMarketplace, systemClock),
      store: subscriptions,
    },
    catalog: loadConfiguredCatalog(config.catalog),
    usageQueue: new SqsUsageQueue(createSqsClient(), config.usageQueueUrl),
    countedEntries: new DynamoUsageLedger(documentClient, config.tableName),
    maxLatenessHours: config.maxLatenessHours,
    idempotency: idempotentOnHeader(createDynamoDbClient(), config.tableName, 'usage-ingest'),
  };
}

export type UsageIngestDependencies = ReturnType<typeof buildUsageIngestDependencies>;
