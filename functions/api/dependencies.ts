import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { buildContactLifecycle, contactChannels } from '#shared/adapters/compose/contact-lifecycle.ts';
import { cryptoDayPackCodes } from '#shared/adapters/day-pack-codes.ts';
import { DynamoAlertDeliveries } from '#shared/adapters/dynamodb/dynamo-alert-deliveries.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoDayPackStore } from '#shared/adapters/dynamodb/dynamo-day-pack-store.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { sessionKeysFrom, sessionSecretReader } from '#shared/adapters/entra/secret-source.ts';
import { SqsShardWorkQueue } from '#shared/adapters/sqs/sqs-shard-work-queue.ts';
import { creditLevelPurchaseBlocks } from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { ApiConfig } from './config.ts';

/**
 * Everything the API function's routes need, built once per cold start from the configuration. Nothing here calls
 * Microsoft: the routes that do (publisher operations, the health check's credential report) are the
 * PublisherOperations function's, so this bundle carries no marketplace client.
 */
export function buildApiDependencies(config: ApiConfig) {
  const documentClient = createDocumentClient();
  const sqs = createSqsClient();
  const catalog = loadConfiguredCatalog(config.catalog);
  const alerts = buildAlertDependencies(config, documentClient, catalog, systemClock);
  const subscriptions = new DynamoSubscriptionStore(documentClient, config.tableName);
  const dayPacks = new DynamoDayPackStore(documentClient, config.tableName);
  return {
    // Alert settings, usage, alert history and the local outbox: stores, ledger, alert log.
    ...alerts,
    // Contact states (shown with budgets and partners) and the confirmation messages of new contacts.
    ...buildContactLifecycle(
      config,
      documentClient,
      config.contactLinks,
      contactChannels(config, documentClient),
      systemClock,
    ),
    smsCountries: config.smsCountries,
    // The notifier's per-contact records, shown with each alert of the history.
    deliveries: new DynamoAlertDeliveries(documentClient, config.tableName),
    // The entitlement (with the reseller's purchase block) and the audit trail.
    audit: new DynamoAuditLog(documentClient, config.tableName),
    purchaseBlocks: creditLevelPurchaseBlocks(alerts),
    clock: systemClock,
    codec: apiKeyCodec,
    apiKeys: new DynamoApiKeyStore(documentClient, config.tableName),
    subscriptions,
    dayPacks,
    // The data API's paged lists (usage-data-routes.ts): the same stores, read by their list access paths.
    subscriptionDirectory: subscriptions,
    partnerDirectory: alerts.partners,
    dayPackDirectory: dayPacks,
    // Sessions of signed-in users (the portal): the cookie keys and who administers (partners come with the alerts).
    sessionKeys: sessionKeysFrom(sessionSecretReader(config.sessionSecret)),
    publicOrigin: config.publicOrigin,
    publisherAdmins: config.publisherAdmins,
    dayPackCodes: cryptoDayPackCodes,
    catalog,
    reportingRuns: new DynamoReportingRuns(documentClient, config.tableName),
    // What `POST /v1/reporting/runs` needs to dispatch a run as the schedule does.
    reportDispatch: {
      ledger: new DynamoReportingLedger(documentClient, config.tableName),
      runs: new DynamoReportingRuns(documentClient, config.tableName),
      queue: new SqsShardWorkQueue(sqs, config.usageReportQueueUrl),
      clock: systemClock,
      graceMinutes: config.usageReportGraceMinutes,
    },
  };
}

export type ApiDependencies = ReturnType<typeof buildApiDependencies>;
