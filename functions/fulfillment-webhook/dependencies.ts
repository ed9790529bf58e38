import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import {
  buildUsageReporterDependencies,
  flushUsageWithReporter,
} from '#shared/adapters/compose/usage-reporter-dependencies.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoTestSubscriptions } from '#shared/adapters/dynamodb/dynamo-test-subscriptions.ts';
import { EntraWebhookAuthenticator } from '#shared/adapters/entra/entra-webhook-authenticator.ts';
import { TestWebhookAuthenticator } from '#shared/adapters/entra/test-webhook-authenticator.ts';
import { webhookAuthenticatorOptions } from '#shared/adapters/entra/webhook-auth-config.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { SqsOperationAnswerQueue } from '#shared/adapters/sqs/sqs-operation-answer-queue.ts';
import { CHANGE_ANSWER_QUEUE_DELAY_SECONDS, CHANGE_DECISION_DEADLINE_MS } from '#shared/domain/change-rules.ts';
import { logger } from '#shared/observability.ts';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import type { WebhookAuthenticator } from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';
import { creditLevelChangePolicy } from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { FulfillmentWebhookConfig } from './config.ts';

/**
 * The marketplace client's retries on the webhook path, sized for `CHANGE_DECISION_DEADLINE_MS` (change-rules.ts: 5 s
 * from Microsoft's call to our 200; the PATCH follows from the operation-answers queue within the 10 s window,
 * reference §0, §2.1, §6.4). One marketplace call leads to that answer (Get Operation), so it gets at most 3 s with its
 * retries, plus DynamoDB reads and writes of a few tens of milliseconds and the change policy's reads, within the
 * deadline, at which the use case aborts the path anyway. A call that still fails makes the webhook answer 500, and
 * Microsoft delivers it again (handling is idempotent).
 */
export const WEBHOOK_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  totalBudgetMs: 3_000,
  baseDelayMs: 150,
  maxDelayMs: 1_000,
  attemptTimeoutMs: 2_500,
};

/** Everything the webhook needs, built once per cold start. @throws ConfigError for an unreadable CA file or credential. */
export async function buildWebhookDependencies(config: FulfillmentWebhookConfig) {
  const documentClient = createDocumentClient();
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  const client = await createHttpMarketplace(config.marketplace, { retry: WEBHOOK_RETRY_POLICY });
  const catalog = loadConfiguredCatalog(config.catalog);
  return {
    authenticator: await webhookAuthenticator(config, documentClient),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    marketplace: new AuditingMarketplace(client, audit, systemClock, logger),
    // The catalog's rules, then the reseller's credit levels (approval required / purchase blocked, seeds/000).
    policy: allPolicies(
      catalogChangePolicy(catalog),
      creditLevelChangePolicy({ ...buildAlertDependencies(config, documentClient, catalog), logger }),
    ),
    flushUsage: flushUsageWithReporter(() => buildUsageReporterDependencies(config)),
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    answers: new SqsOperationAnswerQueue(
      createSqsClient(),
      config.operationAnswersQueueUrl,
      CHANGE_ANSWER_QUEUE_DELAY_SECONDS,
    ),
    audit,
    clock: systemClock,
    logger,
    answerDeadlineMs: CHANGE_DECISION_DEADLINE_MS,
  };
}

/**
 * Microsoft's tokens always; the smoke check's test tokens too only when the stack was deployed with
 * `smokeTestWebhooks` (otherwise the test authenticator does not exist and such a token meets the Entra check alone).
 */
async function webhookAuthenticator(
  config: FulfillmentWebhookConfig,
  documentClient: DynamoDBDocumentClient,
): Promise<WebhookAuthenticator> {
  const entra = new EntraWebhookAuthenticator(
    await webhookAuthenticatorOptions(config.marketplace, config.webhookSharedSecret),
  );
  if (!config.smokeTestWebhooks) return entra;
  logger.warn('Smoke test webhooks are on: test tokens are accepted for test subscriptions (smoke-test-…) only');
  return new TestWebhookAuthenticator(entra, {
    appId: config.marketplace.clientId,
    tenantId: config.marketplace.tenantId,
    keys: new DynamoTestSubscriptions(documentClient, config.tableName),
  });
}

export type WebhookDependencies = Awaited<ReturnType<typeof buildWebhookDependencies>>;
