import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '#infra/functions.ts';
import {
  asFunction,
  DynamoDbAccessRefused,
  installDynamoDbAccessGuard,
  takeRefusedDynamoDbRequests,
} from '#infra/local/dynamodb-access-guard.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { createDocumentClient, createDynamoDbClient } from '#shared/adapters/aws-clients.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import { localEndpoints, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/** A function that reads subscriptions and writes (never deletes) alert records, and queries one index partition. */
const READER: FunctionDefinition = {
  id: 'Reader',
  entry: 'functions/none.ts',
  description: 'test function',
  uses: {
    table: {
      items: { GetItem: [TABLE_PARTITION.subscription], PutItem: [TABLE_PARTITION.alert] },
      indexQuery: [INDEX_PARTITION.subscriptionStatus],
    },
  },
};
const NO_TABLE: FunctionDefinition = { ...READER, id: 'NoTable', uses: {} };

describe('the local check of each function’s declared table access (DynamoDB Local)', () => {
  let uninstall: () => void;
  let tableName: string;
  let client: ReturnType<typeof createDocumentClient>;

  beforeAll(async () => {
    uninstall = installDynamoDbAccessGuard();
    tableName = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
    client = createDocumentClient(localEndpoints());
  });
  afterAll(() => uninstall());

  /** Runs `send` as `definition` and returns the refusal, if any (and forgets it: the refusals here are expected). */
  async function refusalOf(definition: FunctionDefinition, send: () => Promise<unknown>) {
    const error = await asFunction(definition, send)().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    takeRefusedDynamoDbRequests();
    return error;
  }

  it('lets a function do what it declared, on the partitions it declared', async () => {
    const get = () => client.send(new GetCommand({ TableName: tableName, Key: { pk: 'SUB#s-1', sk: 'SUBSCRIPTION' } }));
    const put = () => client.send(new PutCommand({ TableName: tableName, Item: { pk: 'ALERT#k-1', sk: 'ALERT' } }));
    const query = () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: MAIN_INDEX_NAME,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'gsi1pk' },
          ExpressionAttributeValues: { ':pk': 'SUBSTATUS#Subscribed' },
        }),
      );
    expect(await refusalOf(READER, get)).toBeUndefined();
    expect(await refusalOf(READER, put)).toBeUndefined();
    expect(await refusalOf(READER, query)).toBeUndefined();
  });

  it('refuses another partition, naming the function, the action and the key', async () => {
    const error = await refusalOf(READER, () =>
      client.send(new GetCommand({ TableName: tableName, Key: { pk: 'APIKEY#k', sk: 'APIKEY' } })),
    );
    expect(error).toBeInstanceOf(DynamoDbAccessRefused);
    expect((error as Error).message).toContain("function Reader may not GetItem on partition key 'APIKEY#k'");
  });

  it('refuses an action not declared, on a declared partition', async () => {
    const error = await refusalOf(READER, () =>
      client.send(new PutCommand({ TableName: tableName, Item: { pk: 'SUB#s-1', sk: 'SUBSCRIPTION' } })),
    );
    expect((error as Error).message).toContain("function Reader may not PutItem on partition key 'SUB#s-1'");
  });

  it('checks each part of a transaction as its own item action', async () => {
    const error = await refusalOf(READER, () =>
      client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { pk: 'ALERT#k-2', sk: 'ALERT' } } },
            { Delete: { TableName: tableName, Key: { pk: 'ALERT#k-1', sk: 'ALERT' } } },
          ],
        }),
      ),
    );
    expect((error as Error).message).toContain("may not DeleteItem on partition key 'ALERT#k-1'");
  });

  it('refuses a batch write holding any undeclared partition, and a query of another index partition', async () => {
    const batch = await refusalOf(READER, () =>
      client.send(
        new BatchWriteCommand({
          RequestItems: { [tableName]: [{ PutRequest: { Item: { pk: 'ALERT#k-3', sk: 'ALERT' } } }] },
        }),
      ),
    );
    expect((batch as Error).message).toContain("may not BatchWriteItem on partition key 'ALERT#k-3'");
    const query = await refusalOf(READER, () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: MAIN_INDEX_NAME,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': 'UNREPORTED#0' },
        }),
      ),
    );
    expect((query as Error).message).toContain(
      `may not Query index ${MAIN_INDEX_NAME} on partition key 'UNREPORTED#0'`,
    );
  });

  it('refuses Scan and table management to every function, and everything to one without table access', async () => {
    expect(await refusalOf(READER, () => client.send(new ScanCommand({ TableName: tableName })))).toBeInstanceOf(
      DynamoDbAccessRefused,
    );
    const low = createDynamoDbClient(localEndpoints());
    const create = await refusalOf(READER, () =>
      low.send(
        new CreateTableCommand({
          TableName: `${tableName}-other`,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      ),
    );
    expect((create as Error).message).toContain('function Reader may not CreateTable');
    const none = await refusalOf(NO_TABLE, () =>
      client.send(new GetCommand({ TableName: tableName, Key: { pk: 'SUB#s-1', sk: 'SUBSCRIPTION' } })),
    );
    expect((none as Error).message).toContain("function NoTable may not GetItem on partition key 'SUB#s-1'");
  });

  it('keeps the refusals a function swallowed, for the test set-up to report', async () => {
    await asFunction(READER, async () => {
      await client
        .send(new DeleteCommand({ TableName: tableName, Key: { pk: 'SUB#s-1', sk: 'BUDGET' } }))
        .catch(() => undefined);
    })();
    expect(takeRefusedDynamoDbRequests().map((refusal) => refusal.action)).toEqual(['DeleteItem']);
    expect(takeRefusedDynamoDbRequests()).toEqual([]);
  });

  it('leaves requests made outside any function unchecked (test set-up, tools)', async () => {
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'APIKEY#k', sk: 'APIKEY' } }));
    expect(takeRefusedDynamoDbRequests()).toEqual([]);
  });
});
