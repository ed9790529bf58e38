import { Duration, type Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE } from '#infra/constructs/app-function.ts';
import type { QueueDefinition } from '#infra/resources.ts';
import { NEEDS_ATTENTION_COUNTS, NEEDS_ATTENTION_METRIC } from '#shared/needs-attention.ts';

/**
 * The alarms on what AWS measures by itself (free metrics): queue age, topic delivery failures, table throttling,
 * function errors and throttles, the API's 5xx and latency, and a reporter that stopped running. The functions' own
 * counts have one alarm together (`NeedsAttentionAlarm`, infra/stacks/stateless-stack.ts). Every alarm
 * notifies the operations topic; its construct id is its name in docs/operate.md, where its runbook is
 * (`### <construct id>` under "Runbooks": test/infra/operational-alarms.test.ts holds every alarm to that).
 *
 * Each alarm costs USD 0.10 a month per metric it reads (docs/cost.md counts them from the templates).
 */

/** The period of most alarms here: long enough to carry a few schedule runs, short enough to page within minutes. */
const PERIOD = Duration.minutes(5);

/**
 * API latency (p99 over the whole API) above which the alarm fires, when it lasts 15 minutes. The routes answer in
 * milliseconds except those that call Microsoft: the landing page (up to four calls of at most 5 s) and publisher
 * operations (up to 12 s waiting for an operation, rare). 8 s is the deadline of a webhook's change decision
 * (`OperationAnswerLate`) and past what a customer on the landing page waits for; three periods in a row keep one
 * slow publisher operation in a quiet period from paging.
 */
export const API_P99_LATENCY_ALARM_MS = 8000;

function notify(alarm: cloudwatch.Alarm, operations: sns.ITopic): cloudwatch.Alarm {
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(operations));
  return alarm;
}

/** A queue of `infra/resources.ts` with what the alarms need of it. */
export interface AlarmedQueue {
  readonly definition: QueueDefinition;
  readonly queue: sqs.IQueue;
}

/**
 * `<queue id>OldestMessageAlarm`: the oldest message of a work queue is older than its definition allows
 * (`oldestMessageAlarmSeconds`; queues without one get no alarm), in two 5-minute periods in a row. SQS stops
 * publishing metrics of a queue that has been empty for six hours: missing data is an empty queue, not a breach.
 */
export function addQueueAgeAlarms(scope: Stack, queues: readonly AlarmedQueue[], operations: sns.ITopic): void {
  for (const { definition, queue } of queues) {
    const limitSeconds = definition.oldestMessageAlarmSeconds;
    if (limitSeconds === undefined) continue;
    const minutes = limitSeconds / 60;
    notify(
      new cloudwatch.Alarm(scope, `${definition.id}OldestMessageAlarm`, {
        alarmDescription:
          `The oldest message of the ${definition.id} queue has waited more than ${minutes} minutes: its consumer ` +
          'is failing, throttled or stopped. Runbook: docs/operate.md.',
        metric: queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: limitSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      operations,
    );
  }
}

/**
 * `<topic id>DeliveryFailuresAlarm`: SNS gave up delivering a message to one of the topic's subscribers (after its
 * retries). The stack passes the topics whose definition asks for it (`alarmOnDeliveryFailures`).
 */
export function addTopicDeliveryAlarms(
  scope: Stack,
  topics: readonly { readonly id: string; readonly topic: sns.ITopic }[],
  operations: sns.ITopic,
): void {
  for (const { id, topic } of topics) {
    notify(
      new cloudwatch.Alarm(scope, `${id}DeliveryFailuresAlarm`, {
        alarmDescription:
          `SNS could not deliver messages of the ${id} topic to a subscriber after its retries. ` +
          'Runbook: docs/operate.md.',
        metric: topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(15) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      operations,
    );
  }
}

/**
 * `<table id>ThrottlingAlarm`: reads or writes of the table were throttled in each of three 5-minute periods in a
 * row. On demand, DynamoDB throttles a partition past its limits (a hot key) or traffic past twice its previous
 * peak; the SDK retries a throttled request, so a short burst is absorbed, and only throttling that lasts pages.
 * One alarm reads both metrics (billed as two alarm metrics).
 */
export function addTableThrottlingAlarms(
  scope: Stack,
  tables: readonly { readonly id: string; readonly table: dynamodb.ITable }[],
  operations: sns.ITopic,
): void {
  for (const { id, table } of tables) {
    const throttleEvents = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: table.tableName },
        statistic: cloudwatch.Stats.SUM,
        period: PERIOD,
      });
    notify(
      new cloudwatch.Alarm(scope, `${id}ThrottlingAlarm`, {
        alarmDescription:
          `Requests to the ${id} table were throttled for 15 minutes: a hot partition or a burst beyond twice the ` +
          'previous peak. Runbook: docs/operate.md.',
        metric: new cloudwatch.MathExpression({
          expression: 'reads + writes',
          usingMetrics: { reads: throttleEvents('ReadThrottleEvents'), writes: throttleEvents('WriteThrottleEvents') },
          label: 'Throttle events',
          period: PERIOD,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      operations,
    );
  }
}

/**
 * Alarms on invocations that failed (an unhandled error, a timeout, a crash) or were refused for lack of concurrency,
 * in a 15-minute period. The HTTP functions turn their errors into 5xx answers (counted by `Api5xxAlarm`), so their
 * `Errors` are crashes and timeouts only.
 * - `account` (the default): `FunctionErrorsAlarm` and `FunctionThrottlesAlarm` on Lambda's metrics aggregated over
 *   every function of the account and region: two alarms whatever the number of functions; the dashboard shows which
 *   function it was. Right when the system has its account to itself.
 * - `perFunction`: `<function id>ErrorsAlarm` and `<function id>ThrottlesAlarm` for each function.
 * - `none`: none of these; the API, queue and scheduled-run alarms still watch every function.
 */
export function addFunctionAlarms(
  scope: Stack,
  mode: 'account' | 'perFunction' | 'none',
  functions: readonly { readonly id: string; readonly function: lambda.IFunction }[],
  operations: sns.ITopic,
): void {
  const period = Duration.minutes(15);
  if (mode === 'account') {
    const accountWide = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, statistic: cloudwatch.Stats.SUM, period });
    for (const [metricName, what] of [
      ['Errors', 'failed (error, timeout or crash)'],
      ['Throttles', 'were throttled (no concurrency left)'],
    ] as const) {
      notify(
        new cloudwatch.Alarm(scope, `Function${metricName}Alarm`, {
          alarmDescription:
            `Invocations of a Lambda function of this account and region ${what}: the dashboard shows which. ` +
            'Runbook: docs/operate.md.',
          metric: accountWide(metricName),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        operations,
      );
    }
    return;
  }
  if (mode === 'none') return;
  for (const { id, function: fn } of functions) {
    notify(
      new cloudwatch.Alarm(scope, `${id}ErrorsAlarm`, {
        alarmDescription: `Invocations of the ${id} function failed (error, timeout or crash). Runbook: docs/operate.md.`,
        metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      operations,
    );
    notify(
      new cloudwatch.Alarm(scope, `${id}ThrottlesAlarm`, {
        alarmDescription: `Invocations of the ${id} function were throttled (no concurrency left). Runbook: docs/operate.md.`,
        metric: fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      operations,
    );
  }
}

/**
 * `Api5xxAlarm` and `ApiLatencyAlarm` on the HTTP API. No answer to a request should be a 5xx (bad input gets a
 * 4xx: DESIGN invariant 8), so 5xx answers in two of three 5-minute periods mean a defect or a failing dependency;
 * a lone one is logged and on the dashboard without paging.
 */
export function addApiAlarms(scope: Stack, api: HttpApi, operations: sns.ITopic): void {
  notify(
    new cloudwatch.Alarm(scope, 'Api5xxAlarm', {
      alarmDescription:
        'The HTTP API answered 5xx in two of the last three 5-minute periods. Runbook: docs/operate.md.',
      metric: api.metricServerError({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    operations,
  );
  notify(
    new cloudwatch.Alarm(scope, 'ApiLatencyAlarm', {
      alarmDescription:
        `The HTTP API's p99 latency stayed above ${API_P99_LATENCY_ALARM_MS / 1000} s for 15 minutes. ` +
        'Runbook: docs/operate.md.',
      metric: api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.percentile(99) }),
      threshold: API_P99_LATENCY_ALARM_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    operations,
  );
}

/**
 * `UsageReporterNotRunningAlarm`: the reporter's workers were not invoked for 30 minutes. The dispatcher runs every
 * 10 minutes and queues at least one shard message even when nothing is unreported (one shard for an idle run), so
 * each 15-minute period holds worker invocations while reporting works; Lambda publishes no datapoint for a period
 * without invocations, so missing data breaches. It gives the protection against a silent reporter that an alarm on
 * the oldest unreported age had while the reporter published that age on every run: it is now published only when
 * usage waits (and the reporter itself counts `UnreportedUsageOverdue`), so that an idle system pays for no custom
 * metric (docs/cost.md), and this alarm reads a free one.
 */
export function addReporterRunningAlarm(scope: Stack, worker: lambda.IFunction, operations: sns.ITopic): void {
  notify(
    new cloudwatch.Alarm(scope, 'UsageReporterNotRunningAlarm', {
      alarmDescription:
        'The usage reporter has not run for 30 minutes: the UsageReport schedule, its dispatcher or the workers ' +
        'have stopped, and usage is not being reported to Microsoft. Runbook: docs/operate.md.',
      metric: worker.metricInvocations({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    operations,
  );
}

/**
 * `NeedsAttentionAlarm`: one of the functions counted something an operator must look at (the counts of
 * `NEEDS_ATTENTION_COUNTS`, shared/needs-attention.ts), in a 15-minute period. The functions add each such count to
 * `NeedsAttention` as well, published without dimension, so one alarm metric (USD 0.10 a month) covers what used to
 * take one alarm per count; the dashboard's "Needs attention" widget and the runbook's `#### <count>` entries say which
 * it was. The counts are published only when not zero: no data is the normal state.
 */
export function addNeedsAttentionAlarm(scope: Stack, operations: sns.ITopic): cloudwatch.Alarm {
  const names = [...new Set(NEEDS_ATTENTION_COUNTS.map((count) => count.metric))];
  return notify(
    new cloudwatch.Alarm(scope, 'NeedsAttentionAlarm', {
      alarmDescription:
        'A function counted something that needs an operator. The dashboard widget "Needs attention" shows which ' +
        `count (namespace ${METRICS_NAMESPACE}, dimension service): ${names.join(', ')}. Runbook: ` +
        'docs/operate.md#needsattentionalarm, one entry per count.',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: NEEDS_ATTENTION_METRIC,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(15),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    operations,
  );
}
