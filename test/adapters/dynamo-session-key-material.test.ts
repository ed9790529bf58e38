import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoSessionKeyMaterial, SESSION_KEY_ITEM } from '#shared/adapters/dynamodb/dynamo-session-key-material.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

describe('the session key material in the table (DynamoDB Local)', () => {
  const { documentClient } = localClients();
  let tableName: string;

  beforeEach(async () => {
    // A table of its own per test: the item is a singleton.
    tableName = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
  });

  const storedItem = async () =>
    (await documentClient.send(new GetCommand({ TableName: tableName, Key: SESSION_KEY_ITEM, ConsistentRead: true })))
      .Item;

  it('makes the material on first use, stores it, and reads the same material in a new container', async () => {
    const first = new DynamoSessionKeyMaterial(documentClient, tableName, { now: () => new Date('2026-12-07T10:00Z') });

    const made = await first.read();
    const readElsewhere = await new DynamoSessionKeyMaterial(documentClient, tableName).read();

    expect(made).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(readElsewhere).toBe(made);
    expect(await storedItem()).toEqual({ ...SESSION_KEY_ITEM, material: made, createdAt: '2026-12-07T10:00:00.000Z' });
  });

  it('ends with one material when cold starts race to make it: every one found no item, one put wins', async () => {
    const racers = 8;
    // Each container's first read is answered only once all of them have read: all find no item, all try to put.
    let emptyReads = 0;
    let release: () => void = () => {};
    const allRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racing = {
      send: async (command: unknown) => {
        const answer = await documentClient.send(command as GetCommand);
        if (command instanceof GetCommand && emptyReads < racers) {
          emptyReads += 1;
          if (emptyReads === racers) release();
          await allRead;
        }
        return answer;
      },
    } as unknown as DynamoDBDocumentClient;
    let generated = 0;
    const containers = Array.from(
      { length: racers },
      (_, index) =>
        new DynamoSessionKeyMaterial(racing, tableName, {
          generate: () => {
            generated += 1;
            return `material-of-container-${index}-`.padEnd(64, 'x');
          },
        }),
    );

    const materials = await Promise.all(containers.map((container) => container.read()));

    expect(generated).toBe(racers);
    expect(new Set(materials).size).toBe(1);
    expect((await storedItem())?.material).toBe(materials[0]);
  });

  it('keeps the material for the cache time, then picks up a new one after the item was deleted', async () => {
    let nowMs = 0;
    const container = new DynamoSessionKeyMaterial(documentClient, tableName, { nowMs: () => nowMs, cacheMs: 1000 });
    const before = await container.read();

    await documentClient.send(new DeleteCommand({ TableName: tableName, Key: SESSION_KEY_ITEM }));
    nowMs = 999;
    const cached = await container.read();
    nowMs = 1000;
    const after = await container.read();

    expect(cached).toBe(before);
    expect(after).not.toBe(before);
    expect((await storedItem())?.material).toBe(after);
  });

  it('shares one read between concurrent callers of a container', async () => {
    let generated = 0;
    const container = new DynamoSessionKeyMaterial(documentClient, tableName, {
      generate: () => {
        generated += 1;
        return `only-one-${generated}`.padEnd(64, 'y');
      },
    });

    const materials = await Promise.all([container.read(), container.read(), container.read()]);

    expect(generated).toBe(1);
    expect(new Set(materials).size).toBe(1);
  });
});
