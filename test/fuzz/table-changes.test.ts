import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { createDynamoDbClient } from '#shared/adapters/aws-clients.ts';
import { netChanges, TableChanges } from '#test/fuzz/table-changes.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * The fuzz suite's state check reads the table's stream: it must see every change a Scan before and after would see,
 * and only those (an identical write, or a write undone before the reading, changes nothing).
 */
describe("the fuzz suite's reading of table changes (DynamoDB Local's stream)", () => {
  const { endpoints, documentClient } = localClients();
  let table: string;
  let changes: TableChanges;
  const put = (item: Record<string, unknown>) => documentClient.send(new PutCommand({ TableName: table, Item: item }));

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    table = env[MAIN_TABLE.envVar] ?? '';
    changes = await TableChanges.start(createDynamoDbClient(endpoints), endpoints.dynamodb ?? '', table);
  });

  it('sees an item added, changed and removed, each once, and nothing when nothing was written', async () => {
    const pk = `FUZZ#${randomUUID()}`;

    await put({ pk, sk: 'A', value: 1 });
    await put({ pk, sk: 'B', value: 1 });
    const added = netChanges(await changes.read());
    await put({ pk, sk: 'A', value: 2 });
    const changed = netChanges(await changes.read());
    await documentClient.send(new DeleteCommand({ TableName: table, Key: { pk, sk: 'B' } }));
    const removed = netChanges(await changes.read());
    const quiet = await changes.read();

    expect(added.map((c) => `${c.event} ${c.key}`)).toEqual([`INSERT ${pk}|A`, `INSERT ${pk}|B`]);
    expect(changed.map((c) => `${c.event} ${c.key}`)).toEqual([`MODIFY ${pk}|A`]);
    expect(changed[0]?.after?.value).toEqual({ N: '2' });
    expect(removed.map((c) => `${c.event} ${c.key}`)).toEqual([`REMOVE ${pk}|B`]);
    expect(quiet).toEqual([]);
  });

  it('counts no change for a write of the same item, or one undone before the reading', async () => {
    const pk = `FUZZ#${randomUUID()}`;
    await put({ pk, sk: 'A', value: 1, tags: ['x', 'y'] });
    await changes.read();

    await put({ pk, sk: 'A', value: 1, tags: ['x', 'y'] });
    await put({ pk, sk: 'TEMP', value: 1 });
    await documentClient.send(new DeleteCommand({ TableName: table, Key: { pk, sk: 'TEMP' } }));
    await put({ pk, sk: 'A', value: 3, tags: ['x', 'y'] });
    await put({ pk, sk: 'A', value: 1, tags: ['x', 'y'] });

    expect(netChanges(await changes.read())).toEqual([]);
  });
});
