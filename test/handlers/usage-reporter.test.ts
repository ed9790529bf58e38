import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { ENV } from '#shared/env-names.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/usage-reporter/handler.ts')['handler'];

const HOUR = 3_600_000;

describe('the usage reporter function against DynamoDB Local and the marketplace emulator', () => {
  let emulator: MarketplaceEmulator;
  let handler: Handler;
  let table: string;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    table = resources[MAIN_TABLE.envVar] ?? '';
    // The function runs on the real clock, so the emulator does too (started three hours back for the activation).
    emulator = await startMarketplaceEmulator({
      catalog: await loadCatalog('infra/catalog/catalog.yaml'),
      startTime: new Date(Date.now() - 3 * HOUR),
    });
    const directory = await mkdtemp(join(tmpdir(), 'reporter-ca-'));
    await writeFile(join(directory, 'ca.pem'), emulator.entra.caCertificatePem);
    Object.assign(process.env, {
      [ENV.marketplaceApiBaseUrl]: emulator.baseUrl,
      [ENV.entraTenantId]: emulator.entra.tenantId,
      [ENV.entraClientId]: emulator.entra.clientId,
      [ENV.entraCredentialKind]: 'secret',
      [ENV.entraClientSecret]: emulator.entra.clientSecret,
      [ENV.entraAuthorityHost]: emulator.entra.authorityHost,
      [ENV.entraCaCertPath]: join(directory, 'ca.pem'),
    });
    ({ handler } = await import('#functions/usage-reporter/handler.ts'));
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  it('reports the overage of a closed hour when EventBridge Scheduler invokes it', async () => {
    const tenantId = randomUUID();
    const bought = await emulator.control.purchase({
      offerId: 'contoso-analytics',
      planId: 'basic',
      beneficiary: { tenantId, emailId: 'user@customer.example' },
      purchaser: { tenantId, emailId: 'buyer@customer.example' },
    });
    const activatedAt = emulator.control.now().toISOString();
    const { documentClient } = localClients();
    await emulatorMarketplace(emulator).activate(bought.subscriptionId, { planId: 'basic' });
    await emulator.control.setTime(new Date());
    await new DynamoSubscriptionStore(documentClient, table).put(
      aSubscription({
        id: bought.subscriptionId,
        term: { startDate: activatedAt.slice(0, 10), endDate: activatedAt.slice(0, 10), termUnit: 'P1M' },
        timeline: [{ from: activatedAt, status: 'Subscribed', planId: 'basic' }],
      }),
    );
    const closedHour = new Date(Math.floor((Date.now() - 10 * 60_000) / HOUR) * HOUR - HOUR).toISOString();
    await applyUsageMessage(
      { ledger: new DynamoUsageLedger(documentClient, table) },
      aUsageMessage({
        slots: [
          aSlot({ subscriptionId: bought.subscriptionId, dimension: 'api-calls', hour: closedHour, quantity: '130.5' }),
        ],
      }),
    );

    const summary = await handler(sampleEvent('scheduler/usage-report.json'), aLambdaContext('UsageReporter'));

    expect(summary.answers.accepted).toBeGreaterThanOrEqual(1);
    // basic includes 100 api-calls per term.
    expect(emulator.control.usageLedger()).toEqual([
      expect.objectContaining({
        resourceId: bought.subscriptionId,
        dimension: 'api-calls',
        quantity: 30.5,
        planId: 'basic',
        effectiveStartTime: closedHour,
      }),
    ]);
  });
});
