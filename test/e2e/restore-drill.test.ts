import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { createTableInput } from '#infra/local/provision.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { copyTable } from '#test/helpers/copy-table.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

const run = promisify(execFile);

/**
 * The restore procedure of docs/restore.md, rehearsed on DynamoDB Local, which cannot restore a backup: the table of a
 * running deployment (an API key, a subscription only our store knows) is copied to a table of another name, as a
 * restore makes one in AWS; the local system starts on that table, as the `tableName` setting makes the stacks do;
 * and `npm run smoke` passes on it with the old key and the old subscription. (One local system per test process:
 * the functions read their table name once, when first loaded.)
 */
describe('restore drill: the system on a restored table of another name', () => {
  let restored: TestLocalSystem | undefined;
  afterAll(async () => {
    await restored?.stop();
  });

  it('serves the restored data: the old API key works and usage of the old subscription is counted', async () => {
    const dynamodb = new DynamoDBClient({
      endpoint: localEndpoints().dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const original = `drill-${randomUUID().slice(0, 8)}-Main`;
    await dynamodb.send(new CreateTableCommand(createTableInput(MAIN_TABLE, original)));
    const documents = createDocumentClient(localEndpoints());
    const key = await createApiKey(
      { apiKeys: new DynamoApiKeyStore(documents, original), codec: apiKeyCodec, clock: systemClock },
      undefined,
      { name: 'billing service', role: 'publisher' },
    );
    // Subscribed since yesterday on the auto-activated plan: the new system's emulator has never heard of it, so
    // only the restored record lets the ingest accept its usage.
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const termEnd = new Date(Date.now() + 27 * 86_400_000).toISOString();
    const subscription = aSubscription({
      planId: 'instant',
      term: { startDate: since.slice(0, 10), endDate: termEnd.slice(0, 10), termUnit: 'P1M' },
      timeline: [{ from: since, status: 'Subscribed', planId: 'instant' }],
    });
    await new DynamoSubscriptionStore(documents, original).put(subscription);

    const restoredName = `${original}-restored`;
    expect(await copyTable(dynamodb, MAIN_TABLE, original, restoredName)).toBeGreaterThanOrEqual(2);
    dynamodb.destroy();
    restored = await startTestLocalSystem('restored', { tableName: restoredName });

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'infra/tools/smoke.ts'),
        '--local',
        '--api-key',
        key.token,
        '--subscription-id',
        subscription.id,
        '--dimension',
        'api-calls',
        '--quantity',
        '2.5',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, LOCAL_DIR: restored.workDir } },
    );

    expect(restored.system.resources[MAIN_TABLE.envVar]).toBe(restoredName);
    expect(stdout).toMatch(/^ok {4}health +table ok, usageQueue ok/m);
    expect(stdout).toMatch(/^ok {4}usage round trip +2\.5 api-calls posted and read back \(now 2\.5\)/m);
    expect(stdout).toContain('Smoke check passed.');
  }, 180_000);

  it('refuses to start on a table that does not exist, naming it', async () => {
    await expect(startTestLocalSystem('missing', { tableName: 'no-such-restored-table' })).rejects.toThrow(
      'Table no-such-restored-table does not exist in DynamoDB Local',
    );
  }, 60_000);
});
