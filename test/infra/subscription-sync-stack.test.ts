import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import { actionsOf, statementsOfFunctionRole, TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** What infra/functions.ts declares for the fulfillment part 3 functions, as the stateless stack deploys it. */
describe('the subscription sync and the publisher operations in the stateless stack', () => {
  let template: Template;
  const functionIdOf = (serviceName: string) => {
    const [id] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === serviceName,
    ) ?? [''];
    return id;
  };
  const environmentOf = (logicalId: string): Record<string, unknown> =>
    template.findResources('AWS::Lambda::Function')[logicalId]?.Properties.Environment.Variables ?? {};

  beforeAll(() => {
    const app = testApp();
    const stateful = new StatefulStack(app, 'SyncStateful');
    template = Template.fromStack(new StatelessStack(app, 'SyncStateless', { stateful, catalog: TEST_CATALOG }));
  });

  it('runs the subscription sync every hour', () => {
    const syncId = functionIdOf('subscription-sync');
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((schedule) =>
      JSON.stringify(schedule.Properties.Target).includes(syncId),
    );

    expect(syncId).not.toBe('');
    expect(schedules.map((schedule) => schedule.Properties.ScheduleExpression)).toEqual([
      expect.stringMatching(/^rate\((60 minutes|1 hour)\)$/),
    ]);
  });

  it('lets the sync read and write the table, publish lifecycle events and read the Entra secret', () => {
    const syncId = functionIdOf('subscription-sync');
    const actions = statementsOfFunctionRole(template, syncId).flatMap(actionsOf);

    expect(environmentOf(syncId)).toHaveProperty(ENV.tableName);
    expect(environmentOf(syncId)).toHaveProperty(ENV.lifecycleTopicArn);
    expect(environmentOf(syncId)).toHaveProperty(ENV.entraTenantId);
    expect(environmentOf(syncId)).toHaveProperty(ENV.entraClientSecretParameter);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'sns:Publish', 'ssm:GetParameter']));
  });

  it('gives the publisher operations the Entra settings they need, and the Api, which never calls Microsoft, none', () => {
    const operationsId = functionIdOf('publisher-operations');
    const actions = statementsOfFunctionRole(template, operationsId).flatMap(actionsOf);
    const apiId = functionIdOf('api');

    expect(environmentOf(operationsId)).toHaveProperty(ENV.entraTenantId);
    expect(environmentOf(operationsId)).toHaveProperty(ENV.entraClientId);
    expect(environmentOf(operationsId)).toHaveProperty(ENV.entraClientSecretParameter);
    expect(actions).toContain('ssm:GetParameter');
    expect(environmentOf(apiId)).not.toHaveProperty(ENV.entraClientSecretParameter);
    expect(statementsOfFunctionRole(template, apiId).flatMap(actionsOf)).not.toContain('ssm:GetParameter');
  });
});
