import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RESERVE_CONCURRENCY,
  type DeploymentSettings,
  readDeploymentSettings,
} from '#infra/deployment-settings.ts';
import {
  ALERT_NOTIFIER_FUNCTION,
  CONTACT_EVENTS_FUNCTION,
  FULFILLMENT_WEBHOOK_FUNCTION,
  FUNCTIONS,
  LANDING_FUNCTION,
  LOCAL_DEFAULT_POLLERS,
  localPollersOf,
  OPERATION_ANSWERS_FUNCTION,
  PORTAL_FUNCTION,
  type QueueTrigger,
  totalReservedConcurrency,
  USAGE_AGGREGATOR_FUNCTION,
  USAGE_REPORTER_FUNCTION,
} from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { UNREPORTED_SHARDS } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** Lambda keeps at least this many copies of an account's concurrency unreserved, and refuses reservations below. */
const LAMBDA_MIN_UNRESERVED = 100;
/** The standard concurrency limit of an account once out of its new-account limits. */
const STANDARD_ACCOUNT_LIMIT = 1_000;

/** The defaults of every setting (whatever settings are added later), with this test's prefix. */
const SETTINGS: DeploymentSettings = {
  ...readDeploymentSettings(new App().node),
  stackPrefix: 'Test',
  reserveConcurrency: DEFAULT_RESERVE_CONCURRENCY,
};

describe('bounded concurrency in the synthesized template', () => {
  let reserving: Template;
  let notReserving: Template;

  beforeAll(() => {
    const app = testApp();
    const stateful = new StatefulStack(app, 'TestStateful');
    // Both stacks exist before the first template is made: the app synthesizes once.
    const withReservations = new StatelessStack(app, 'TestStateless', {
      stateful,
      catalog: TEST_CATALOG,
      settings: SETTINGS,
    });
    const withoutReservations = new StatelessStack(app, 'LowLimitStateless', {
      stateful,
      catalog: TEST_CATALOG,
      settings: { ...SETTINGS, reserveConcurrency: false },
    });
    reserving = Template.fromStack(withReservations);
    notReserving = Template.fromStack(withoutReservations);
  });

  /** The function's resource, found by its Powertools service name (the kebab-case of its definition id). */
  function functionResource(template: Template, definitionId: string) {
    const serviceName = definitionId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === serviceName,
    );
    expect(found, `one function ${definitionId}`).toHaveLength(1);
    const [logicalId, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
    return { logicalId, properties: resource.Properties };
  }

  function eventSourceMappingOf(template: Template, definitionId: string) {
    const { logicalId } = functionResource(template, definitionId);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (mapping) => (mapping.Properties.FunctionName as { Ref?: string }).Ref === logicalId,
    );
    expect(mappings, `one event source mapping of ${definitionId}`).toHaveLength(1);
    return (mappings[0] as { Properties: Record<string, unknown> }).Properties;
  }

  it('caps the aggregator at 10 concurrent batches on its queue trigger', () => {
    const mapping = eventSourceMappingOf(reserving, USAGE_AGGREGATOR_FUNCTION.id);
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: 10 });
    expect(mapping).toMatchObject({ BatchSize: 2000, MaximumBatchingWindowInSeconds: 5 });
  });

  it('caps the notifier at 2 concurrent batches (paced sending, held alerts not burnt by throttling)', () => {
    expect(eventSourceMappingOf(reserving, ALERT_NOTIFIER_FUNCTION.id).ScalingConfig).toEqual({
      MaximumConcurrency: 2,
    });
  });

  it('sets a maximum concurrency on the Usage and Notifications triggers only: the others are bounded by their producers', () => {
    // A capped trigger keeps 5 pollers on an idle queue instead of 2 (docs/cost.md): only where a backlog could fan out.
    const triggered = FUNCTIONS.filter((definition) => definition.trigger);
    const capped = triggered.filter((definition) => eventSourceMappingOf(reserving, definition.id).ScalingConfig);
    expect(capped.map((definition) => definition.trigger?.queue.id).sort()).toEqual(['Notifications', 'Usage']);
    for (const definition of triggered) {
      const mapping = eventSourceMappingOf(reserving, definition.id);
      const cap = definition.trigger?.maxConcurrency;
      expect(mapping.ScalingConfig, definition.id).toEqual(cap === undefined ? undefined : { MaximumConcurrency: cap });
      // Lambda's bounds for an SQS event source mapping's maximum concurrency.
      if (cap !== undefined) expect(cap).toBeGreaterThanOrEqual(2);
      if (cap !== undefined) expect(cap).toBeLessThanOrEqual(1_000);
    }
    for (const uncapped of [USAGE_REPORTER_FUNCTION, OPERATION_ANSWERS_FUNCTION, CONTACT_EVENTS_FUNCTION]) {
      expect(eventSourceMappingOf(reserving, uncapped.id).ScalingConfig, uncapped.id).toBeUndefined();
    }
  });

  it('bounds the operation answers by the webhook that sends them: the webhook keeps its reserved concurrency', () => {
    // One answer per webhook call: the reservation that keeps the webhook answering also caps what it can queue.
    expect(OPERATION_ANSWERS_FUNCTION.trigger?.maxConcurrency).toBeUndefined();
    expect(FULFILLMENT_WEBHOOK_FUNCTION.reservedConcurrency).toBe(10);
  });

  it('runs the reporter with one local poller per shard, and every other local trigger with its cap or 2', () => {
    expect(localPollersOf(USAGE_REPORTER_FUNCTION.trigger as QueueTrigger)).toBe(UNREPORTED_SHARDS);
    expect(localPollersOf(USAGE_AGGREGATOR_FUNCTION.trigger as QueueTrigger)).toBe(10);
    expect(localPollersOf(ALERT_NOTIFIER_FUNCTION.trigger as QueueTrigger)).toBe(2);
    expect(localPollersOf(OPERATION_ANSWERS_FUNCTION.trigger as QueueTrigger)).toBe(LOCAL_DEFAULT_POLLERS);
    expect(localPollersOf(CONTACT_EVENTS_FUNCTION.trigger as QueueTrigger)).toBe(LOCAL_DEFAULT_POLLERS);
  });

  it('reserves concurrency for the webhook, the landing page and sign-in', () => {
    expect(functionResource(reserving, FULFILLMENT_WEBHOOK_FUNCTION.id).properties.ReservedConcurrentExecutions).toBe(
      10,
    );
    expect(functionResource(reserving, LANDING_FUNCTION.id).properties.ReservedConcurrentExecutions).toBe(10);
    expect(functionResource(reserving, PORTAL_FUNCTION.id).properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('reserves nothing for the other functions, and leaves a standard account far above its unreserved minimum', () => {
    const reserved = Object.values(reserving.findResources('AWS::Lambda::Function'))
      .map((resource) => resource.Properties.ReservedConcurrentExecutions as number | undefined)
      .filter((value) => value !== undefined);
    expect(reserved).toHaveLength(3);
    const total = reserved.reduce((sum, value) => sum + value, 0);
    expect(total).toBe(totalReservedConcurrency());
    expect(STANDARD_ACCOUNT_LIMIT - total).toBeGreaterThanOrEqual(LAMBDA_MIN_UNRESERVED);
  });

  it('deploys no reservation with reserveConcurrency=false (an account with a low concurrency limit)', () => {
    for (const resource of Object.values(notReserving.findResources('AWS::Lambda::Function'))) {
      expect(resource.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
    // The queue caps stay: they bound DynamoDB's load and need no unreserved headroom.
    expect(eventSourceMappingOf(notReserving, USAGE_AGGREGATOR_FUNCTION.id).ScalingConfig).toEqual({
      MaximumConcurrency: 10,
    });
  });
});
