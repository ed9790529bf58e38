import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DeploymentSettings, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { ALERT_NOTIFIER_FUNCTION } from '#infra/functions.ts';
import { ALERTS_TOPIC, DELIVERY_EVENTS_TOPIC, NOTIFICATIONS_QUEUE, OPERATIONS_TOPIC } from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import {
  actionsOf,
  resourcesOf,
  type Statement,
  statementsOfFunctionRole,
  TEST_CATALOG,
  testApp,
} from '#test/infra/cdk-test-app.ts';

const ORIGINATION = 'arn:aws:sms-voice:ap-northeast-1:111122223333:sender-id/CONTOSO/JP';
const SETTINGS: DeploymentSettings = {
  // Every other setting at its default.
  ...readDeploymentSettings(new App().node),
  stackPrefix: 'Alerting',
  catalogPath: 'infra/catalog/catalog.yaml',
  smsCountries: ['JP', 'US'],
  alertEmailDomain: 'alerts.contoso.example',
  alertEmailFrom: 'Contoso Alerts <alerts@alerts.contoso.example>',
  smsOriginationIdentityArn: ORIGINATION,
  smsSpendAlarmUsd: 50,
};

function synth(settings?: DeploymentSettings) {
  const app = testApp();
  const stateful = new StatefulStack(app, 'AlertingStateful', settings ? { settings } : {});
  const stateless = new StatelessStack(app, 'AlertingStateless', {
    stateful,
    catalog: TEST_CATALOG,
    ...(settings ? { settings } : {}),
  });
  return { app, stateful, stateless };
}

describe('alert delivery (CDK)', () => {
  let stateful: StatefulStack;
  let stateless: StatelessStack;
  let statefulTemplate: Template;
  let statelessTemplate: Template;
  let notifierStatements: Statement[];
  let notifierEnv: Record<string, unknown>;

  beforeAll(() => {
    ({ stateful, stateless } = synth(SETTINGS));
    statefulTemplate = Template.fromStack(stateful);
    statelessTemplate = Template.fromStack(stateless);
    const notifierId = stateless.resolve(
      Stack.of(stateless).getLogicalId(
        stateless.node.findChild(ALERT_NOTIFIER_FUNCTION.id).node.findChild('Function').node.defaultChild as never,
      ),
    ) as string;
    notifierStatements = statementsOfFunctionRole(statelessTemplate, notifierId);
    notifierEnv = statelessTemplate.findResources('AWS::Lambda::Function')[notifierId]?.Properties.Environment
      .Variables as Record<string, unknown>;
  }, 120_000);

  it('subscribes the notifications queue to the alerts topic with raw delivery, and nothing else to it', () => {
    const alerts = stateful.resolve(stateful.topicFor(ALERTS_TOPIC).topicArn);
    const queueArn = stateful.resolve(stateful.queueFor(NOTIFICATIONS_QUEUE).queue.queueArn);
    const subscriptions = Object.values(statefulTemplate.findResources('AWS::SNS::Subscription')).filter(
      (subscription) => JSON.stringify(subscription.Properties.TopicArn) === JSON.stringify(alerts),
    );

    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
      { Protocol: 'sqs', TopicArn: alerts, Endpoint: queueArn, RawMessageDelivery: true },
    ]);
  });

  it('verifies the sending domain with Easy DKIM, in a configuration set reporting to the DeliveryEvents topic', () => {
    const events = stateful.resolve(stateful.topicFor(DELIVERY_EVENTS_TOPIC).topicArn);
    statefulTemplate.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'alerts.contoso.example',
      DkimAttributes: { SigningEnabled: true },
      ConfigurationSetAttributes: { ConfigurationSetName: Match.anyValue() },
    });
    statefulTemplate.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    statefulTemplate.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint', 'delivery', 'reject'],
        SnsDestination: { TopicARN: events },
      },
    });
    statefulTemplate.hasResourceProperties('AWS::SMSVOICE::ConfigurationSet', {
      EventDestinations: [
        Match.objectLike({
          Enabled: true,
          MatchingEventTypes: Match.arrayWith(['TEXT_DELIVERED', 'TEXT_BLOCKED']),
          SnsDestination: { TopicArn: events },
        }),
      ],
    });
    // The three DKIM CNAME records are outputs: what the publisher puts in the domain's DNS.
    expect(Object.keys(statefulTemplate.findOutputs('*')).filter((name) => name.includes('DkimRecord'))).toHaveLength(
      3,
    );
  });

  it('alarms on bounce and complaint rates and SMS spend, to the operations topic', () => {
    const operations = stateful.resolve(stateful.topicFor(OPERATIONS_TOPIC).topicArn);
    const alarms = statefulTemplate.findResources('AWS::CloudWatch::Alarm');
    const byMetric = (name: string) =>
      Object.values(alarms).find((alarm) => alarm.Properties.MetricName === name)?.Properties;

    expect(byMetric('Reputation.BounceRate')).toMatchObject({ Threshold: 0.05, AlarmActions: [operations] });
    expect(byMetric('Reputation.ComplaintRate')).toMatchObject({ Threshold: 0.001, AlarmActions: [operations] });
    expect(byMetric('TextMessageMonthlySpend')).toMatchObject({
      Namespace: 'AWS/SMSVoice',
      Threshold: 50,
      AlarmActions: [operations],
    });
    // Refused sends are counted by the notifier instead (AlertDeliveryLate, NeedsAttentionAlarm), and the notifier's
    // queue dead-letters into the one queue of DeadLettersAlarm.
    expect(byMetric('AlertDeliveryRetries')).toBeUndefined();
    expect(Object.keys(alarms).some((id) => id.startsWith('DeadLettersAlarm'))).toBe(true);
  });

  it('lets the notifier send from its identities and configuration sets only', () => {
    const send = (action: string) => notifierStatements.filter((statement) => actionsOf(statement).includes(action));

    expect(send('ses:SendEmail')).toHaveLength(1);
    expect(actionsOf(send('ses:SendEmail')[0] as Statement)).toEqual(['ses:SendEmail']);
    const emailResources = JSON.stringify(resourcesOf(send('ses:SendEmail')[0] as Statement));
    // Both are the stateful stack's (cross-stack imports): the domain identity and its configuration set.
    expect(resourcesOf(send('ses:SendEmail')[0] as Statement)).toHaveLength(2);
    expect(emailResources).toMatch(/AlertDeliveryEmailIdentity/);
    expect(emailResources).toMatch(/AlertDeliveryEmailConfigurationSet/);
    expect(emailResources).not.toContain('"*"');
    expect(send('sms-voice:SendTextMessage')).toHaveLength(1);
    const smsResources = JSON.stringify(resourcesOf(send('sms-voice:SendTextMessage')[0] as Statement));
    expect(smsResources).toContain(ORIGINATION);
    expect(smsResources).not.toContain('"*"');
    // No other function may send e-mail or SMS than the notifier and the Api (the confirmation of a new contact).
    const senders = Object.values(statelessTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        JSON.stringify(policy.Properties.PolicyDocument).match(/ses:SendEmail|sms-voice:SendTextMessage/),
      )
      .map((policy) => JSON.stringify(policy.Properties.Roles));
    expect(senders).toHaveLength(2);
    expect(senders.join()).toMatch(/AlertNotifier/);
    expect(senders.join()).toMatch(/Api/);
  });

  it('gives the notifier its senders, countries and link settings, and a paced queue trigger', () => {
    expect(notifierEnv).toMatchObject({
      [ENV.alertEmailFrom]: 'Contoso Alerts <alerts@alerts.contoso.example>',
      [ENV.smsOriginationIdentity]: ORIGINATION,
      [ENV.smsAllowedCountries]: 'JP,US',
    });
    expect(Object.keys(notifierEnv)).toEqual(
      expect.arrayContaining([
        ENV.sesConfigurationSet,
        ENV.smsConfigurationSet,
        ENV.contactLinksBaseUrl,
        ENV.tableName,
        ENV.notificationsQueueUrl,
      ]),
    );
    statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('builds no identity without the context settings: e-mail and SMS are off, the notifier is told', () => {
    const plain = synth();
    const template = Template.fromStack(plain.stateful);

    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.resourceCountIs('AWS::SMSVOICE::ConfigurationSet', 0);
    const variables = Object.values(Template.fromStack(plain.stateless).findResources('AWS::Lambda::Function')).map(
      (fn) => Object.keys(fn.Properties.Environment?.Variables ?? {}),
    );
    expect(variables.flat()).not.toContain(ENV.alertEmailFrom);
    expect(variables.flat()).not.toContain(ENV.smsOriginationIdentity);
  }, 120_000);

  it('passes cdk-nag with both channels on', { timeout: 120_000 }, () => {
    const { app } = synth(SETTINGS);
    app.synth();
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    const found = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
    );

    expect(found).toEqual([]);
  });
});
