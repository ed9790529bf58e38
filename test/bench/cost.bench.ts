/**
 * `npm run bench:cost`: the idle cost of the stacks as synthesized (defaults, and without the per-function alarms
 * and the dashboard) and the whole stack's month at 1M and 100M events a day, at the prices of aws-prices.json.
 * Prints the tables of docs/cost.md and BENCHMARKS.md. Synthesizes without bundling (a few seconds); no AWS calls.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';
import { loadAwsPrices } from './cost-model.ts';
import { IDLE_COST_OPTIONS, idleCost, idleCostTable, inventoryOf, type TemplateJson } from './idle-cost.ts';
import { monthlyCost, monthlyCostTable, SCENARIOS } from './monthly-cost.ts';

function templates(context: Record<string, unknown>, prefix: string): TemplateJson[] {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, `${prefix}Stateful`, { settings });
  const stateless = new StatelessStack(app, `${prefix}Stateless`, { stateful, catalog: TEST_CATALOG, settings });
  return [Template.fromStack(stateful).toJSON(), Template.fromStack(stateless).toJSON()] as TemplateJson[];
}

const prices = loadAwsPrices();
const functionIds = FUNCTIONS.map((definition) => definition.id);
const configurations = [
  { name: 'Defaults', context: {} },
  { name: 'Lean (-c functionAlarms=none -c dashboard=false)', context: { functionAlarms: 'none', dashboard: false } },
];
let defaults: ReturnType<typeof idleCost> | undefined;
for (const [index, configuration] of configurations.entries()) {
  const inventory = inventoryOf(templates(configuration.context, `Cost${index}`), functionIds);
  const cost = idleCost(inventory, prices, IDLE_COST_OPTIONS);
  defaults ??= cost;
  console.log(`\n## Idle cost: ${configuration.name} (prices of ${prices.takenOn}, ${prices.region})\n`);
  console.log(idleCostTable(cost));
}
if (!defaults) throw new Error('no configuration priced');
const idle = defaults;
const months = SCENARIOS.map((scenario) => monthlyCost(scenario, prices, idle));
console.log(`\n## A month of the whole stack (prices of ${prices.takenOn}, ${prices.region}, Lambda arm64)\n`);
console.log(monthlyCostTable(months));
for (const month of months) {
  console.log(`\n${month.scenario.name}:`);
  for (const line of month.lines) console.log(`- ${line.item}: $${line.dollars.toFixed(2)} (${line.detail})`);
}
