import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Retries of a failed scheduled run before it is recorded as failed (Lambda's asynchronous default, stated). */
export const SCHEDULED_RUN_RETRIES = 2;

/**
 * Where failed scheduled runs go, and the alarm that says so. A schedule invokes its function asynchronously:
 * EventBridge Scheduler hands the event to Lambda (its own retries and dead-letter queue cover a hand-over that
 * fails), then Lambda runs it and retries a failed run twice (its `onFailure` destination takes a run that failed
 * every time, or that waited longer than its interval, e.g. throttled). Both land in one queue, with the reason, and
 * any message there raises `ScheduledRunFailuresAlarm`. The scheduled functions are safe to run again (every run
 * starts over: sync, alert checks and reporting runs are idempotent, the reconciliation only reads), so redriving
 * is never needed: the next run does the work.
 */
export class ScheduledRunFailures extends Construct {
  /** Failed runs and events Scheduler could not hand over, kept 14 days for reading. */
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, operations: sns.ITopic) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Records of failures, not data: the next run redoes the work, so nothing is lost with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the schedules (Scheduler dead-letter target and Lambda ' +
        'onFailure destination); nothing consumes it, so it needs no dead-letter queue of its own.',
    });
    // Not `ScheduledRunFailuresAlarm` inside this construct: alarms are named by their construct id in the runbook,
    // so it is created in the stack (the scope), beside the others.
    this.alarm = new cloudwatch.Alarm(scope, `${id}Alarm`, {
      alarmDescription:
        'A scheduled run failed after its retries, or could not be started: read the message in the ' +
        'ScheduledRunFailures queue (function, reason) and that function’s logs. Runbook: docs/operate.md.',
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // As for the dead-letter queues: a failure left in the queue keeps the alarm in ALARM when SQS stops sending
      // metrics of an idle queue.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(operations));
  }

  /**
   * Sends the failed asynchronous runs of `fn` here: two retries, and a run not started within `maxEventAge` (its
   * schedule's interval: the next run is due by then, and two runs should not pile up) counts as failed.
   */
  receiveFailuresOf(fn: lambda.IFunction, maxEventAge: Duration): void {
    fn.configureAsyncInvoke({
      onFailure: new SqsDestination(this.queue),
      retryAttempts: SCHEDULED_RUN_RETRIES,
      maxEventAge,
    });
  }
}

/** The age after which a run of a schedule every `everyMinutes` is dropped: its interval, within Lambda's 1 min–6 h. */
export function scheduledRunMaxAge(everyMinutes: number): Duration {
  return Duration.minutes(Math.min(Math.max(everyMinutes, 1), 6 * 60));
}
