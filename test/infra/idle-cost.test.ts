import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS, SCHEDULES } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { loadAwsPrices } from '#test/bench/cost-model.ts';
import { IDLE_COST_OPTIONS, type IdleCost, idleCost, inventoryOf, type TemplateJson } from '#test/bench/idle-cost.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

const COST_DOC = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8');

/** Both templates as infra/app.ts synthesizes them with these context settings. */
function templates(context: Record<string, unknown>, prefix: string): TemplateJson[] {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, `${prefix}Stateful`, { settings });
  const stateless = new StatelessStack(app, `${prefix}Stateless`, { stateful, catalog: TEST_CATALOG, settings });
  return [Template.fromStack(stateful).toJSON(), Template.fromStack(stateless).toJSON()] as TemplateJson[];
}

/** The figures docs/cost.md states for a configuration: `<name>: USD a.bc a month … (USD x.yz after the free tiers)`. */
function documented(name: string): { total: string; afterFreeTier: string } {
  const match = new RegExp(`${name}: USD (\\d+\\.\\d\\d) a month at list prices \\(USD (\\d+\\.\\d\\d) after`).exec(
    COST_DOC,
  );
  if (!match?.[1] || !match[2]) throw new Error(`docs/cost.md states no figure for "${name}"`);
  return { total: match[1], afterFreeTier: match[2] };
}

const functionIds = FUNCTIONS.map((definition) => definition.id);

describe('idle cost, from the synthesized templates', () => {
  const prices = loadAwsPrices();
  let defaults: TemplateJson[];
  let defaultCost: IdleCost;

  beforeAll(() => {
    defaults = templates({}, 'Idle');
    defaultCost = idleCost(inventoryOf(defaults, functionIds), prices, IDLE_COST_OPTIONS);
  });

  it('counts what is deployed: every schedule, queue trigger, secret, alarm metric and the dashboard', () => {
    const inventory = inventoryOf(defaults, functionIds);

    expect(Object.keys(inventory.scheduledRuns).sort()).toEqual(
      [...new Set(SCHEDULES.map((schedule) => schedule.functionId))].sort(),
    );
    // Every 10 minutes for a month of 730 hours.
    expect(inventory.scheduledRuns.UsageReportDispatcher).toBe(4_380);
    expect(inventory.queueTriggers).toHaveLength(FUNCTIONS.filter((definition) => definition.trigger).length);
    // The client secrets are SSM parameters (no monthly fee) and the session key a table item, by default.
    expect(inventory.secrets).toBe(0);
    expect(inventory.alarmMetrics).toBeGreaterThan(inventory.alarms - 1);
    expect(inventory.dashboardMetrics).toHaveLength(1);
  });

  it('prices the two client secrets again (USD 0.40 each) when they are kept in Secrets Manager', () => {
    const withSecrets = inventoryOf(templates({ secretStore: 'secretsManager' }, 'Secrets'), functionIds);
    const cost = idleCost(withSecrets, prices, IDLE_COST_OPTIONS);

    expect(withSecrets.secrets).toBe(2);
    expect(cost.total.minus(defaultCost.total).toFixed(2)).toBe('0.80');
  });

  it('is the figure docs/cost.md states for the defaults (change the doc with what adds a monthly cost)', () => {
    expect({
      total: defaultCost.total.toFixed(2),
      afterFreeTier: defaultCost.totalAfterFreeTier.toFixed(2),
    }).toEqual(documented('Defaults'));
  });

  it('is the figure docs/cost.md states without the function alarms and the dashboard', () => {
    const lean = idleCost(
      inventoryOf(templates({ functionAlarms: 'none', dashboard: false }, 'Lean'), functionIds),
      prices,
      IDLE_COST_OPTIONS,
    );

    expect({ total: lean.total.toFixed(2), afterFreeTier: lean.totalAfterFreeTier.toFixed(2) }).toEqual(
      documented('Lean'),
    );
    expect(lean.total.lt(defaultCost.total)).toBe(true);
  });

  it('publishes no custom metric when idle, and polls each queue trigger with the pollers AWS documents', () => {
    const metrics = defaultCost.lines.find((line) => line.item === 'CloudWatch custom metrics');
    expect(metrics?.dollars.isZero()).toBe(true);
    const sqs = defaultCost.lines.find((line) => line.item.startsWith('SQS'));
    // A trigger with a maximum concurrency keeps 5 pollers, one without can go down to 2; 3 long polls a minute each.
    const pollers = FUNCTIONS.filter((definition) => definition.trigger).reduce(
      (sum, definition) => sum + (definition.trigger?.maxConcurrency === undefined ? 2 : 5),
      0,
    );
    const receives = (pollers * 3 * 43_800).toLocaleString('en-US');
    expect(sqs?.arithmetic).toContain(`${pollers} pollers × 3 receives a minute × 43,800 min = ${receives}`);
    // Only the Usage and Notifications triggers keep a maximum concurrency: 2 × 5 + 3 × 2.
    expect(pollers).toBe(16);
    // "As few as 2" is what AWS can optimize to: the line also states the case of every trigger at 5.
    const triggers = FUNCTIONS.filter((definition) => definition.trigger).length;
    expect(sqs?.arithmetic).toContain(`at worst ${triggers * 5} pollers: USD `);
  });
});
