import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoAlertSettingsReader } from '#shared/adapters/dynamodb/dynamo-alert-settings-reader.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { SqsAlertOutbox } from '#shared/adapters/sqs/sqs-alert-outbox.ts';
import type { AlertsSettings } from '#shared/config/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * The stores, ledger, alert log and SNS publisher that evaluating and delivering alerts needs, for every function
 * that does it (the aggregator after each commit, the hourly alert checks, the API for settings and the outbox).
 */
export function buildAlertDependencies(
  config: AlertsSettings & { readonly tableName: string },
  documentClient: DynamoDBDocumentClient,
  catalog: Catalog,
  clock: Clock = systemClock,
) {
  const publisher = new SnsAlertPublisher(createSnsClient(), config.alertsTopicArn);
  return {
    clock,
    catalog,
    // The months of partners without their own time zone (credit rules, month-start check, purchase blocks).
    ...(config.publisherTimeZone === undefined ? {} : { publisherTimeZone: config.publisherTimeZone }),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    budgets: new DynamoBudgetStore(documentClient, config.tableName),
    partners: new DynamoPartnerStore(documentClient, config.tableName),
    alertSettings: new DynamoAlertSettingsReader(documentClient, config.tableName),
    ledger: new DynamoUsageLedger(documentClient, config.tableName, clock),
    alertLog: new DynamoAlertLog(documentClient, config.tableName),
    publisher,
    // Local mode only (fauxqs sends no e-mail or SMS): the queue that receives every recipient's alerts instead.
    ...(config.alertsOutboxQueueUrl
      ? {
          outbox: new SqsAlertOutbox(
            createSqsClient(),
            config.alertsOutboxQueueUrl,
            publisher,
            documentClient,
            config.tableName,
          ),
        }
      : {}),
  };
}

export type AlertDependencies = ReturnType<typeof buildAlertDependencies>;
