import { readFileSync } from 'node:fs';
import { type CfnElement, type Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_P99_LATENCY_ALARM_MS } from '#infra/constructs/operational-alarms.ts';
import { DASHBOARD_METRIC_BUDGET } from '#infra/constructs/system-dashboard.ts';
import { type DeploymentSettings, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS, SCHEDULES } from '#infra/functions.ts';
import {
  OPERATION_ANSWERS_QUEUE,
  OPERATIONS_TOPIC,
  QUEUES,
  TABLES,
  TOPICS,
  USAGE_QUEUE,
  USAGE_REPORT_QUEUE,
} from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { inventoryOf, type TemplateJson } from '#test/bench/idle-cost.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

const OPERATE_DOC = readFileSync(new URL('../../docs/operate.md', import.meta.url), 'utf8');

/** Both stacks as infra/app.ts builds them, with the context settings given (defaults otherwise). */
function bothStacks(context: Record<string, unknown> = {}, prefix = 'Ops') {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings: DeploymentSettings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, `${prefix}Stateful`, { settings });
  const stateless = new StatelessStack(app, `${prefix}Stateless`, { stateful, catalog: TEST_CATALOG, settings });
  return { app, stateful, stateless };
}

/** Each alarm of a stack, by logical id, with the construct id that names it in docs/operate.md. */
function alarmsByLogicalId(stack: Stack): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof cloudwatch.CfnAlarm || construct instanceof cloudwatch.CfnCompositeAlarm)) continue;
    // An L2 alarm holds its CloudFormation resource as `Resource`: the alarm's identity is the L2's id.
    const named = construct.node.id === 'Resource' && construct.node.scope ? construct.node.scope : construct;
    found.set(stack.resolve(stack.getLogicalId(construct as CfnElement)) as string, named.node.id);
  }
  return found;
}

/**
 * The alarm ids that docs/operate.md's "## Runbooks" section has a `### <id>` entry for. A heading may stand for a
 * family of generated alarms with `{Function}`, `{Queue}`, `{Topic}` or `{Table}`, which stand for every id of
 * `FUNCTIONS`, `QUEUES`, `TOPICS` or `TABLES`; several ids may share one entry, separated by commas.
 */
function runbookEntries(doc: string): Set<string> {
  const start = doc.indexOf('\n## Runbooks');
  if (start < 0) throw new Error('docs/operate.md has no "## Runbooks" section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const families: Record<string, readonly string[]> = {
    '{Function}': FUNCTIONS.map((f) => f.id),
    '{Queue}': QUEUES.map((q) => q.id),
    '{Topic}': TOPICS.map((t) => t.id),
    '{Table}': TABLES.map((t) => t.id),
  };
  const entries = new Set<string>();
  for (const [, heading] of section.matchAll(/^### (.+)$/gm)) {
    for (const name of (heading ?? '').split(',').map((part) => part.replaceAll('`', '').trim())) {
      const family = Object.keys(families).find((placeholder) => name.includes(placeholder));
      if (family) for (const id of families[family] ?? []) entries.add(name.replace(family, id));
      else entries.add(name);
    }
  }
  return entries;
}

describe('operational alarms', () => {
  let stateful: StatefulStack;
  let stateless: StatelessStack;
  let statefulTemplate: Template;
  let statelessTemplate: Template;

  beforeAll(() => {
    ({ stateful, stateless } = bothStacks());
    statefulTemplate = Template.fromStack(stateful);
    statelessTemplate = Template.fromStack(stateless);
  });

  function operationsTopicIn(stack: Stack): unknown {
    return stack.resolve(stateful.topicFor(OPERATIONS_TOPIC).topicArn);
  }

  describe('every alarm of both templates', () => {
    it('notifies the operations topic', () => {
      for (const [stack, template] of [
        [stateful, statefulTemplate],
        [stateless, statelessTemplate],
      ] as const) {
        const alarms = {
          ...template.findResources('AWS::CloudWatch::Alarm'),
          ...template.findResources('AWS::CloudWatch::CompositeAlarm'),
        };
        expect(Object.keys(alarms).length).toBeGreaterThan(0);
        for (const [logicalId, alarm] of Object.entries(alarms)) {
          expect(alarm.Properties.AlarmActions, `${stack.stackName} ${logicalId}`).toContainEqual(
            operationsTopicIn(stack),
          );
        }
      }
    });

    it('has a runbook entry (### <construct id>) under "Runbooks" in docs/operate.md', () => {
      const entries = runbookEntries(OPERATE_DOC);
      const missing: string[] = [];
      for (const [stack, template] of [
        [stateful, statefulTemplate],
        [stateless, statelessTemplate],
      ] as const) {
        const named = alarmsByLogicalId(stack);
        const inTemplate = Object.keys({
          ...template.findResources('AWS::CloudWatch::Alarm'),
          ...template.findResources('AWS::CloudWatch::CompositeAlarm'),
        });
        // Every alarm of the template was found in the construct tree, so none escapes the runbook check.
        expect(inTemplate.sort()).toEqual([...named.keys()].sort());
        for (const id of named.values()) if (!entries.has(id)) missing.push(`${stack.stackName}: ${id}`);
      }
      expect(missing, `Alarms without a "### <id>" runbook entry in docs/operate.md:\n${missing.join('\n')}`).toEqual(
        [],
      );
    });

    it('has a runbook entry with each function alarm setting too (per function, none)', () => {
      const entries = runbookEntries(OPERATE_DOC);
      for (const functionAlarms of ['perFunction', 'none']) {
        const { stateful: other, stateless: otherStateless } = bothStacks(
          { functionAlarms },
          `Runbook${functionAlarms}`,
        );
        const ids = [...alarmIds(other), ...alarmIds(otherStateless)];
        expect(ids.filter((id) => !entries.has(id))).toEqual([]);
      }
    });

    it('finds an alarm without a runbook entry (the check above can fail)', () => {
      const entries = runbookEntries(
        '# Operate\n\n## Runbooks\n\n### UsageDeadLetterAlarm\n\n### {Function}ErrorsAlarm\n',
      );
      expect(entries.has('UsageDeadLetterAlarm')).toBe(true);
      expect(entries.has('ApiErrorsAlarm')).toBe(true);
      expect(entries.has('ApiThrottlesAlarm')).toBe(false);
    });
  });

  describe('the operations topic', () => {
    it('is an output of the stateful stack, and has no subscriber unless an on-call e-mail is set', () => {
      statefulTemplate.hasOutput('OperationsTopicArn', {});
      const operationsTopic = JSON.stringify(stateful.resolve(stateful.topicFor(OPERATIONS_TOPIC).topicArn));
      const onOperations = Object.values(statefulTemplate.findResources('AWS::SNS::Subscription')).filter(
        (subscription) => JSON.stringify(subscription.Properties.TopicArn) === operationsTopic,
      );
      expect(onOperations).toEqual([]);
    });

    it('subscribes the on-call e-mail given by the context', () => {
      const { stateful: withEmail } = bothStacks({ onCallEmail: 'oncall@example.com' }, 'Mail');
      const template = Template.fromStack(withEmail);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: withEmail.resolve(withEmail.topicFor(OPERATIONS_TOPIC).topicArn),
      });
    });
  });

  describe('alarms on what AWS measures', () => {
    it('alarms on the age of the oldest message of each work queue, at the threshold of its definition', () => {
      for (const definition of QUEUES) {
        statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [
            {
              Name: 'QueueName',
              Value: stateful.resolve(stateful.queueFor(definition).queue.queueName),
            },
          ],
          Threshold: definition.oldestMessageAlarmSeconds,
          TreatMissingData: 'notBreaching',
        });
        // Usage must reach Microsoft within 24 h, and a change answer within its 10 s: no queue of that work may hold
        // it long enough to put that at risk. (The notifications queue holds alerts for unconfirmed contacts on
        // purpose, for up to a week: resources.ts says why its limit is 8 days.)
        if ([USAGE_QUEUE, USAGE_REPORT_QUEUE, OPERATION_ANSWERS_QUEUE].includes(definition)) {
          expect(definition.oldestMessageAlarmSeconds).toBeLessThanOrEqual(3600);
        }
      }
    });

    it('alarms on failed deliveries of every topic and on throttling of every table', () => {
      for (const definition of TOPICS) {
        statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SNS',
          MetricName: 'NumberOfNotificationsFailed',
          Dimensions: [{ Name: 'TopicName', Value: Match.anyValue() }],
        });
        expect(alarmIds(stateful)).toContain(`${definition.id}DeliveryFailuresAlarm`);
      }
      for (const definition of TABLES) expect(alarmIds(stateful)).toContain(`${definition.id}ThrottlingAlarm`);
      statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'reads + writes' }),
          Match.objectLike({
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ReadThrottleEvents' }) }),
          }),
          Match.objectLike({
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'WriteThrottleEvents' }) }),
          }),
        ]),
        EvaluationPeriods: 3,
      });
    });

    it('alarms on errors and throttles of every function of the account by default: two alarms, no dimension', () => {
      for (const metricName of ['Errors', 'Throttles']) {
        statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: Match.absent(),
          Threshold: 1,
        });
        expect(alarmIds(stateless)).toContain(`Function${metricName}Alarm`);
      }
      expect(alarmIds(stateless).filter((id) => /(Errors|Throttles)Alarm$/.test(id))).toHaveLength(2);
    });

    it('alarms on errors and throttles of each function with functionAlarms=perFunction, on none with none', () => {
      const { stateless: perFunction } = bothStacks({ functionAlarms: 'perFunction' }, 'Each');
      const ids = alarmIds(perFunction);
      for (const definition of FUNCTIONS) {
        expect(ids).toContain(`${definition.id}ErrorsAlarm`);
        expect(ids).toContain(`${definition.id}ThrottlesAlarm`);
      }
      const { stateless: without } = bothStacks({ functionAlarms: 'none' }, 'Lean');
      const leanIds = alarmIds(without);
      expect(leanIds.filter((id) => /(Errors|Throttles)Alarm$/.test(id))).toEqual([]);
      // What still watches every function without them: the API's 5xx, the queues, the schedules' failure queue.
      expect(leanIds).toEqual(expect.arrayContaining(['Api5xxAlarm', 'ScheduledRunFailuresAlarm']));
    });

    it('alarms on API 5xx in two of three 5-minute periods and on p99 latency above the limit for 15 minutes', () => {
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
        Threshold: API_P99_LATENCY_ALARM_MS,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
      });
    });
  });

  describe('a reporter that stops running', () => {
    it('raises UsageReporterNotRunningAlarm: no worker invocation for 30 minutes, missing data breaching', () => {
      const workerId = logicalIdOfFunction(stateless, 'UsageReporter');
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: workerId } }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        Period: 900,
        EvaluationPeriods: 2,
        TreatMissingData: 'breaching',
      });
      // The workers are invoked on every dispatch, idle or not: the schedule that guarantees data while it runs.
      expect(SCHEDULES.find((schedule) => schedule.functionId === 'UsageReportDispatcher')?.everyMinutes).toBeLessThan(
        15,
      );
    });

    it('leaves missing data of the oldest-unreported metric as normal (it is published only while usage waits)', () => {
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'OldestUnreportedSlotAgeHours',
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on reconciliation differences and on events that expired after a retry', () => {
      for (const [service, metricName] of [
        ['usage-reconciler', 'ReconcileDifferences'],
        ['usage-reporter', 'ExpiredAfterRetry'],
      ]) {
        statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'MarketplaceMetering',
          MetricName: metricName,
          Dimensions: [{ Name: 'service', Value: service }],
          Threshold: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    });
  });

  describe('failed scheduled runs', () => {
    it('go to one queue, from Scheduler (retries, dead-letter queue) and from Lambda (onFailure), with an alarm', () => {
      const queueId = stateless.resolve(
        stateless.getLogicalId(
          stateless.node.findChild('ScheduledRunFailures').node.findChild('Queue').node.defaultChild as CfnElement,
        ),
      ) as string;
      const schedules = Object.values(statelessTemplate.findResources('AWS::Scheduler::Schedule'));
      expect(schedules).toHaveLength(SCHEDULES.length);
      for (const schedule of schedules) {
        expect(schedule.Properties.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
        expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(2);
      }
      const scheduledFunctions = new Set(SCHEDULES.map((schedule) => schedule.functionId));
      for (const functionId of scheduledFunctions) {
        statelessTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: logicalIdOfFunction(stateless, functionId) },
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        });
      }
      statelessTemplate.resourceCountIs('AWS::Lambda::EventInvokeConfig', scheduledFunctions.size);
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 0,
      });
    });
  });

  describe('the dashboard', () => {
    it('shows every function, queue and the API within the free tier of 50 metrics; left out with dashboard=false', () => {
      const dashboards = Object.values(statelessTemplate.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
      for (const definition of FUNCTIONS) {
        expect(body).toContain(`\\"label\\":\\"${definition.id}\\"`);
        expect(body).toContain(logicalIdOfFunction(stateless, definition.id));
      }
      for (const definition of QUEUES) expect(body).toContain(`${definition.id} DLQ`);
      for (const metricName of ['5xx', 'Latency', 'UsageEventsAccepted', 'ReportedSlots', 'AlertsSent']) {
        expect(body).toContain(metricName);
      }
      const [metrics] = inventoryOf(
        [statelessTemplate.toJSON() as TemplateJson],
        FUNCTIONS.map((definition) => definition.id),
      ).dashboardMetrics;
      expect(metrics).toBeGreaterThanOrEqual(2 * FUNCTIONS.length);
      expect(metrics).toBeLessThanOrEqual(DASHBOARD_METRIC_BUDGET);
      const { stateless: without } = bothStacks({ dashboard: false }, 'NoBoard');
      Template.fromStack(without).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });
  });
});

function alarmIds(stack: Stack): string[] {
  return [...alarmsByLogicalId(stack).values()];
}

function logicalIdOfFunction(stack: Stack, functionId: string): string {
  const fn = stack.node.findChild(functionId).node.findChild('Function').node.defaultChild as CfnElement;
  const id = stack.resolve(stack.getLogicalId(fn));
  if (Token.isUnresolved(id)) throw new Error(`no logical id for ${functionId}`);
  return id as string;
}
