import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_ANSWERS_FUNCTION } from '#infra/functions.ts';
import { createTableInput } from '#infra/local/provision.ts';
import {
  DEAD_LETTER_QUEUE,
  MAIN_TABLE,
  OPERATION_ANSWERS_QUEUE,
  QUEUES,
  TOPICS,
  USAGE_QUEUE,
} from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { testApp } from '#test/infra/cdk-test-app.ts';

const FOURTEEN_DAYS = 14 * 24 * 3600;

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

describe('StatefulStack', () => {
  let stack: StatefulStack;
  let template: Template;

  beforeAll(() => {
    stack = new StatefulStack(testApp(), 'TestStateful');
    template = Template.fromStack(stack);
  });

  const logicalId = (resource: { node: { defaultChild?: unknown } }) =>
    stack.resolve(stack.getLogicalId(resource.node.defaultChild as never)) as string;

  const queues = () => template.findResources('AWS::SQS::Queue') as Record<string, Resource>;
  const redrivePolicies = () =>
    Object.values(queues())
      .map((queue) => queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number })
      .filter((policy) => policy !== undefined);
  const deadLetterQueueIds = () =>
    redrivePolicies().map(
      (policy) => (policy.deadLetterTargetArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );

  describe('the table', () => {
    it('bills on demand, keeps point-in-time backups, is encrypted with the AWS-managed key and survives stack deletion', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          // SSEEnabled without a key id means KMS with the AWS-managed key (no customer key to pay for or lose).
          SSESpecification: Match.exact({ SSEEnabled: true }),
        }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('has the keys, global index and TTL attribute of infra/resources.ts', () => {
      const [index] = MAIN_TABLE.globalIndexes;
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: MAIN_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: MAIN_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: index?.name,
            KeySchema: [
              { AttributeName: index?.partitionKey, KeyType: 'HASH' },
              { AttributeName: index?.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: MAIN_TABLE.ttlAttribute, Enabled: true },
      });
    });

    it('has the key schema of table-keys.ts, the same one local mode provisions in DynamoDB Local', () => {
      const { partitionKey, sortKey, index } = MAIN_TABLE_KEYS;
      const keySchema = (hash: string, range: string) => [
        { AttributeName: hash, KeyType: 'HASH' },
        { AttributeName: range, KeyType: 'RANGE' },
      ];
      const expected = {
        KeySchema: keySchema(partitionKey, sortKey),
        GlobalSecondaryIndexes: [
          {
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        attributes: [partitionKey, sortKey, index.partitionKey, index.sortKey].sort(),
      };
      const [deployed] = Object.values(template.findResources('AWS::DynamoDB::Table')) as Resource[];
      const local = createTableInput(MAIN_TABLE, 'local-main');
      const shapeOf = (table: {
        KeySchema?: unknown;
        GlobalSecondaryIndexes?: unknown;
        AttributeDefinitions?: { AttributeName?: string }[];
      }) => ({
        KeySchema: table.KeySchema,
        GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
        attributes: (table.AttributeDefinitions ?? []).map((attribute) => attribute.AttributeName).sort(),
      });

      expect(shapeOf(deployed?.Properties as Parameters<typeof shapeOf>[0])).toEqual(expected);
      expect(shapeOf(local)).toEqual(expected);
      expect(deployed?.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: MAIN_TABLE_KEYS.ttlAttribute,
        Enabled: true,
      });
    });
  });

  describe('the queues', () => {
    it('gives every queue of infra/resources.ts a redrive policy to the one dead-letter queue after its maxReceiveCount', () => {
      const policies = redrivePolicies();
      expect(policies).toHaveLength(QUEUES.length);
      expect(policies.map((policy) => policy.maxReceiveCount).sort()).toEqual(
        QUEUES.map((queue) => queue.maxReceiveCount).sort(),
      );
      // The work queues and one dead-letter queue (DEAD_LETTER_QUEUE), which every redrive policy names.
      expect(Object.keys(queues())).toHaveLength(QUEUES.length + 1);
      expect(new Set(deadLetterQueueIds())).toEqual(new Set([logicalId(stack.deadLetterQueue)]));
    });

    it('points the usage queue at the dead-letter queue, with its visibility timeout and retention', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: USAGE_QUEUE.visibilityTimeoutSeconds,
        MessageRetentionPeriod: USAGE_QUEUE.retentionDays * 24 * 3600,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.deadLetterQueue), 'Arn'] },
          maxReceiveCount: USAGE_QUEUE.maxReceiveCount,
        },
      });
    });

    it('gives the operation-answers queue a visibility of six consumer timeouts', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 6 * (OPERATION_ANSWERS_FUNCTION.timeoutSeconds ?? 0),
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.deadLetterQueue), 'Arn'] },
          maxReceiveCount: OPERATION_ANSWERS_QUEUE.maxReceiveCount,
        },
      });
    });

    it('keeps dead letters for 14 days, at least as long as any source queue keeps a message', () => {
      const retention = queues()[logicalId(stack.deadLetterQueue)]?.Properties.MessageRetentionPeriod;
      expect(retention).toBe(FOURTEEN_DAYS);
      expect(DEAD_LETTER_QUEUE.retentionDays).toBeGreaterThanOrEqual(Math.max(...QUEUES.map((q) => q.retentionDays)));
    });

    it('encrypts every queue at rest, refuses unencrypted connections and retains the queues on stack deletion', () => {
      for (const [id, queue] of Object.entries(queues())) {
        expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
        expect(queue.DeletionPolicy, id).toBe('Retain');
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('raises one alarm as soon as any message is visible in the dead-letter queue, whatever its source', () => {
      const onDeadLetters = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
      );
      expect(onDeadLetters).toHaveLength(1);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp('DeadLetterQueueSourceArn.*docs/operate.md#deadlettersalarm'),
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.deadLetterQueue), 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'ignore',
      });
      expect(stack.deadLettersAlarm.node.id).toBe('DeadLettersAlarm');
    });
  });

  describe('the topics', () => {
    it('creates every topic of infra/resources.ts and refuses unencrypted publishing to them', () => {
      template.resourceCountIs('AWS::SNS::Topic', TOPICS.length);
      for (const definition of TOPICS) {
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: logicalId(stack.topicFor(definition)) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });
  });

  describe('the secrets', () => {
    it('creates no Secrets Manager secret by default: it names the two client secrets’ parameters instead', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      template.hasOutput('EntraClientSecretParameter', { Value: '/Marketplace/entra/client-secret' });
      template.hasOutput('SignInClientSecretParameter', { Value: '/Marketplace/sign-in/client-secret' });
      template.hasOutput('TableName', {});
    });
  });
});
