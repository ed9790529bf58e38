import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRA_CANARY_FUNCTION } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { EXPIRY_WARNING_DAYS } from '#shared/domain/entra-credential.ts';
import { ENV } from '#shared/env-names.ts';
import { NEEDS_ATTENTION_COUNTS } from '#shared/needs-attention.ts';
import { actionsOf, statementsOfFunctionRole, TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

type Resource = { Properties: Record<string, unknown> };

/** The Entra credential's lifecycle as deployed: the placeholder secret, the hourly canary, its alarms. */
describe('the Entra credential lifecycle in the stacks', () => {
  let stateful: StatefulStack;
  let statefulTemplate: Template;
  let template: Template;
  let canaryId: string;
  let operationsTopicId: string;

  beforeAll(() => {
    const app = testApp();
    stateful = new StatefulStack(app, 'EntraStateful');
    const stateless = new StatelessStack(app, 'EntraStateless', { stateful, catalog: TEST_CATALOG });
    statefulTemplate = Template.fromStack(stateful);
    template = Template.fromStack(stateless);
    [canaryId] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'entra-canary',
    ) ?? [''];
    const topics = statefulTemplate.findResources('AWS::SNS::Topic');
    operationsTopicId = Object.keys(topics).find((id) => id.startsWith('Operations')) ?? '';
  });

  const alarm = (idPrefix: string) => {
    const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([id]) =>
      id.startsWith(idPrefix),
    );
    if (!found) throw new Error(`No alarm ${idPrefix}`);
    return found[1] as Resource;
  };
  const notifiesOperations = (resource: Resource) =>
    JSON.stringify(resource.Properties.AlarmActions).includes(operationsTopicId);

  it('creates no secret but names the parameter and outputs the command that creates it (missing = placeholder)', () => {
    statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    statefulTemplate.hasOutput('EntraClientSecretPutCommand', {
      Value:
        'aws ssm put-parameter --name /Marketplace/entra/client-secret --type SecureString --overwrite ' +
        '--value \'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}\'',
    });
  });

  it('runs the canary every hour', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((schedule) =>
      JSON.stringify(schedule.Properties.Target).includes(canaryId),
    );

    expect(canaryId).not.toBe('');
    expect(schedules.map((schedule) => schedule.Properties.ScheduleExpression)).toEqual([
      expect.stringMatching(/^rate\((60 minutes|1 hour)\)$/),
    ]);
  });

  it('gives the canary the Entra settings, the landing page URL of this API and the table, and no other address', () => {
    const variables = template.findResources('AWS::Lambda::Function')[canaryId]?.Properties.Environment.Variables;
    const apiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0];

    expect(
      Object.keys(variables).filter((name) => !name.startsWith('POWERTOOLS_') && !name.startsWith('NODE_')),
    ).toEqual(
      expect.arrayContaining([
        ENV.entraTenantId,
        ENV.entraClientId,
        ENV.entraCredentialKind,
        ENV.entraClientSecretParameter,
        ENV.landingPageUrl,
        // Its failures in a row and its schedule's runs (SCHEDULE_RUNS only: test/infra/least-privilege.test.ts).
        ENV.tableName,
      ]),
    );
    expect(Object.keys(variables).filter((name) => name.endsWith('_QUEUE_URL') || name.endsWith('_TOPIC_ARN'))).toEqual(
      [],
    );
    expect(variables[ENV.entraClientSecretParameter]).toBe('/Marketplace/entra/client-secret');
    expect(JSON.stringify(variables[ENV.landingPageUrl])).toContain(apiId);
    expect(JSON.stringify(variables[ENV.landingPageUrl])).toMatch(/\/landing"/);
  });

  it('lets the canary read the Entra client secret’s parameter and its own items of the table, nothing else', () => {
    const statements = statementsOfFunctionRole(template, canaryId);
    const actions = statements.flatMap(actionsOf);
    const parameterStatements = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('ssm:')),
    );

    // Its own log group and tracing besides (every function has those).
    expect(actions.filter((action) => !action.startsWith('xray:')).sort()).toEqual([
      // Its failures in a row and its schedule's runs, on SCHEDULE_RUNS only (test/infra/least-privilege.test.ts).
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      // A failed run goes to the stateful stack's dead-letter queue (its Lambda failure destination).
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'ssm:GetParameter',
    ]);
    expect(parameterStatements).toHaveLength(1);
    expect(JSON.stringify(parameterStatements[0]?.Resource)).toContain(':parameter/Marketplace/entra/client-secret');
  });

  it(`pages through NeedsAttentionAlarm for a canary run failing after a failed attempt and ${EXPIRY_WARNING_DAYS} days before the credential expires, with no alarm of its own`, () => {
    const needsAttention = alarm('NeedsAttentionAlarm');

    expect(needsAttention.Properties).toMatchObject({ Namespace: 'MarketplaceMetering', MetricName: 'NeedsAttention' });
    expect(notifiesOperations(needsAttention)).toBe(true);
    // The canary counts both (functions/entra-canary/metrics.ts); the list the alarm covers names them.
    for (const metric of ['EntraCanaryFailed', 'EntraCredentialExpiring']) {
      expect(NEEDS_ATTENTION_COUNTS).toContainEqual(expect.objectContaining({ service: 'entra-canary', metric }));
      expect(String(needsAttention.Properties.AlarmDescription)).toContain(metric);
    }
    const onCanary = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((resource) =>
      JSON.stringify(resource.Properties).includes(canaryId),
    );
    expect(onCanary).toEqual([]);
  });

  it('is the function infra/functions.ts declares', () => {
    expect(ENTRA_CANARY_FUNCTION.uses).toEqual({
      table: { items: { GetItem: ['SCHEDULE_RUNS'], PutItem: ['SCHEDULE_RUNS'], UpdateItem: ['SCHEDULE_RUNS'] } },
      marketplace: true,
      inspectsEntraCredential: true,
      landingPageUrl: true,
    });
  });
});
