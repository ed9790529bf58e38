import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { FUNCTION_CONFIGS, variablesRead, variablesRequired } from '#test/helpers/function-configs.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** Variables of the Lambda runtime and Powertools, set by `AppFunction` for every function: no setting of ours. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE']);

/**
 * The environment each function is deployed with (from `infra/functions.ts` through the stateless stack) and the
 * settings its `config.ts` reads must agree: a variable the code requires but infra does not set stops the function
 * at its first cold start in AWS, which no test against the local mode (where every variable is set) would show.
 */
describe('the environment of each deployed function', () => {
  let environments: Map<string, Record<string, unknown>>;

  beforeAll(() => {
    const app = testApp();
    const stateful = new StatefulStack(app, 'TestStateful');
    const template = Template.fromStack(new StatelessStack(app, 'TestStateless', { stateful, catalog: TEST_CATALOG }));
    environments = new Map(
      Object.values(template.findResources('AWS::Lambda::Function')).map((resource) => {
        const variables = (resource.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        return [String(variables.POWERTOOLS_SERVICE_NAME), variables];
      }),
    );
  });

  const environmentOf = (functionId: string): Record<string, unknown> => {
    // Functions are told apart by their service name, the kebab-case of their id (infra/stacks/stateless-stack.ts).
    const serviceName = functionId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    const environment = environments.get(serviceName);
    if (!environment) throw new Error(`No deployed function with the service name ${serviceName}`);
    return environment;
  };

  const definitions = FUNCTIONS.map((definition) => [definition.id, FUNCTION_CONFIGS[definition.id]] as const);

  it.each(definitions)('%s is given every variable its configuration requires', (id, config) => {
    if (!config) throw new Error(`${id} has no configuration in test/helpers/function-configs.ts`);
    const deployed = Object.keys(environmentOf(id));

    expect(variablesRequired(config).filter((name) => !deployed.includes(name))).toEqual([]);
  });

  it.each(definitions)('%s is given no variable its configuration does not read', (id, config) => {
    if (!config) throw new Error(`${id} has no configuration in test/helpers/function-configs.ts`);
    const read = variablesRead(config);
    const deployed = Object.keys(environmentOf(id)).filter((name) => !RUNTIME_VARIABLES.has(name));

    expect(deployed.filter((name) => !read.includes(name))).toEqual([]);
  });
});
