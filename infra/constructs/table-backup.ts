import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface TableBackupProps {
  /** The table to copy: the stack's own, or the imported (restored) one of the `tableName` setting. */
  readonly table: dynamodb.ITable;
  /** How long each weekly copy is kept (the `backupRetentionDays` setting, at least 1). */
  readonly retentionDays: number;
  /** Where the failed-backup alarm notifies: the operations topic. */
  readonly alarmTopic: sns.ITopic;
}

/** The alarm's construct id, directly under the stack: its runbook is `### BackupJobsFailedAlarm` in docs/operate.md. */
export const BACKUP_JOBS_FAILED_ALARM_ID = 'BackupJobsFailedAlarm';

/**
 * Weekly AWS Backup copies of the table in a vault of their own, kept `retentionDays`, with an alarm when a copy fails.
 *
 * Point-in-time recovery already restores any second of the last 35 days; these copies add what it cannot: history
 * older than 35 days, and copies that live apart from the table (a deleted table takes its point-in-time history
 * with it after 35 days; the vault is retained with the stack deleted, and nobody, administrators included, may
 * delete a copy or shorten its life before its retention ends). Restoring: docs/restore.md.
 */
export class TableBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly failedJobsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TableBackupProps) {
    super(scope, id);
    this.vault = new backup.BackupVault(this, 'Vault', {
      // The copies are the last resort when the table is gone: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // An access policy denying DeleteRecoveryPoint and UpdateRecoveryPointLifecycle to everyone: a mistaken or
      // malicious delete cannot empty the vault, while expiry at the end of the retention still happens. Unlike a
      // vault lock it can be lifted on purpose (docs/restore.md), so a misconfigured retention is not forever.
      blockRecoveryPointDeletion: true,
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
    this.failedJobsAlarm = this.createFailedJobsAlarm(props.alarmTopic);
    new CfnOutput(Stack.of(this), 'BackupVaultName', {
      value: this.vault.backupVaultName,
      description: 'The AWS Backup vault of the weekly table copies (docs/restore.md)',
    });
  }

  /**
   * Any backup job of this vault that failed, was aborted, or expired (did not finish within its windows) in a day.
   * AWS Backup publishes these counts per vault (`AWS/Backup`, dimension `BackupVaultName`) only when jobs run, so
   * missing data is normal between the weekly copies and does not breach.
   */
  private createFailedJobsAlarm(topic: sns.ITopic): cloudwatch.Alarm {
    const jobs = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Backup',
        metricName,
        dimensionsMap: { BackupVaultName: this.vault.backupVaultName },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.days(1),
      });
    const alarm = new cloudwatch.Alarm(Stack.of(this), BACKUP_JOBS_FAILED_ALARM_ID, {
      alarmDescription:
        'A weekly AWS Backup copy of the table failed, was aborted or did not finish in its window: the vault misses ' +
        'a copy. Runbook: docs/operate.md.',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(aborted, 0) + FILL(expired, 0)',
        usingMetrics: {
          failed: jobs('NumberOfBackupJobsFailed'),
          aborted: jobs('NumberOfBackupJobsAborted'),
          expired: jobs('NumberOfBackupJobsExpired'),
        },
        period: Duration.days(1),
        label: 'Backup jobs not completed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    return alarm;
  }
}
