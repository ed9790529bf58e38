import { readFileSync } from 'node:fs';
import { type CfnElement, type Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_P99_LATENCY_ALARM_MS } from '#infra/constructs/operational-alarms.ts';
import { DASHBOARD_METRIC_BUDGET, NEEDS_ATTENTION_WIDGET_TITLE } from '#infra/constructs/system-dashboard.ts';
import { type DeploymentSettings, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { addEdgeStacks } from '#infra/edge-stacks.ts';
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
import { NEEDS_ATTENTION_COUNTS } from '#shared/needs-attention.ts';
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
  // With a custom domain, as infra/app.ts: the firewall stack (us-east-1) has an alarm of its own.
  const edge = settings.customDomain ? addEdgeStacks(app, prefix, settings.customDomain, stateless) : undefined;
  return { app, stateful, stateless, edge };
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

/** The `### ` headings of the "## Runbooks" section, as written (a family such as `{Queue}…` stays one heading). */
function runbookHeadings(doc: string): string[] {
  const start = doc.indexOf('\n## Runbooks');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^### (.+)$/gm)].flatMap(([, heading]) =>
    (heading ?? '').split(',').map((part) => part.replaceAll('`', '').trim()),
  );
}

/** A syntactically valid origination identity for the SMS setting (nothing is sent at synth time). */
const SMS_IDENTITY = 'arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef';

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
      const entries = runbookEntries('# Operate\n\n## Runbooks\n\n### DeadLettersAlarm\n\n### {Function}ErrorsAlarm\n');
      expect(entries.has('DeadLettersAlarm')).toBe(true);
      expect(entries.has('ApiErrorsAlarm')).toBe(true);
      expect(entries.has('ApiThrottlesAlarm')).toBe(false);
    });

    it('has no runbook entry for an alarm that no longer exists, in any configuration', { timeout: 180_000 }, () => {
      const existing = new Set<string>();
      for (const [context, prefix] of [
        [{}, 'Every'],
        [{ functionAlarms: 'perFunction' }, 'EveryEach'],
        [{ alertEmailDomain: 'alerts.example.com', smsOriginationIdentityArn: SMS_IDENTITY }, 'EveryChannel'],
        [
          {
            domainName: 'marketplace.contoso.com',
            hostedZoneId: 'Z0123456789ABCDEFGHIJ',
            hostedZoneName: 'contoso.com',
          },
          'EveryEdge',
        ],
      ] as const) {
        const stacks = bothStacks(context, prefix);
        const edgeStacks = stacks.edge ? [stacks.edge.firewall, stacks.edge.edge] : [];
        for (const stack of [stacks.stateful, stacks.stateless, ...edgeStacks]) {
          for (const id of alarmIds(stack)) existing.add(id);
        }
      }
      const stale = (doc: string) =>
        runbookHeadings(doc).filter(
          (heading) => ![...runbookEntries(`\n## Runbooks\n\n### ${heading}\n`)].some((id) => existing.has(id)),
        );
      expect(
        stale(OPERATE_DOC),
        'Runbook entries (### <id>) of alarms no stack builds: remove them from docs/operate.md',
      ).toEqual([]);
      // The check can fail: an entry of a removed alarm is found, a family entry stands while one of its ids exists.
      expect(
        stale('\n## Runbooks\n\n### UsageDeadLetterAlarm\n\n### {Queue}OldestMessageAlarm\n\n### DeadLettersAlarm\n'),
      ).toEqual(['UsageDeadLetterAlarm']);
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
    it('alarms on the age of the oldest message of the queues with a limit only, at that limit', () => {
      const limited = QUEUES.filter((definition) => definition.oldestMessageAlarmSeconds !== undefined);
      expect(limited).toEqual([USAGE_QUEUE, OPERATION_ANSWERS_QUEUE]);
      const ageAlarms = Object.values(statefulTemplate.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.MetricName === 'ApproximateAgeOfOldestMessage',
      );
      expect(ageAlarms).toHaveLength(limited.length);
      for (const definition of limited) {
        statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: stateful.resolve(stateful.queueFor(definition).queue.queueName) }],
          Threshold: definition.oldestMessageAlarmSeconds,
          TreatMissingData: 'notBreaching',
        });
        // Usage must reach Microsoft within 24 h, and a change answer within its 10 s.
        expect(definition.oldestMessageAlarmSeconds).toBeLessThanOrEqual(3600);
      }
      // A stalled reporter is caught by UsageReporterNotRunningAlarm and UnreportedUsageOverdue instead.
      expect(USAGE_REPORT_QUEUE.oldestMessageAlarmSeconds).toBeUndefined();
    });

    it('alarms on failed deliveries of the lifecycle and alerts topics only, and on throttling of every table', () => {
      const alarmed = TOPICS.filter((definition) => definition.alarmOnDeliveryFailures).map((t) => t.id);
      expect(alarmed).toEqual(['Lifecycle', 'Alerts']);
      const deliveryAlarms = alarmIds(stateful).filter((id) => id.endsWith('DeliveryFailuresAlarm'));
      expect(deliveryAlarms.sort()).toEqual(['AlertsDeliveryFailuresAlarm', 'LifecycleDeliveryFailuresAlarm']);
      for (const definition of TOPICS.filter((topic) => topic.alarmOnDeliveryFailures)) {
        statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SNS',
          MetricName: 'NumberOfNotificationsFailed',
          Dimensions: [{ Name: 'TopicName', Value: stateful.resolve(stateful.topicFor(definition).topicName) }],
        });
      }
      // The operations topic cannot report its own failures through itself.
      expect(OPERATIONS_TOPIC.alarmOnDeliveryFailures).toBe(false);
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
      // What still watches every function without them: the API's 5xx, the counts, and (stateful stack) the dead
      // letters of the queues and the schedules.
      expect(leanIds).toEqual(expect.arrayContaining(['Api5xxAlarm', 'NeedsAttentionAlarm']));
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

    it('counts reconciliation differences and events that expired after a retry into NeedsAttention', () => {
      for (const [service, metric] of [
        ['usage-reconciler', 'ReconcileDifferences'],
        ['usage-reporter', 'ExpiredAfterRetry'],
      ]) {
        expect(NEEDS_ATTENTION_COUNTS).toContainEqual(expect.objectContaining({ service, metric }));
      }
      statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'MarketplaceMetering',
        MetricName: 'NeedsAttention',
        Dimensions: Match.absent(),
        AlarmDescription: Match.stringLikeRegexp(
          'ReconcileDifferences.*ExpiredAfterRetry|ExpiredAfterRetry.*ReconcileDifferences',
        ),
      });
    });
  });

  describe('failed scheduled runs', () => {
    it('go to the stateful stack’s one dead-letter queue, from Scheduler (retries, dead-letter queue) and from Lambda (onFailure)', () => {
      const deadLetterQueueId = stateful.resolve(
        stateful.getLogicalId(stateful.deadLetterQueue.node.defaultChild as CfnElement),
      ) as string;
      const importsDeadLetters = (value: unknown) =>
        JSON.stringify(value).includes('Fn::ImportValue') && JSON.stringify(value).includes(deadLetterQueueId);
      const schedules = Object.values(statelessTemplate.findResources('AWS::Scheduler::Schedule'));
      expect(schedules).toHaveLength(SCHEDULES.length);
      for (const schedule of schedules) {
        expect(importsDeadLetters(schedule.Properties.Target.DeadLetterConfig.Arn)).toBe(true);
        expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(2);
      }
      const scheduledFunctions = new Set(SCHEDULES.map((schedule) => schedule.functionId));
      const invokeConfigs = Object.values(statelessTemplate.findResources('AWS::Lambda::EventInvokeConfig'));
      expect(invokeConfigs).toHaveLength(scheduledFunctions.size);
      for (const functionId of scheduledFunctions) {
        const config = invokeConfigs.find(
          (resource) => resource.Properties.FunctionName.Ref === logicalIdOfFunction(stateless, functionId),
        );
        expect(config?.Properties.MaximumRetryAttempts, functionId).toBe(2);
        expect(importsDeadLetters(config?.Properties.DestinationConfig.OnFailure.Destination), functionId).toBe(true);
      }
      // No queue or alarm of its own in the stateless stack: DeadLettersAlarm covers them.
      statelessTemplate.resourceCountIs('AWS::SQS::Queue', 0);
      expect(alarmIds(stateful)).toContain('DeadLettersAlarm');
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
      expect(body).toContain('\\"label\\":\\"DeadLetters\\"');
      // The widget NeedsAttentionAlarm sends the operator to: one line per count, named as in its runbook.
      expect(body).toContain(NEEDS_ATTENTION_WIDGET_TITLE);
      for (const { service, metric } of NEEDS_ATTENTION_COUNTS) {
        expect(body).toContain(`\\"label\\":\\"${metric} (${service})\\"`);
      }
      for (const metricName of ['5xx', 'Latency', 'UsageEventsAccepted', 'ReportedSlots']) {
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
