import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeploymentSettings, SMOKE_TEST_WEBHOOKS_OUTPUT } from '#infra/deployment-settings.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { deployedStackFrom } from '#infra/tools/smoke-stack.ts';
import { ENV } from '#shared/env-names.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

function statelessWith(context: Record<string, unknown>): Template {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, 'MarketplaceStateful', { settings });
  return Template.fromStack(
    new StatelessStack(app, 'MarketplaceStateless', { stateful, catalog: TEST_CATALOG, settings }),
  );
}

/** Each function's value of SMOKE_TEST_WEBHOOKS, by service name, for the functions that have one. */
function testModeOf(template: Template): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    if (variables[ENV.smokeTestWebhooks] !== undefined) {
      found[String(variables.POWERTOOLS_SERVICE_NAME)] = variables[ENV.smokeTestWebhooks];
    }
  }
  return found;
}

describe('smoke test webhooks (context smokeTestWebhooks)', () => {
  let byDefault: Template;
  let turnedOn: Template;

  beforeAll(() => {
    byDefault = statelessWith({});
    turnedOn = statelessWith({ smokeTestWebhooks: true });
  }, 120_000);

  it('are off by default: no function is told to accept them, and the output says off', () => {
    expect(readDeploymentSettings(testApp().node).smokeTestWebhooks).toBe(false);
    expect(testModeOf(byDefault)).toEqual({});
    byDefault.hasOutput(SMOKE_TEST_WEBHOOKS_OUTPUT, { Value: 'off' });
  });

  it('when turned on, reach the webhook function only, and the output says on for npm run smoke', () => {
    expect(testModeOf(turnedOn)).toEqual({ 'fulfillment-webhook': 'on' });
    turnedOn.hasOutput(SMOKE_TEST_WEBHOOKS_OUTPUT, { Value: 'on' });
  });

  it('are read by npm run smoke from that output, off when a stack predates it', () => {
    const stack = (outputs: Record<string, string>) => ({
      StackName: 'MarketplaceStateless',
      StackStatus: 'UPDATE_COMPLETE' as const,
      CreationTime: new Date(),
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    });
    const stateful = stack({ TableName: 'Main' });
    const apiUrl = 'https://abc.execute-api.eu-west-1.amazonaws.com/';

    expect(deployedStackFrom(stateful, stack({ ApiUrl: apiUrl, [SMOKE_TEST_WEBHOOKS_OUTPUT]: 'on' }))).toMatchObject({
      apiUrl,
      testWebhooks: 'on',
    });
    expect(deployedStackFrom(stateful, stack({ ApiUrl: apiUrl })).testWebhooks).toBe('off');
    // Behind a custom domain the checks go through the domain, and the execute-api URL must refuse direct calls.
    const edge = stack({ PublicUrl: 'https://marketplace.contoso.com/' });
    expect(deployedStackFrom(stateful, stack({ ApiUrl: apiUrl }), edge)).toMatchObject({
      apiUrl: 'https://marketplace.contoso.com/',
      executeApiUrl: apiUrl,
    });
  });
});
