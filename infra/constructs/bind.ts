import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { ACCESS_INDEX_NAME, type TableAccess, tableAccessStatements } from '#infra/table-access.ts';

/*
 * Each helper sets the environment variable a function reads AND grants the permission that use needs, in one call,
 * so a function can never hold an address without the right to use it, nor a right it has no address for (STYLE §7).
 * Env var names come from `#shared/env-names.ts` (via `infra/resources.ts`), which the function code reads too.
 */

/**
 * Gives `fn` the table's name in `envVar` and exactly the item access `access` declares (infra/table-access.ts): per
 * group of partitions, the item actions used on them, on the table's ARN, with a `ForAllValues:StringLike`
 * condition on `dynamodb:LeadingKeys`; and `Query` on the main table's global index (named, never
 * `<table>/index/*`) restricted to the declared index partitions. Never `dynamodb:*`, never `*` resources, no Scan,
 * no stream reads, no DescribeTable: the code uses none.
 */
export function bindTable(fn: lambda.Function, table: dynamodb.ITable, envVar: string, access: TableAccess): void {
  fn.addEnvironment(envVar, table.tableName);
  for (const statement of tableAccessStatements(access)) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...statement.actions],
        resources: [statement.resource === 'table' ? table.tableArn : `${table.tableArn}/index/${ACCESS_INDEX_NAME}`],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...statement.leadingKeys] } },
      }),
    );
  }
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
  // GetSecretValue only: `grantRead` adds DescribeSecret (the secret's metadata, rotation and versions), which the
  // functions never call (Powertools getSecret reads the value). The resource is what `grantRead` names: the full
  // ARN, or the partial one with the six characters Secrets Manager appends.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
    }),
  );
  // A secret encrypted with a customer key also needs decrypt on it (none is today: the AWS managed key).
  secret.encryptionKey?.grantDecrypt(fn);
}
