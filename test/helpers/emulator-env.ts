import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { marketplaceClientEnv, signInEnv } from '#infra/local/function-env.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { type SqsLambdaHandler, startQueuePoller } from '#infra/local/queue-poller.ts';
import { writePortalAssets } from '#infra/portal-assets.ts';
import { LIFECYCLE_TOPIC, MAIN_TABLE, OPERATION_ANSWERS_QUEUE } from '#infra/resources.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ENV } from '#shared/env-names.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { type ReceivedLifecycleEvent, subscribeLifecycleQueue } from '#test/helpers/lifecycle-queue.ts';
import { localClients } from '#test/helpers/local-aws.ts';

export interface FunctionsWithEmulator {
  readonly emulator: MarketplaceEmulator;
  readonly subscriptions: DynamoSubscriptionStore;
  readonly audit: DynamoAuditLog;
  /** Lifecycle events published since the last call, as an SQS subscriber of the topic receives them. */
  readonly lifecycleEvents: () => Promise<ReceivedLifecycleEvent[]>;
  /** Every item stored under `SUB#<id>` (subscription, operation records, audit entries). */
  readonly itemsOf: (subscriptionId: string) => Promise<Record<string, unknown>[]>;
  readonly stop: () => Promise<void>;
}

/**
 * What a deployed landing or webhook function gets, on real components: fresh tables and topics in DynamoDB Local and
 * fauxqs, and the project's marketplace emulator (with its fake Entra over HTTPS, whose CA certificate is written to a
 * temporary file for `ENTRA_CA_CERT_PATH`). The emulator's clock runs from the real time, so the tokens it signs verify
 * against the real clock and its operation time stamps line up with ours. Import handlers only after this.
 *
 * @param emulatorCatalog the catalog the emulator (Microsoft's side) sells from; the functions read the project's
 *   `infra/catalog/catalog.yaml`. They differ when a test needs Microsoft to allow what our catalog refuses.
 */
export async function startFunctionsWithEmulator(
  emulatorCatalog: (catalog: Catalog) => Catalog = (catalog) => catalog,
  env: Record<string, string> = {},
): Promise<FunctionsWithEmulator> {
  const resources = await prepareFunctionEnvironment();
  const catalog = await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'));
  const emulator = await startMarketplaceEmulator({
    catalog: emulatorCatalog(catalog),
    // Running from the real time: Microsoft's operation time stamps and our own clock then agree, as they do live.
    clock: 'running',
    startTime: new Date(),
    webhookRetry: { maxAttempts: 1 },
    // Tests move the emulator clock by hours (token lifetimes, renewals) while our client caches its access token on
    // the real clock: access-token expiry is beside the point here.
    verifyTokenExpiry: false,
  });
  const caPath = join(await mkdtemp(join(tmpdir(), 'emulator-ca-')), 'ca.pem');
  await writeFile(caPath, emulator.entra.caCertificatePem);
  const portalAssetsDir = join(await mkdtemp(join(tmpdir(), 'portal-assets-')), 'assets');
  await writePortalAssets(portalAssetsDir);
  const { [ENV.sessionSecret]: _generated, ...signIn } = signInEnv(emulator, caPath, portalAssetsDir);
  Object.assign(process.env, {
    ...marketplaceClientEnv(emulator, caPath),
    // Sign-in through the emulator's fake Entra; the session secret stays the one prepareFunctionEnvironment set.
    ...signIn,
    ...env,
  });
  const { documentClient, sns, sqs } = localClients();
  const tableName = resources[MAIN_TABLE.envVar] ?? '';
  const queue = await subscribeLifecycleQueue({ sns, sqs }, resources[LIFECYCLE_TOPIC.envVar] ?? '');
  return {
    emulator,
    subscriptions: new DynamoSubscriptionStore(documentClient, tableName),
    audit: new DynamoAuditLog(documentClient, tableName),
    lifecycleEvents: () => queue.drain(),
    itemsOf: async (subscriptionId) =>
      (
        await documentClient.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `SUB#${subscriptionId}` },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [],
    stop: () => emulator.stop(),
  };
}

/**
 * The operation-answers consumer behind a local poller of its queue, as Lambda's event source mapping runs it: the
 * PATCHes that webhooks queue are sent, and the changes applied, shortly after each webhook has answered. Call after
 * `startFunctionsWithEmulator` (the handler reads its configuration when its module loads).
 */
export async function consumeOperationAnswers(): Promise<{ stop: () => Promise<void> }> {
  const handler = asDeclaredFunction(
    'OperationAnswers',
    (await import('#functions/operation-answers/handler.ts')).handler,
  );
  return startQueuePoller(localClients().sqs, {
    queueUrl: process.env[OPERATION_ANSWERS_QUEUE.envVar] ?? '',
    queueArn: `arn:aws:sqs:us-east-1:000000000000:${OPERATION_ANSWERS_QUEUE.id}`,
    batchSize: 1,
    handler: handler as unknown as SqsLambdaHandler,
    onError: () => undefined,
  });
}
