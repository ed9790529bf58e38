import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Catalog } from '#shared/domain/catalog.ts';

/**
 * An App with the same feature flags as `cdk.json` (so tests see the templates `cdk synth` produces) and bundling
 * switched off: asset bundling is exercised by the real synth test, and skipping it here makes a stack ~10× faster.
 */
export function testApp(): App {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

/** A small valid catalog; the stacks only serialize it, so its content does not matter to them. */
export const TEST_CATALOG: Catalog = {
  storeFeeRate: '0.03',
  offers: [
    {
      id: 'contoso-analytics',
      displayName: 'Contoso Analytics',
      dimensions: [{ id: 'api_calls', displayName: 'API calls', unitOfMeasure: 'per 1000 calls' }],
      plans: [
        {
          id: 'gold',
          displayName: 'Gold',
          visibility: 'public',
          pricingModel: 'flatRate',
          freeTrial: false,
          billingTerms: [
            { termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: '100.00' }, includedQuantities: {} },
          ],
          meteredDimensions: [{ dimensionId: 'api_calls', pricePerUnit: { USD: '0.50' } }],
        },
      ],
    },
  ],
};

/** An IAM policy statement as it appears in a synthesized template. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of every IAM policy attached to the execution role of the function with this logical id. */
export function statementsOfFunctionRole(template: Template, functionLogicalId: string): Statement[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId];
  if (!fn) throw new Error(`No function ${functionLogicalId} in the template`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}
