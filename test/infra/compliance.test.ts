import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { addComplianceChecks } from '#infra/compliance.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/** The two stacks of infra/app.ts, without bundling. */
function appWithBothStacks() {
  const app = testApp();
  const stateful = new StatefulStack(app, 'CompliantStateful');
  const stateless = new StatelessStack(app, 'CompliantStateless', { stateful, catalog: TEST_CATALOG });
  return { app, stateful, stateless };
}

/**
 * Every unacknowledged AwsSolutions finding, one line each: `<severity> <rule> <construct path>: <why>`. The app is
 * synthesized first, as `cdk synth` does before it runs the checks: cross-stack references are then imports, and
 * the findings name the resources exactly as they do there.
 */
function findings(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} ${resource.constructPath}: ${violation.description}`,
    ),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it('find nothing unacknowledged in the app: every finding is fixed or acknowledged with a reason', {
    timeout: 120_000,
  }, () => {
    const { app } = appWithBothStacks();

    const found = findings(app);

    expect(found, `Unacknowledged cdk-nag findings:\n${found.join('\n')}`).toEqual([]);
  });

  it('report a new finding, so one added to the stacks fails this test', { timeout: 120_000 }, () => {
    const { app, stateless } = appWithBothStacks();
    // A queue without a dead-letter queue or TLS enforcement, and a role allowed everything on a service.
    new sqs.Queue(stateless, 'CarelessQueue');
    const role = new iam.Role(stateless, 'CarelessRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));

    const found = findings(app);

    expect(found.some((line) => line.includes('AwsSolutions-SQS3') && line.includes('CarelessQueue'))).toBe(true);
    expect(found.some((line) => line.includes('AwsSolutions-IAM5[Action::dynamodb:*]'))).toBe(true);
    // The X-Ray acknowledgment is scoped to the tracing policies: it does not cover a `*` elsewhere.
    expect(found.some((line) => line.includes('AwsSolutions-IAM5[Resource::*]') && line.includes('CarelessRole'))).toBe(
      true,
    );
  });

  it('are registered by addComplianceChecks (infra/app.ts), so `cdk synth` fails on a finding', {
    timeout: 120_000,
  }, () => {
    const { app } = appWithBothStacks();
    addComplianceChecks(app);
    const offending = new Stack(app, 'Offending');
    new sqs.Queue(offending, 'CarelessQueue');

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('give every acknowledgment a reason of at least a sentence', { timeout: 120_000 }, () => {
    const { app } = appWithBothStacks();
    const reasons = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));

    expect(reasons.length).toBeGreaterThan(0);
    for (const [rule, reason] of reasons) expect(reason.length, rule).toBeGreaterThan(60);
  });
});
