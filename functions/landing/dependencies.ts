import { createDocumentClient, createSnsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { sessionKeysFrom, sessionSecretReader } from '#shared/adapters/entra/secret-source.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import type { SessionKeys } from '#shared/http/session.ts';
import { logger } from '#shared/observability.ts';
import type { LandingDeps } from '#shared/use-cases/fulfillment/resolve-purchase.ts';
import { linkNewPurchaseToReseller } from '#shared/use-cases/partners/link-new-purchase-to-reseller.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { LandingConfig } from './config.ts';

/**
 * A customer is waiting on the page, and API Gateway gives up after 30 s: a landing visit makes up to four
 * marketplace calls (Resolve, Get Subscription, Activate, Get Subscription), so each gets at most 5 s with retries.
 * A call that still fails shows the "try again" page, and trying again is safe.
 */
export const LANDING_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  totalBudgetMs: 5_000,
  baseDelayMs: 200,
  maxDelayMs: 1_000,
  attemptTimeoutMs: 4_000,
};

/**
 * Everything the landing page needs, built once per cold start.
 * @throws ConfigError when the marketplace credential cannot be set up (`createHttpMarketplace`).
 */
export interface LandingPageDeps extends LandingDeps {
  /** The session cookie keys: the page is shown to signed-in users only. */
  readonly sessionKeys: () => Promise<SessionKeys>;
  /** This site's origin when it has a custom domain (`PUBLIC_BASE_URL`), for the CSRF origin check. */
  readonly publicOrigin?: string;
}

export async function buildLandingDependencies(config: LandingConfig): Promise<LandingPageDeps> {
  const documentClient = createDocumentClient();
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  const client = await createHttpMarketplace(config.marketplace, { retry: LANDING_RETRY_POLICY });
  const subscriptions = new DynamoSubscriptionStore(documentClient, config.tableName);
  const partners = new DynamoPartnerStore(documentClient, config.tableName);
  return {
    marketplace: new AuditingMarketplace(client, audit, systemClock, logger),
    subscriptions,
    // A purchase made from a registered reseller's tenant becomes that partner's customer (DESIGN "Alerts").
    onNewPurchase: async (subscriptionId) => {
      await linkNewPurchaseToReseller({ partners, subscriptions, logger }, { subscriptionId });
    },
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    audit,
    clock: systemClock,
    catalog: loadConfiguredCatalog(config.catalog),
    sessionKeys: sessionKeysFrom(sessionSecretReader(config.sessionSecret)),
    publicOrigin: config.publicOrigin,
  };
}
