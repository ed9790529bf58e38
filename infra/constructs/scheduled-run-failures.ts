import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** Retries of a failed scheduled run before it is recorded as failed (Lambda's asynchronous default, stated). */
export const SCHEDULED_RUN_RETRIES = 2;

/**
 * Where failed scheduled runs go. A schedule invokes its function asynchronously: EventBridge Scheduler hands the
 * event to Lambda (its own retries and dead-letter queue cover a hand-over that fails), then Lambda runs it and
 * retries a failed run twice (its `onFailure` destination takes a run that failed every time, or that waited longer
 * than its interval, e.g. throttled). Both land in the stateful stack's one dead-letter queue (`DEAD_LETTER_QUEUE`,
 * alarm `DeadLettersAlarm`) with the reason. The scheduled functions are safe to run again (every run starts over:
 * sync, alert checks and reporting runs are idempotent, the reconciliation only reads), so such a message is read and
 * deleted, never redriven: the next run does the work.
 *
 * Sends the failed asynchronous runs of `fn` to `deadLetters`: two retries, and a run not started within
 * `maxEventAge` (its schedule's interval: the next run is due by then, and two runs should not pile up) counts as
 * failed.
 */
export function sendFailedRunsTo(fn: lambda.IFunction, deadLetters: sqs.IQueue, maxEventAge: Duration): void {
  fn.configureAsyncInvoke({
    onFailure: new SqsDestination(deadLetters),
    retryAttempts: SCHEDULED_RUN_RETRIES,
    maxEventAge,
  });
}

/** The age after which a run of a schedule every `everyMinutes` is dropped: its interval, within Lambda's 1 min–6 h. */
export function scheduledRunMaxAge(everyMinutes: number): Duration {
  return Duration.minutes(Math.min(Math.max(everyMinutes, 1), 6 * 60));
}
