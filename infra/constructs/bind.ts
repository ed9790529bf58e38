import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/*
 * Each helper sets the environment variable a function reads AND grants the permission that use needs, in one call,
 * so a function can never hold an address without the right to use it, nor a right it has no address for (STYLE §7).
 * Env var names come from `#shared/env-names.ts` (via `infra/resources.ts`), which the function code reads too.
 */

/** Item reads, including the condition checks of transactions (`TransactWriteItems` is authorized per action). */
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * Gives `fn` the table's name in `envVar` and item-level access to the table and the named indexes.
 * `read` grants reads only; `readWrite` adds writes, deletes and transactions. Never `dynamodb:*`, never `*`
 * resources, and never `<table>/index/*` (what `Table.grantReadData` grants): each index is named, so an index added
 * later is not readable until it is bound here. No Scan, no stream reads, no DescribeTable: the code uses none.
 */
export function bindTable(
  fn: lambda.Function,
  table: dynamodb.ITable,
  envVar: string,
  access: 'read' | 'readWrite',
  indexNames: readonly string[],
): void {
  fn.addEnvironment(envVar, table.tableName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      resources: [table.tableArn, ...indexNames.map((name) => `${table.tableArn}/index/${name}`)],
    }),
  );
}

/**
 * Gives `fn` the queue's URL in `envVar`. `send` allows sending only (a producer cannot read or delete what it
 * queued); `consume` allows receive, delete and visibility changes, for a consumer that polls the queue itself.
 * (An SQS event source grants its own consume rights; bind with `consume` only when the code needs the URL.)
 */
export function bindQueue(fn: lambda.Function, queue: sqs.IQueue, envVar: string, access: 'send' | 'consume'): void {
  fn.addEnvironment(envVar, queue.queueUrl);
  if (access === 'send') queue.grantSendMessages(fn);
  else queue.grantConsumeMessages(fn);
}

/** Gives `fn` the topic's ARN in `envVar` and the right to publish to it (and nothing else: no subscribe). */
export function bindTopic(fn: lambda.Function, topic: sns.ITopic, envVar: string): void {
  fn.addEnvironment(envVar, topic.topicArn);
  topic.grantPublish(fn);
}

/**
 * Gives `fn` the secret's ARN in `envVar` and the right to read its value. The value itself never goes into the
 * environment, where anyone allowed to read the function's configuration could see it.
 */
export function bindSecret(fn: lambda.Function, secret: secretsmanager.ISecret, envVar: string): void {
  fn.addEnvironment(envVar, secret.secretArn);
  secret.grantRead(fn);
}
