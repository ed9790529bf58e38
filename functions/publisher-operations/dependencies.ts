import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient, createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { buildAlertDependencies } from '#shared/adapters/compose/alert-dependencies.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { sessionKeysFrom, sessionSecretReader } from '#shared/adapters/entra/secret-source.ts';
import { queueProbe, tableProbe } from '#shared/adapters/health-probes.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import { ConfiguredCredentialInspector } from '#shared/adapters/marketplace/credential-probes.ts';
import type { RetryPolicy } from '#shared/adapters/marketplace/retry-policy.ts';
import { secretsManagerVersionCount } from '#shared/adapters/marketplace/secret-versions.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { logger } from '#shared/observability.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import { checkEntraCredential } from '#shared/use-cases/operations/check-entra-credential.ts';
import { creditLevelChangePolicy } from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace } from '#shared/use-cases/ports/marketplace.ts';
import type { PublisherOperationsConfig } from './config.ts';

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
 * What the publisher operations and the health check need, built once per cold start: the caller's authentication
 * (API keys, session), the audit log, the catalog and reseller credit policies, the lifecycle topic, and the
 * marketplace client.
 *
 * The marketplace client is built on first use, not at cold start: building it reads the Entra credential (an SSM
 * call in AWS), which the health check's other probes need not wait for. A failed build is not kept, so the next
 * request tries again.
 */
export function buildPublisherOperationsDependencies(config: PublisherOperationsConfig) {
  const documentClient = createDocumentClient();
  const catalog = loadConfiguredCatalog(config.catalog);
  const alerts = buildAlertDependencies(config, documentClient, catalog, systemClock);
  const audit = new DynamoAuditLog(documentClient, config.tableName);
  let marketplace: Promise<Marketplace> | undefined;
  const connectMarketplace = (): Promise<Marketplace> => {
    marketplace ??= createHttpMarketplace(config.marketplace(), { retry: PUBLISHER_OPERATION_RETRY_POLICY })
      .then((client): Marketplace => new AuditingMarketplace(client, audit, systemClock, logger))
      .catch((error: unknown) => {
        marketplace = undefined;
        throw error;
      });
    return marketplace;
  };
  return {
    // Subscriptions, partners (a signed-in partner's principal, the credit levels), the alert log and publisher (a
    // partner's notice of a change its credit levels refused).
    ...alerts,
    clock: systemClock,
    codec: apiKeyCodec,
    apiKeys: new DynamoApiKeyStore(documentClient, config.tableName),
    sessionKeys: sessionKeysFrom(sessionSecretReader(config.sessionSecret)),
    publicOrigin: config.publicOrigin,
    publisherAdmins: config.publisherAdmins,
    audit,
    policy: catalogChangePolicy(catalog),
    // The reseller's credit levels hold for the publisher's own plan and seat changes as for the marketplace's.
    creditPolicy: creditLevelChangePolicy({ ...alerts, logger }),
    // A publisher change Microsoft reports Succeeded is applied here, and its lifecycle event published once.
    lifecycle: new SnsLifecyclePublisher(createSnsClient(), config.lifecycleTopicArn),
    connectMarketplace,
    probes: [tableProbe(documentClient, config.tableName), queueProbe(createSqsClient(), config.usageQueueUrl)],
    // `GET /health` also reports the Entra credential (placeholder, expiry). Its configuration is read on each check,
    // so a mistake there shows in the report instead of failing the function's cold start.
    ...(config.marketplaceConfigured
      ? {
          credential: () =>
            checkEntraCredential({
              inspector: {
                describe: () =>
                  new ConfiguredCredentialInspector(config.marketplace(), {
                    countSecretVersions: secretsManagerVersionCount,
                  }).describe(),
              },
              clock: systemClock,
            }),
        }
      : {}),
  };
}

export type PublisherOperationsDependencies = ReturnType<typeof buildPublisherOperationsDependencies>;
