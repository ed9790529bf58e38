import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import {
  buildUsageReporterDependencies,
  flushUsageWithReporter,
} from '#shared/adapters/compose/usage-reporter-dependencies.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { EntraWebhookAuthenticator } from '#shared/adapters/entra/entra-webhook-authenticator.ts';
import { webhookAuthenticatorOptions } from '#shared/adapters/entra/webhook-auth-config.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { CHANGE_ANSWER_DEADLINE_MS } from '#shared/domain/change-rules.ts';
import { logger } from '#shared/observability.ts';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import { creditLevelChangePolicy } from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { FulfillmentWebhookConfig } from './config.ts';

/**
 * The marketplace client's retries on the webhook path, sized for `CHANGE_ANSWER_DEADLINE_MS` (change-rules.ts: 8 s,
 * inside Microsoft's 10 s window for answering a ChangePlan / ChangeQuantity, reference §0, §2.1, §6.4). Two calls
 * lead to that answer (Get Operation, then the PATCH), so each gets at most 3 s with its retries: 6 s in all, plus
 * DynamoDB reads and writes of a few tens of milliseconds, within the deadline, at which the use case aborts the path
 * anyway. A call that still fails makes the webhook answer 500, and Microsoft delivers it again (handling is
 * idempotent).
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
    authenticator: new EntraWebhookAuthenticator(
      await webhookAuthenticatorOptions(config.marketplace, config.webhookSharedSecret),
    ),
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    marketplace: new AuditingMarketplace(client, audit, systemClock, logger),
    // The catalog's rules, then the reseller's credit levels (approval required / purchase blocked, seeds/000).
    policy: allPolicies(
      catalogChangePolicy(catalog),
      creditLevelChangePolicy({ ...buildAlertDependencies(config, documentClient, catalog), logger }),
    ),
    flushUsage: flushUsageWithReporter(() => buildUsageReporterDependencies(config)),
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    audit,
    clock: systemClock,
    logger,
    answerDeadlineMs: CHANGE_ANSWER_DEADLINE_MS,
  };
}

export type WebhookDependencies = Awaited<ReturnType<typeof buildWebhookDependencies>>;
