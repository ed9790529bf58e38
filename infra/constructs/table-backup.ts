import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface TableBackupProps {
  /** The table to copy: the stack's own, or the imported (restored) one of the `tableName` setting. */
  readonly table: dynamodb.ITable;
  /** How long each weekly copy is kept (the `backupRetentionDays` setting, at least 1). */
  readonly retentionDays: number;
  /** Where the vault reports its jobs: the operations topic. */
  readonly operationsTopic: sns.ITopic;
}

/**
 * What the vault tells the operations topic (runbook "Backup job notifications" in docs/operate.md). AWS Backup's
 * current events: `BACKUP_JOB_COMPLETED` is sent for every backup job that ends, whatever its state (the message
 * says COMPLETED, FAILED, ABORTED or EXPIRED; `BACKUP_JOB_FAILED` and `BACKUP_JOB_EXPIRED` are deprecated and no
 * longer sent), so the weekly copy's mail also shows the plan still runs; `COPY_JOB_FAILED` for a copy to another
 * vault (none today); `RESTORE_JOB_COMPLETED` ends the restore procedure (docs/restore.md).
 */
export const BACKUP_NOTIFICATION_EVENTS = [
  backup.BackupVaultEvents.BACKUP_JOB_COMPLETED,
  backup.BackupVaultEvents.COPY_JOB_FAILED,
  backup.BackupVaultEvents.RESTORE_JOB_COMPLETED,
] as const;

/**
 * Weekly AWS Backup copies of the table in a vault of their own, kept `retentionDays`, the vault reporting each job to
 * the operations topic (an SNS notification of the vault, free, rather than an alarm at USD 0.10 a month per metric).
 *
 * Point-in-time recovery already restores any second of the last 35 days; these copies add what it cannot: history
 * older than 35 days, and copies that live apart from the table (a deleted table takes its point-in-time history
 * with it after 35 days; the vault is retained with the stack deleted, and nobody, administrators included, may
 * delete a copy or shorten its life before its retention ends). Restoring: docs/restore.md.
 */
export class TableBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: TableBackupProps) {
    super(scope, id);
    this.vault = new backup.BackupVault(this, 'Vault', {
      // The copies are the last resort when the table is gone: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // An access policy denying DeleteRecoveryPoint and UpdateRecoveryPointLifecycle to everyone: a mistaken or
      // malicious delete cannot empty the vault, while expiry at the end of the retention still happens. Unlike a
      // vault lock it can be lifted on purpose (docs/restore.md), so a misconfigured retention is not forever.
      blockRecoveryPointDeletion: true,
      // The vault publishes its jobs' ends to the operations topic; CDK adds the topic policy statement that lets
      // backup.amazonaws.com publish there.
      notificationTopic: props.operationsTopic,
      notificationEvents: [...BACKUP_NOTIFICATION_EVENTS],
    });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Weekly',
          // Sunday 03:00 UTC: the quietest hour of the week for usage in Europe, the Americas and Japan alike. A
          // backup of an on-demand table consumes no capacity, so this only spreads the jobs away from deploys.
          scheduleExpression: events.Schedule.cron({ weekDay: 'SUN', hour: '3', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter: Duration.days(props.retentionDays),
        }),
      ],
    });
    const selection = this.plan.addSelection('Table', {
      resources: [backup.BackupResource.fromDynamoDbTable(props.table)],
      // Restores are done by an operator with their own rights (docs/restore.md), not by the backup service role.
      allowRestores: false,
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own service role policy, maintained by AWS for the backup service: it lets the service read " +
        'the selected table to copy it. The selection names only this table, so nothing else is backed up.',
    });
    new CfnOutput(Stack.of(this), 'BackupVaultName', {
      value: this.vault.backupVaultName,
      description: 'The AWS Backup vault of the weekly table copies (docs/restore.md)',
    });
  }
}
