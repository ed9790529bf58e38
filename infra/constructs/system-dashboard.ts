import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { serviceMetric } from '#infra/constructs/app-function.ts';
import { QUEUES } from '#infra/resources.ts';
import type { StatefulResources } from '#infra/stacks/stateful-stack.ts';
import { NEEDS_ATTENTION_COUNTS } from '#shared/needs-attention.ts';

export interface SystemDashboardProps {
  /** The functions of `infra/functions.ts`, by construct id: each gets a line in every function graph. */
  readonly functions: readonly { readonly id: string; readonly function: lambda.IFunction }[];
  readonly api: HttpApi;
  readonly stateful: StatefulResources;
}

/**
 * CloudWatch's free tier covers 3 dashboards of up to 50 metrics each; beyond that a dashboard costs USD 3 a month
 * (docs/cost.md). This one stays under it: one line per function (errors), the account's invocations, throttles and
 * concurrency, one per count of `NEEDS_ATTENTION_COUNTS`, and a few lines per service; invocations, throttles and
 * duration per function are on the Lambda console's own pages (free), the age of the queues without an age alarm on
 * the SQS console's. test/infra/operational-alarms.test.ts counts the metrics.
 */
export const DASHBOARD_METRIC_BUDGET = 50;

/** The title of the widget that `NeedsAttentionAlarm`'s description and runbook send the operator to. */
export const NEEDS_ATTENTION_WIDGET_TITLE = 'Needs attention: what raised NeedsAttentionAlarm';

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the whole system, built from the same definitions as the system itself: a function
 * added to `FUNCTIONS` or a queue to `QUEUES` appears in its graphs without touching this file. Rows: the alarms of
 * this stack; the counts that feed `NeedsAttentionAlarm`, one line each; the functions (errors; the account's
 * invocations and concurrency); the API (requests, 5xx, p99 latency); the table (consumed capacity,
 * throttling); the queues (oldest message of the queues with an age alarm, the one dead-letter queue); and what the
 * functions count (usage accepted and applied, slots accepted by Microsoft, the oldest unreported usage). Custom
 * metrics appear only in the periods when something was counted (docs/cost.md).
 *
 * Create it last in its stack: its alarm widget lists the alarms the stack holds at that point.
 */
export class SystemDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SystemDashboardProps) {
    super(scope, id);
    const { functions, api, stateful } = props;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
    });

    const alarms = Stack.of(this)
      .node.findAll()
      .filter((construct): construct is cloudwatch.Alarm => construct instanceof cloudwatch.Alarm);
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# Marketplace metering\nAlarms and their runbooks: docs/operate.md. Idle cost and what each part costs: ' +
          'docs/cost.md. The stateful stack holds the alarms on queues, topics and the table.',
        width: 24,
        height: 2,
      }),
    );
    if (alarms.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms (this stack)', alarms, width: 24, height: 4 }),
      );
    }

    // Which count raised NeedsAttentionAlarm (its runbook has an entry per line): stacked, so that whatever was counted
    // in a period shows, and the service in the label where two functions publish the same count.
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: NEEDS_ATTENTION_WIDGET_TITLE,
        left: NEEDS_ATTENTION_COUNTS.map(({ service, metric }) =>
          withLabel(
            serviceMetric(service, metric, { period: PERIOD, statistic: cloudwatch.Stats.SUM }),
            `${metric} (${service})`,
          ),
        ),
        stacked: true,
        width: 24,
        height: HEIGHT,
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      }),
    );

    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({
        title,
        left: functions.map(({ id, function: fn }) => withLabel(metric(fn), id)),
        width: 12,
        height: HEIGHT,
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      });
    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };
    const accountWide = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, statistic, period: PERIOD });
    // Errors per function (which one fails is what an operator needs); invocations and concurrency for the whole
    // account, so that the dashboard stays within the free 50 metrics as functions are added. Not the account's
    // throttles: FunctionThrottlesAlarm reads that very metric and shows in the alarm widget above (the Lambda
    // console graphs it), and its line made room for the ScheduleOverdue count within the 50.
    this.dashboard.addWidgets(
      perFunction('Function errors', (fn) => fn.metricErrors(sum)),
      new cloudwatch.GraphWidget({
        title: 'Lambda, whole account: invocations and concurrency',
        left: [withLabel(accountWide('Invocations', cloudwatch.Stats.SUM), 'invocations')],
        right: [withLabel(accountWide('ConcurrentExecutions', cloudwatch.Stats.MAXIMUM), 'concurrent executions')],
        width: 12,
        height: HEIGHT,
      }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        // 4xx are answers the functions chose (bad input, no key, a route's throttle): their messages are in the logs
        // (docs/operate.md); an operator acts on 5xx.
        title: 'API requests and server errors',
        left: [withLabel(api.metricCount(sum), 'requests'), withLabel(api.metricServerError(sum), '5xx')],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [withLabel(api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }), 'p99')],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Table: consumed capacity and throttling',
        left: [
          withLabel(dynamoMetric(stateful, 'ConsumedWriteCapacityUnits'), 'WRU'),
          withLabel(dynamoMetric(stateful, 'ConsumedReadCapacityUnits'), 'RRU'),
        ],
        right: [
          withLabel(dynamoMetric(stateful, 'WriteThrottleEvents'), 'write throttles'),
          withLabel(dynamoMetric(stateful, 'ReadThrottleEvents'), 'read throttles'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );

    const maximum = { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM };
    const alarmedQueues = QUEUES.filter((definition) => definition.oldestMessageAlarmSeconds !== undefined);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queues with an age alarm: oldest message (s)',
        left: alarmedQueues.map((definition) =>
          withLabel(stateful.queueFor(definition).queue.metricApproximateAgeOfOldestMessage(maximum), definition.id),
        ),
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead letters of every queue and schedule (should be 0)',
        left: [withLabel(stateful.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum), 'DeadLetters')],
        width: WIDTH,
        height: HEIGHT,
      }),
    );

    const counted = (service: string, metricName: string, dimensions: Record<string, string> = {}) =>
      serviceMetric(service, metricName, { ...sum, dimensions });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Usage accepted and applied',
        left: [
          withLabel(counted('usage-ingest', 'UsageEventsAccepted'), 'events accepted'),
          withLabel(counted('usage-aggregator', 'UsageMessagesApplied'), 'messages applied'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Slots accepted by Microsoft; oldest unreported usage',
        left: [withLabel(counted('usage-reporter', 'ReportedSlots', { status: 'accepted' }), 'accepted')],
        right: [
          withLabel(serviceMetric('usage-reporter', 'OldestUnreportedSlotAgeHours', maximum), 'oldest unreported (h)'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
  }
}

function withLabel(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric ? metric.with({ label }) : metric;
}

/** A metric of the table (the single table of `infra/resources.ts`). */
function dynamoMetric(stateful: StatefulResources, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensionsMap: { TableName: stateful.table.tableName },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
  });
}
