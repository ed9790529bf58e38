import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_NOTIFICATION_EVENTS } from '#infra/constructs/table-backup.ts';
import { DEFAULT_BACKUP_RETENTION_DAYS, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { QUEUES, TOPICS } from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import { actionsOf, resourcesOf, statementsOfFunctionRole, TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** Both stacks as infra/app.ts builds them, with the settings read from this context. */
function synthesize(context: Record<string, unknown>) {
  const app: App = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, 'ProtectedStateful', { settings });
  const stateless = new StatelessStack(app, 'ProtectedStateless', { stateful, catalog: TEST_CATALOG, settings });
  const assembly = app.synth();
  return {
    stateful: Template.fromStack(stateful),
    stateless: Template.fromStack(stateless),
    statelessStack: stateless,
    statefulArtifact: assembly.getStackByName(stateful.stackName),
  };
}

type Synthesized = ReturnType<typeof synthesize>;

/** The function's logical id in the stateless template (its construct id, then CDK's hash). */
function functionLogicalId(template: Template, functionId: string): string {
  const id = Object.keys(template.findResources('AWS::Lambda::Function')).find((logicalId) =>
    logicalId.startsWith(functionId),
  );
  if (!id) throw new Error(`No function ${functionId} in the template`);
  return id;
}

describe('protected data', () => {
  let defaults: Synthesized;

  beforeAll(() => {
    defaults = synthesize({});
  });

  it('refuses to delete the table: deletion protection on, and retained when the stack goes', () => {
    defaults.stateful.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
    });
  });

  it('protects the stateful stack from termination, in the stack and in the cloud assembly cdk deploy reads', () => {
    expect(defaults.statefulArtifact.terminationProtection).toBe(true);
  });

  it('copies the table weekly into a retained vault that refuses deleting copies, kept 91 days by default', () => {
    expect(DEFAULT_BACKUP_RETENTION_DAYS).toBe(91);
    const tableId = Object.keys(defaults.stateful.findResources('AWS::DynamoDB::Table'))[0];
    defaults.stateful.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AccessPolicy: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: Match.arrayWith(['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle']),
            }),
          ]),
        }),
      }),
    });
    defaults.stateful.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({
        BackupPlanRule: [
          Match.objectLike({
            ScheduleExpression: 'cron(0 3 ? * SUN *)',
            Lifecycle: { DeleteAfterDays: DEFAULT_BACKUP_RETENTION_DAYS },
          }),
        ],
      }),
    });
    defaults.stateful.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] }),
    });
    const vaultId = Object.keys(defaults.stateful.findResources('AWS::Backup::BackupVault'))[0];
    defaults.stateful.hasOutput('BackupVaultName', { Value: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] } });
  });

  it('has the vault tell the operations topic how each backup job ended (no alarm), the topic letting AWS Backup publish', () => {
    const operations = Object.keys(defaults.stateful.findResources('AWS::SNS::Topic')).find((id) =>
      id.startsWith('Operations'),
    );
    defaults.stateful.hasResourceProperties('AWS::Backup::BackupVault', {
      Notifications: {
        SNSTopicArn: { Ref: operations },
        BackupVaultEvents: ['BACKUP_JOB_COMPLETED', 'COPY_JOB_FAILED', 'RESTORE_JOB_COMPLETED'],
      },
    });
    // AWS Backup no longer sends BACKUP_JOB_FAILED or BACKUP_JOB_EXPIRED: a failure comes as a completed job's state.
    expect(BACKUP_NOTIFICATION_EVENTS).not.toContain('BACKUP_JOB_FAILED');
    defaults.stateful.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: operations }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'backup.amazonaws.com' },
          }),
        ]),
      },
    });
    const onBackups = Object.values(defaults.stateful.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      JSON.stringify(alarm.Properties).includes('AWS/Backup'),
    );
    expect(onBackups).toEqual([]);
  });

  it('takes the retention from backupRetentionDays, and builds no backup at all with 0 (a throwaway stack)', () => {
    const shortLived = synthesize({ backupRetentionDays: '7' });
    shortLived.stateful.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({ BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 7 } })] }),
    });

    const throwaway = synthesize({ backupRetentionDays: 0 });
    for (const type of ['AWS::Backup::BackupVault', 'AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection']) {
      throwaway.stateful.resourceCountIs(type, 0);
    }
    // The table keeps its own protections.
    throwaway.stateful.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });
});

describe('a restored table (tableName setting)', () => {
  const RESTORED = 'marketplace-main-restored-20260105';
  let restored: Synthesized;

  beforeAll(() => {
    restored = synthesize({ tableName: RESTORED });
  });

  it('creates no table: the stacks use the restored one, never a second', () => {
    restored.stateful.resourceCountIs('AWS::DynamoDB::Table', 0);
    restored.stateless.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it("points every table-using function at the restored table's name and grants it on that table's ARN only", () => {
    const tableUsers = FUNCTIONS.filter((definition) => definition.uses.table);
    expect(tableUsers.length).toBeGreaterThan(0);
    const tableArn = `arn:${restored.statelessStack.partition}:dynamodb:${restored.statelessStack.region}:${restored.statelessStack.account}:table/${RESTORED}`;
    const resolvedArn = JSON.stringify(restored.statelessStack.resolve(tableArn));
    for (const definition of tableUsers) {
      const logicalId = functionLogicalId(restored.stateless, definition.id);
      const fn = restored.stateless.findResources('AWS::Lambda::Function')[logicalId];
      expect(fn?.Properties.Environment.Variables[ENV.tableName], definition.id).toBe(RESTORED);

      const dynamoStatements = statementsOfFunctionRole(restored.stateless, logicalId).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
      );
      expect(dynamoStatements.length, definition.id).toBeGreaterThan(0);
      // The table itself (item statements) and its named index (index queries), all under the restored table's ARN.
      const resources = dynamoStatements.flatMap((statement) =>
        resourcesOf(statement).map((resource) => JSON.stringify(resource)),
      );
      expect(resources, definition.id).toContain(resolvedArn);
      for (const resource of resources) expect(resource, definition.id).toContain(`table/${RESTORED}`);
    }
  });

  it('keeps the queues and topics of the stateful stack, so no message or subscription is lost', () => {
    // Each queue and the one dead-letter queue, and every topic, with the logical ids of a stack that made its table.
    restored.stateful.resourceCountIs('AWS::SQS::Queue', QUEUES.length + 1);
    restored.stateful.resourceCountIs('AWS::SNS::Topic', TOPICS.length);
    for (const definition of [...QUEUES, ...TOPICS]) {
      const ids = Object.keys({
        ...restored.stateful.findResources('AWS::SQS::Queue'),
        ...restored.stateful.findResources('AWS::SNS::Topic'),
      });
      expect(
        ids.some((id) => new RegExp(`^${definition.id}[0-9A-F]{8}$`).test(id)),
        definition.id,
      ).toBe(true);
    }
  });

  it('backs up the restored table, and outputs its name for the operator tools', () => {
    restored.stateful.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({
        Resources: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:table/${RESTORED}`])] })],
      }),
    });
    restored.stateful.hasOutput('TableName', { Value: RESTORED });
  });

  it('refuses a table name DynamoDB would refuse, naming the setting', () => {
    expect(() => synthesize({ tableName: 'a b' })).toThrow('Context "tableName" must be a DynamoDB table name');
  });
});
