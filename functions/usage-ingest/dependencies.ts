import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createDynamoDbClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { idempotentOnHeader } from '#shared/adapters/dynamodb/request-idempotency.ts';
import { SqsUsageQueue } from '#shared/adapters/sqs/sqs-usage-queue.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { UsageIngestConfig } from './config.ts';

/** Everything the usage ingest function needs, built once per cold start from the configuration. */
export function buildUsageIngestDependencies(config: UsageIngestConfig) {
  const documentClient = createDocumentClient();
  return {
    clock: systemClock,
    codec: apiKeyCodec,
    apiKeys: new DynamoApiKeyStore(documentClient, config.tableName),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    catalog: loadConfiguredCatalog(config.catalog),
    usageQueue: new SqsUsageQueue(createSqsClient(), config.usageQueueUrl),
    maxLatenessHours: config.maxLatenessHours,
    idempotency: idempotentOnHeader(createDynamoDbClient(), config.tableName, 'usage-ingest'),
  };
}

export type UsageIngestDependencies = ReturnType<typeof buildUsageIngestDependencies>;
