import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { logger } from '#shared/observability.ts';
import type { AnswerOperationDeps } from '#shared/use-cases/fulfillment/answer-operation.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { OperationAnswersConfig } from './config.ts';

/**
 * The marketplace client's retries for the PATCH: about 2 s in all, what is left of `CHANGE_ANSWER_DEADLINE_MS`
 * (change-rules.ts) after the webhook's 5 s and the queue's 1 s delay. A PATCH that still fails is retried by SQS
 * after the visibility timeout: by then Microsoft has auto-accepted the change, and the retry's PATCH meets a 409
 * and reads how the operation ended.
 */
export const OPERATION_ANSWER_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  totalBudgetMs: 2_000,
  baseDelayMs: 100,
  maxDelayMs: 500,
  attemptTimeoutMs: 1_500,
};

/** Everything the consumer needs, built once per cold start. @throws ConfigError for an unreadable credential. */
export async function buildOperationAnswersDependencies(config: OperationAnswersConfig): Promise<AnswerOperationDeps> {
  const documentClient = createDocumentClient();
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  const client = await createHttpMarketplace(config.marketplace, { retry: OPERATION_ANSWER_RETRY_POLICY });
  return {
    subscriptions: new DynamoSubscriptionStore(documentClient, config.tableName),
    marketplace: new AuditingMarketplace(client, audit, systemClock, logger),
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    audit,
    clock: systemClock,
    logger,
  };
}
