import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  ALERTS_TOPIC,
  CONTACT_EVENTS_QUEUE,
  DEAD_LETTER_QUEUE,
  DELIVERY_EVENTS_TOPIC,
  NOTIFICATIONS_QUEUE,
  QUEUES,
  type QueueDefinition,
  TABLES,
  type TableDefinition,
  TOPICS,
} from '#infra/resources.ts';

/** Names and addresses of the provisioned local resources, as environment variables for the handlers. */
export type ResourceEnv = Record<string, string>;

export interface ProvisionClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export interface ProvisionOptions {
  /**
   * Tables to use as they are instead of creating `<prefix>-<id>`, by table id (`Main`): the local counterpart of the
   * CDK app's `tableName` setting, for a restore drill on a copied table (docs/restore.md).
   */
  readonly existingTables?: Readonly<Record<string, string>>;
}

/**
 * Creates the tables, queues (with the one dead-letter queue they share) and topics of `infra/resources.ts` in
 * DynamoDB Local and fauxqs: the same definitions the CDK stateful stack deploys. Safe to run again on existing
 * resources.
 *
 * @param prefix distinguishes several systems in one DynamoDB Local / fauxqs (tests use one prefix per suite).
 * @returns the environment variables the handlers read (`TABLE_NAME`, `USAGE_QUEUE_URL`, …).
 */
export async function provisionLocalResources(
  clients: ProvisionClients,
  prefix: string,
  options: ProvisionOptions = {},
): Promise<ResourceEnv> {
  const env: ResourceEnv = {};
  for (const table of TABLES) {
    const existing = options.existingTables?.[table.id];
    env[table.envVar] = existing
      ? await requireTable(clients.dynamodb, existing)
      : await createTable(clients.dynamodb, table, `${prefix}-${table.id}`);
  }
  const deadLetterArn = await createDeadLetterQueue(clients.sqs, `${prefix}-${DEAD_LETTER_QUEUE.id}`);
  for (const queue of QUEUES) {
    env[queue.envVar] = await createQueue(clients.sqs, queue, `${prefix}-${queue.id}`, deadLetterArn);
  }
  for (const topic of TOPICS) {
    const created = await clients.sns.send(new CreateTopicCommand({ Name: `${prefix}-${topic.id}` }));
    env[topic.envVar] = created.TopicArn ?? '';
  }
  // As infra/constructs/alert-delivery.ts does in AWS: the notifier's queue receives every alert, raw.
  await subscribeQueue(clients, env[ALERTS_TOPIC.envVar] ?? '', env[NOTIFICATIONS_QUEUE.envVar] ?? '');
  // As infra/constructs/contact-events.ts wires it in AWS: delivery events reach the contact-events queue as they
  // were published (raw). Nothing publishes here by itself (the local channels emit no events): a test or a person
  // publishes an SES- or SMS-shaped event to the topic (docs/local-mode.md).
  await subscribeQueue(clients, env[DELIVERY_EVENTS_TOPIC.envVar] ?? '', env[CONTACT_EVENTS_QUEUE.envVar] ?? '');
  return env;
}

/** Subscribes a queue to a topic with raw message delivery; subscribing again is harmless (SNS keeps one). */
async function subscribeQueue(clients: ProvisionClients, topicArn: string, queueUrl: string): Promise<void> {
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = attributes.Attributes?.QueueArn;
  if (!queueArn) throw new Error(`Queue ${queueUrl} has no ARN`);
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
}

/**
 * The CreateTable request of a table definition: its key schema, global indexes and on-demand billing, as the CDK
 * stateful stack declares them for AWS.
 */
export function createTableInput(table: TableDefinition, name: string): CreateTableCommandInput {
  const keyAttributes = new Set([
    table.partitionKey,
    table.sortKey,
    ...table.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ]);
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...keyAttributes].map((attribute) => ({ AttributeName: attribute, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

async function createTable(client: DynamoDBClient, table: TableDefinition, name: string): Promise<string> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table, name)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    await client.send(new DescribeTableCommand({ TableName: name }));
  }
  return name;
}

/** @throws Error naming the table when it does not exist (a restore drill pointed at the wrong name). */
async function requireTable(client: DynamoDBClient, name: string): Promise<string> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new Error(`Table ${name} does not exist in DynamoDB Local: copy or restore it before starting on it`);
    }
    throw error;
  }
  return name;
}

/** `DEAD_LETTER_QUEUE`, as the stateful stack builds it: one for every queue, kept 14 days. @returns its ARN. */
async function createDeadLetterQueue(client: SQSClient, name: string): Promise<string> {
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { MessageRetentionPeriod: String(DEAD_LETTER_QUEUE.retentionDays * 24 * 3600) },
    }),
  );
  const attributes = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`fauxqs returned no ARN for queue ${name}`);
  return arn;
}

async function createQueue(
  client: SQSClient,
  queue: QueueDefinition,
  name: string,
  deadLetterArn: string,
): Promise<string> {
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(queue.retentionDays * 24 * 3600),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: queue.maxReceiveCount }),
      },
    }),
  );
  if (!created.QueueUrl) throw new Error(`fauxqs returned no URL for queue ${name}`);
  return created.QueueUrl;
}
