/**
 * The benchmarks' operation counter (test/bench/bench-support.ts) against DynamoDB Local and fauxqs: the request
 * units, SQS requests and SNS publishes it counts are the ones AWS's billing rules give for hand-computed requests.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE_INGEST_FUNCTION } from '#infra/functions.ts';
import { ENV } from '#shared/env-names.ts';
import { countsOf, countWriteUnits, inPhase, instrumentAws, invokeFunction } from '#test/bench/bench-support.ts';
import { localClients, localEndpoints, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

let table = '';
let queueUrl = '';
let topicArn = '';
let dynamodb: DynamoDBClient;
const clients = localClients();

/** A string attribute of about `bytes` bytes, so an item's size is what a test needs. */
const filler = (bytes: number) => ({ S: 'x'.repeat(bytes) });
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'item' } });

beforeAll(async () => {
  const resources = await provisionIsolatedResources();
  table = resources[ENV.tableName] ?? '';
  queueUrl = resources[ENV.usageQueueUrl] ?? '';
  topicArn = resources[ENV.alertsTopicArn] ?? '';
  // The counter's own sizing reads go to the endpoint the handlers' environment names.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = localEndpoints().dynamodb;
  dynamodb = new DynamoDBClient({
    endpoint: localEndpoints().dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  instrumentAws();
});

describe('DynamoDB request units', () => {
  it('counts a transaction of 3 puts of 0.5 KB as 6 WRU (DynamoDB Local itself reports 2)', async () => {
    await inPhase('tx3', () =>
      dynamodb.send(
        new TransactWriteItemsCommand({
          TransactItems: ['a', 'b', 'c'].map((pk) => ({
            Put: { TableName: table, Item: { ...key(`tx-${pk}`), v: filler(480) } },
          })),
        }),
      ),
    );
    expect(countsOf('tx3').writeRequestUnits).toBe(6);
    expect(countsOf('tx3').writeItems).toBe(3);
  });

  it('charges a put the larger of the old and the new item', async () => {
    await inPhase('put-big', () =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key('big'), v: filler(1500) } })),
    );
    await inPhase('put-over', () =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key('big'), v: filler(300) } })),
    );
    expect(countsOf('put-big').writeRequestUnits).toBe(2);
    expect(countsOf('put-over').writeRequestUnits).toBe(2);
  });

  it('adds the global index writes: a new entry, a moved entry (delete + put), a removed entry', async () => {
    const item = { ...key('indexed'), gsi1pk: { S: 'UNREPORTED' }, gsi1sk: { S: '2026-12-07T01' }, v: filler(400) };
    await inPhase('gsi-put', () => dynamodb.send(new PutItemCommand({ TableName: table, Item: item })));
    await inPhase('gsi-move', () =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key('indexed'),
          UpdateExpression: 'SET gsi1sk = :sk',
          ExpressionAttributeValues: { ':sk': { S: '2026-12-07T02' } },
        }),
      ),
    );
    await inPhase('gsi-remove', () =>
      dynamodb.send(
        new UpdateItemCommand({ TableName: table, Key: key('indexed'), UpdateExpression: 'REMOVE gsi1pk' }),
      ),
    );
    expect(countsOf('gsi-put').writeRequestUnits).toBe(2); // table 1 + index 1
    expect(countsOf('gsi-move').writeRequestUnits).toBe(3); // table 1 + index delete 1 + index put 1
    expect(countsOf('gsi-remove').writeRequestUnits).toBe(2); // table 1 + index delete 1
  });

  it('doubles a transactional update that grows an item past 1 KB', async () => {
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key('grow'), v: filler(100) } }));
    await inPhase('tx-grow', () =>
      dynamodb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: key('grow'),
                UpdateExpression: 'SET w = :w',
                ExpressionAttributeValues: { ':w': filler(1400) },
              },
            },
          ],
        }),
      ),
    );
    expect(countsOf('tx-grow').writeRequestUnits).toBe(4); // 1.5 KB after → 2 KB × 2
  });

  it('charges a write refused by its condition, for the item already there', async () => {
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key('taken'), v: filler(1500) } }));
    await expect(
      inPhase('refused', () =>
        dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...key('taken'), v: filler(10) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    ).rejects.toThrow();
    expect(countsOf('refused').writeRequestUnits).toBe(2);
  });

  it('counts the document client’s writes from their marshalled items', async () => {
    await inPhase('document', () =>
      clients.documentClient.send(
        new PutCommand({ TableName: table, Item: { pk: 'doc', sk: 'item', v: 'y'.repeat(1100) } }),
      ),
    );
    expect(countsOf('document').writeRequestUnits).toBe(2);
  });

  it('asks for the read units of the document client’s reads too', async () => {
    const answer = await inPhase('document-read', () =>
      clients.documentClient.send(new GetCommand({ TableName: table, Key: { pk: 'doc', sk: 'item' } })),
    );
    expect(answer.Item?.pk).toBe('doc');
    expect(countsOf('document-read').readRequestUnits).toBe(0.5);
  });

  it('counts writes but not their units while write sizing is off (a throughput pass)', async () => {
    countWriteUnits(false);
    try {
      await inPhase('unsized', () =>
        dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key('unsized'), v: filler(10) } })),
      );
    } finally {
      countWriteUnits(true);
    }
    expect(countsOf('unsized')).toMatchObject({ writeItems: 1, writeRequests: 1, writeRequestUnits: 0 });
  });

  it('takes read units from DynamoDB: half for an eventually consistent read, one for a strong one', async () => {
    await inPhase('read-eventual', () => dynamodb.send(new GetItemCommand({ TableName: table, Key: key('big') })));
    await inPhase('read-strong', () =>
      dynamodb.send(new GetItemCommand({ TableName: table, Key: key('big'), ConsistentRead: true })),
    );
    expect(countsOf('read-eventual').readRequestUnits).toBe(0.5);
    expect(countsOf('read-strong').readRequestUnits).toBe(1);
  });

  it('charges a read that found nothing the minimum AWS charges (DynamoDB Local reports 0)', async () => {
    const nothing = {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'none' } },
    };
    await inPhase('empty-query', () => dynamodb.send(new QueryCommand(nothing)));
    await inPhase('empty-strong-query', () => dynamodb.send(new QueryCommand({ ...nothing, ConsistentRead: true })));
    await inPhase('missing-get', () => dynamodb.send(new GetItemCommand({ TableName: table, Key: key('none') })));
    expect(countsOf('empty-query').readRequestUnits).toBe(0.5);
    expect(countsOf('empty-strong-query').readRequestUnits).toBe(1);
    expect(countsOf('missing-get').readRequestUnits).toBe(0.5);
  });
});

describe('SQS and SNS requests', () => {
  it('bills each started 64 KB of a message as one request, for the send and the receive alike', async () => {
    await inPhase('sqs', async () => {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'm'.repeat(70 * 1024) }));
      const { Messages } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }),
      );
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: Messages?.[0]?.ReceiptHandle ?? '' }),
      );
    });
    // send 2 (70 KB) + receive 2 + delete 1
    expect(countsOf('sqs').sqsRequests).toBe(5);
    expect(countsOf('sqs').byCommand).toEqual({ SendMessage: 1, ReceiveMessage: 1, DeleteMessage: 1 });
  });

  it('keeps receives that found nothing apart from the billed requests', async () => {
    await inPhase('sqs-empty', () =>
      clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })),
    );
    expect(countsOf('sqs-empty').sqsRequests).toBe(0);
    expect(countsOf('sqs-empty').sqsEmptyReceives).toBe(1);
  });

  it('bills an SNS publish per started 64 KB', async () => {
    await inPhase('sns', async () => {
      await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'small' }));
      await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'p'.repeat(100 * 1024) }));
    });
    expect(countsOf('sns').snsPublishes).toBe(3);
  });
});

describe('Lambda invocations', () => {
  it('counts an invocation, its HTTP API request and its GB-seconds at the function’s memory', async () => {
    const event = { body: '{"events":[]}', headers: { 'content-type': 'application/json' }, rawPath: '/v1/usage' };
    const answer = await inPhase('lambda', () =>
      invokeFunction({ ...USAGE_INGEST_FUNCTION, memoryMb: 512 }, async () => 'done', { httpApiRequest: event }),
    );
    const counted = countsOf('lambda');
    expect(answer).toBe('done');
    expect(counted.lambdaInvocations).toBe(1);
    expect(counted.byFunction).toEqual({ UsageIngest: 1 });
    expect(counted.httpApiRequests).toBe(1);
    // 512 MB = 0.5 GB, the measured duration rounded up to the millisecond.
    expect(counted.lambdaGbSeconds.toNumber()).toBeCloseTo((0.5 * Math.ceil(counted.lambdaMilliseconds)) / 1000, 12);
  });
});
