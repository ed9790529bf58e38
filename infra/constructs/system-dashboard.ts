import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '#infra/constructs/app-function.ts';
import { QUEUES } from '#infra/resources.ts';
import type { StatefulResources } from '#infra/stacks/stateful-stack.ts';
import type { AnswerKind } from '#shared/domain/reporting/metering-answers.ts';

export interface SystemDashboardProps {
  /** The functions of `infra/functions.ts`, by construct id: each gets a line in every function graph. */
  readonly functions: readonly { readonly id: string; readonly function: lambda.IFunction }[];
  readonly api: HttpApi;
  readonly stateful: StatefulResources;
}

/** Every answer kind the reporter counts (`ReportedSlots` by `status`); the type makes a new kind a compile error. */
const ANSWER_KINDS = Object.keys({
  accepted: true,
  duplicateMismatch: true,
  expiredFolded: true,
  unreportable: true,
  rejected: true,
  retry: true,
} satisfies Record<AnswerKind, true>) as AnswerKind[];

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the whole system, built from the same definitions as the system itself: a function
 * added to `FUNCTIONS` or a queue to `QUEUES` appears in its graphs without touching this file. Rows: the alarms of
 * this stack; the functions (invocations, errors, throttles, p99 duration); the API (requests, 4xx, 5xx, latency); the
 * queues (visible, oldest message, dead letters); the table (consumed capacity, throttling); and what the functions
 * count (usage accepted and applied, slots reported by answer, alerts sent, the oldest unreported usage, sync and
 * reconciliation). Custom metrics appear only in the periods when something was counted (docs/cost.md).
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

    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({
        title,
        left: functions.map(({ id, function: fn }) => withLabel(metric(fn), id)),
        width: 12,
        height: HEIGHT,
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      });
    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };
    this.dashboard.addWidgets(
      perFunction('Function invocations', (fn) => fn.metricInvocations(sum)),
      perFunction('Function errors', (fn) => fn.metricErrors(sum)),
    );
    this.dashboard.addWidgets(
      perFunction('Function throttles', (fn) => fn.metricThrottles(sum)),
      perFunction('Function duration p99 (ms)', (fn) =>
        fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
      ),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          withLabel(api.metricCount(sum), 'requests'),
          withLabel(api.metricClientError(sum), '4xx'),
          withLabel(api.metricServerError(sum), '5xx'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [
          withLabel(api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(50) }), 'p50'),
          withLabel(api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }), 'p99'),
        ],
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

    const queues = QUEUES.map((definition) => ({ definition, ...stateful.queueFor(definition) }));
    const maximum = { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM };
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queues: visible messages',
        left: queues.map(({ definition, queue }) =>
          withLabel(queue.metricApproximateNumberOfMessagesVisible(maximum), definition.id),
        ),
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Queues: oldest message (s)',
        left: queues.map(({ definition, queue }) =>
          withLabel(queue.metricApproximateAgeOfOldestMessage(maximum), definition.id),
        ),
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues: messages (should be 0)',
        left: queues.map(({ definition, deadLetterQueue }) =>
          withLabel(deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum), `${definition.id} DLQ`),
        ),
        width: WIDTH,
        height: HEIGHT,
      }),
    );

    const counted = (service: string, metricName: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service, ...dimensions },
        ...sum,
      });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Usage accepted and applied',
        left: [
          withLabel(counted('usage-ingest', 'UsageEventsAccepted'), 'events accepted'),
          withLabel(counted('usage-ingest', 'UsageEventsRejected'), 'events rejected'),
          withLabel(counted('usage-aggregator', 'UsageMessagesApplied'), 'messages applied'),
          withLabel(counted('usage-aggregator', 'UsageMessagesFailed'), 'messages failed'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Slots reported to Microsoft, by answer',
        left: ANSWER_KINDS.map((status) => withLabel(counted('usage-reporter', 'ReportedSlots', { status }), status)),
        right: [
          withLabel(
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'OldestUnreportedSlotAgeHours',
              dimensionsMap: { service: 'usage-reporter' },
              ...maximum,
            }),
            'oldest unreported (h)',
          ),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Alerts, sync and reconciliation',
        left: [
          withLabel(counted('usage-aggregator', 'AlertsSent'), 'alerts sent (after usage)'),
          withLabel(counted('alert-checks', 'AlertsSent'), 'alerts sent (hourly check)'),
          withLabel(counted('subscription-sync', 'SubscriptionSyncChanges'), 'sync changes applied'),
          withLabel(counted('usage-reconciler', 'ReconcileDifferences'), 'reconciliation differences'),
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
