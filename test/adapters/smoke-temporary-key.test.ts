import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { withTemporaryPublisherKey } from '#infra/tools/smoke-stack.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/** The publisher key `npm run smoke -- --stack` makes for itself when given none (DynamoDB Local). */
describe('the temporary smoke key', () => {
  let tableName: string;
  const { documentClient } = localClients();

  beforeAll(async () => {
    tableName = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
  });

  const recordOf = (token: string) => {
    const keyId = apiKeyCodec.parse(token)?.keyId ?? '';
    return new DynamoApiKeyStore(documentClient, tableName).findById(keyId);
  };

  it('is a live publisher key while the checks run, and revoked when they are done', async () => {
    let token = '';
    const during = await withTemporaryPublisherKey(documentClient, tableName, async (key) => {
      token = key;
      return recordOf(key);
    });

    expect(during).toMatchObject({ role: 'publisher', name: expect.stringMatching(/^npm run smoke /) });
    expect(during?.revokedAt).toBeUndefined();
    expect((await recordOf(token))?.revokedAt).toEqual(expect.any(String));
  });

  it('is revoked when a check throws too', async () => {
    let token = '';
    await expect(
      withTemporaryPublisherKey(documentClient, tableName, async (key) => {
        token = key;
        throw new Error('check crashed');
      }),
    ).rejects.toThrow('check crashed');

    expect((await recordOf(token))?.revokedAt).toEqual(expect.any(String));
  });

  it('reports a key it could not revoke with what to do, without hiding the results', async () => {
    // Creating works, revoking (an UpdateItem) is refused, as for an operator allowed PutItem only.
    const noUpdates = {
      send: (command: unknown) =>
        command instanceof UpdateCommand
          ? Promise.reject(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))
          : documentClient.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    const reported: string[] = [];

    const result = await withTemporaryPublisherKey(
      noUpdates,
      tableName,
      async () => 'results',
      (message) => reported.push(message),
    );

    expect(result).toBe('results');
    expect(reported).toEqual([
      expect.stringMatching(
        /^The temporary smoke key (\S+) could not be revoked \(AccessDeniedException: not authorized\): revoke it with DELETE \/v1\/api-keys\/\1 /,
      ),
    ]);
  });
});
