import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeploymentSettings } from '#infra/deployment-settings.ts';
import { CONTACT_EVENTS_FUNCTION, CONTACT_PAGES_FUNCTION } from '#infra/functions.ts';
import { CONTACT_EVENTS_QUEUE } from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

type Resource = { Properties: Record<string, unknown> };

describe('the contact lifecycle in the stacks', () => {
  let stateful: StatefulStack;
  let stateless: StatelessStack;
  let statefulTemplate: Template;
  let statelessTemplate: Template;

  beforeAll(() => {
    const app = testApp();
    app.node.setContext('smsCountries', 'JP,US');
    const settings = readDeploymentSettings(app.node);
    stateful = new StatefulStack(app, 'ContactStateful', { settings });
    stateless = new StatelessStack(app, 'ContactStateless', { stateful, catalog: TEST_CATALOG, settings });
    statefulTemplate = Template.fromStack(stateful);
    statelessTemplate = Template.fromStack(stateless);
  });

  const functionOf = (id: string) => {
    const logical = stateless.resolve(
      stateless.getLogicalId(stateless.node.findChild(id).node.findChild('Function').node.defaultChild as never),
    ) as string;
    return statelessTemplate.toJSON().Resources[logical] as Resource;
  };
  const envOf = (id: string) =>
    (functionOf(id).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

  it('subscribes the contact-events queue to the DeliveryEvents topic with raw delivery', () => {
    const topics = statefulTemplate.findResources('AWS::SNS::Topic');
    const queues = statefulTemplate.findResources('AWS::SQS::Queue');
    const topicId = Object.keys(topics).find((id) => id.startsWith('DeliveryEvents'));
    const queueId = Object.keys(queues).find((id) => /^ContactEvents[0-9A-F]{8}$/.test(id));
    expect(topicId).toBeDefined();
    expect(queueId).toBeDefined();

    statefulTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      RawMessageDelivery: true,
    });
  });

  it('lets SES and End User Messaging SMS of this account only publish delivery events', () => {
    statefulTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DeliveryEventsFromSesAndSms',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: ['ses.amazonaws.com', 'sms-voice.amazonaws.com'] },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('dead-letters what the consumer cannot apply, with an alarm on the operations topic', () => {
    const deadLetters = stateful.resolve(stateful.getLogicalId(stateful.deadLetterQueue.node.defaultChild as never));
    statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] },
        maxReceiveCount: CONTACT_EVENTS_QUEUE.maxReceiveCount,
      },
    });
    // The one dead-letter queue's alarm; its runbook has an entry for this source (docs/operate.md, ContactEvents).
    statefulTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('DeadLetters queue.*ContactEvents'),
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetters, 'QueueName'] } }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Operations') }],
    });
  });

  it('triggers the ContactEvents function from the queue, partial batches, bounded by the notifier (no cap of its own)', () => {
    const fnId = stateless.resolve(
      stateless.getLogicalId(
        stateless.node.findChild(CONTACT_EVENTS_FUNCTION.id).node.findChild('Function').node.defaultChild as never,
      ),
    ) as string;
    statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // A capped trigger keeps 5 idle pollers instead of 2 (docs/cost.md); its events come at the notifier's pace.
      ScalingConfig: Match.absent(),
    });
  });

  it('serves the contact pages publicly from the ContactPages function, GET and POST', () => {
    for (const path of ['/contacts/confirm', '/contacts/unsubscribe']) {
      for (const method of ['GET', 'POST']) {
        statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: `${method} ${path}`,
          AuthorizationType: 'NONE',
        });
      }
    }
  });

  it('gives the functions that sign or check links the public base URL and the table holding the link key', () => {
    for (const id of ['Api', CONTACT_PAGES_FUNCTION.id]) {
      const env = envOf(id);
      expect(env[ENV.contactLinksBaseUrl], id).toBeDefined();
      expect(JSON.stringify(env[ENV.contactLinksBaseUrl])).toContain('HttpApi');
      expect(env[ENV.tableName], id).toBeDefined();
    }
    expect(envOf(CONTACT_EVENTS_FUNCTION.id)[ENV.contactLinksBaseUrl]).toBeUndefined();
  });

  it('passes the smsCountries context setting to the Api as SMS_ALLOWED_COUNTRIES', () => {
    expect(envOf('Api')[ENV.smsAllowedCountries]).toBe('JP,US');
    expect(envOf(CONTACT_PAGES_FUNCTION.id)[ENV.smsAllowedCountries]).toBeUndefined();
  });

  it('refuses an smsCountries setting it cannot place numbers in', () => {
    const app = testApp();
    app.node.setContext('smsCountries', 'JP,XX');

    expect(() => readDeploymentSettings(app.node)).toThrow(/Context "smsCountries": "XX" is not a supported/);
  });
});
