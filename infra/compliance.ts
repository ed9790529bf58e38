import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs cdk-nag's AwsSolutions rule pack over the whole app at synthesis: an unacknowledged finding (error or warning)
 * fails `cdk synth` and `cdk deploy` with the list of findings, before anything reaches CloudFormation. A finding is
 * either fixed or acknowledged with its reason at the narrowest construct (`Validations.of(x).acknowledge`), next to
 * the code that causes it; test/infra/compliance.test.ts runs the same pack in `npm test`.
 *
 * `verbose`: each finding says why the rule exists, not only what it found.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
