import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSnsClient } from '#shared/adapters/aws-clients.ts';
import type { AlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { logger } from '#shared/observability.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import {
  creditLevelChangePolicy,
  creditLevelPurchaseBlocks,
} from '#shared/use-cases/partners/credit-level-change-policy.ts';
import type { Marketplace } from '#shared/use-cases/ports/marketplace.ts';
import type { ApiConfig } from './config.ts';

/**
 * A publisher waits on the API for the request and the operation to finish (at most 12 s of polling): each call gets
 * at most 4 s with its retries, so the whole route stays within the function's 25 s timeout and API Gateway's 30 s.
 */
export const PUBLISHER_OPERATION_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  totalBudgetMs: 4_000,
  baseDelayMs: 200,
  maxDelayMs: 1_000,
  attemptTimeoutMs: 3_000,
};

/**
 * What the publisher operations, the entitlement and the audit trail routes need beside the API's stores: the audit
 * log, the catalog policy, the reseller credit policy and check, and the marketplace client.
 *
 * The marketplace client is built on first use, not at cold start: only the publisher operations call Microsoft, and
 * building it reads the Entra credential (a Secrets Manager call in AWS), which every other request of the API would
 * otherwise wait for. A failed build is not kept, so the next request tries again.
 */
export function buildFulfillmentDependencies(
  config: ApiConfig,
  documentClient: DynamoDBDocumentClient,
  alerts: Pick<
    AlertDependencies,
    'budgets' | 'partners' | 'ledger' | 'catalog' | 'clock' | 'alertLog' | 'publisher' | 'publisherTimeZone'
  >,
) {
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  let marketplace: Promise<Marketplace> | undefined;
  const connectMarketplace = (): Promise<Marketplace> => {
    marketplace ??= createHttpMarketplace(config.marketplace(), { retry: PUBLISHER_OPERATION_RETRY_POLICY })
      .then((client): Marketplace => new AuditingMarketplace(client, audit, alerts.clock, logger))
      .catch((error: unknown) => {
        marketplace = undefined;
        throw error;
      });
    return marketplace;
  };
  return {
    audit,
    policy: catalogChangePolicy(alerts.catalog),
    // The reseller's credit levels hold for the publisher's own plan and seat changes as for the marketplace's.
    creditPolicy: creditLevelChangePolicy({ ...alerts, logger }),
    purchaseBlocks: creditLevelPurchaseBlocks(alerts),
    // A publisher change Microsoft reports Succeeded is applied here, and its lifecycle event published once.
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    connectMarketplace,
  };
}
