import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DeploymentSettings, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import {
  actionsOf,
  type Statement,
  statementsOfFunctionRole,
  TEST_CATALOG,
  testApp,
} from '#test/infra/cdk-test-app.ts';

type Conditioned = Statement & { Condition?: unknown };

const settingsWith = (context: Record<string, string>): DeploymentSettings =>
  readDeploymentSettings(new App({ context }).node);

/** Both stacks with the given settings, and each function's environment and non-logging statements by id. */
function deploy(settings: DeploymentSettings) {
  const app = testApp();
  const stateful = new StatefulStack(app, `${settings.stackPrefix}Stateful`, { settings });
  const stateless = new StatelessStack(app, `${settings.stackPrefix}Stateless`, {
    stateful,
    catalog: TEST_CATALOG,
    settings,
  });
  const statefulTemplate = Template.fromStack(stateful);
  const template = Template.fromStack(stateless);
  const functions = template.findResources('AWS::Lambda::Function');
  const byId = new Map<string, { env: Record<string, unknown>; statements: Conditioned[] }>();
  for (const definition of FUNCTIONS) {
    const service = definition.id.replace(/[A-Z]/g, (letter, at) => (at ? '-' : '') + letter.toLowerCase());
    const [logicalId, resource] =
      Object.entries(functions).find(
        ([, candidate]) => candidate.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      ) ?? [];
    if (!logicalId || !resource) throw new Error(`No function ${definition.id}`);
    byId.set(definition.id, {
      env: resource.Properties.Environment.Variables,
      statements: statementsOfFunctionRole(template, logicalId) as Conditioned[],
    });
  }
  return { stateful, statefulTemplate, byId };
}

const secretActions = (statements: readonly Conditioned[]) =>
  statements.filter((statement) => actionsOf(statement).some((action) => /^(ssm|kms|secretsmanager):/.test(action)));

describe('the Entra client secrets in SSM Parameter Store (the default)', () => {
  let deployed: ReturnType<typeof deploy>;

  beforeAll(() => {
    deployed = deploy(settingsWith({ stackPrefix: 'Contoso' }));
  });

  it('creates no Secrets Manager secret at all (USD 0 a month of secrets)', () => {
    deployed.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    // CloudFormation cannot create a SecureString: no parameter resource either, the publisher creates them.
    deployed.statefulTemplate.resourceCountIs('AWS::SSM::Parameter', 0);
  });

  it('outputs each parameter name, under the stack prefix, and the put-parameter command that creates it', () => {
    const outputs = deployed.statefulTemplate.toJSON().Outputs;

    expect(outputs.EntraClientSecretParameter.Value).toBe('/Contoso/entra/client-secret');
    expect(outputs.SignInClientSecretParameter.Value).toBe('/Contoso/sign-in/client-secret');
    expect(outputs.EntraClientSecretPutCommand.Value).toBe(
      'aws ssm put-parameter --name /Contoso/entra/client-secret --type SecureString --overwrite ' +
        '--value \'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}\'',
    );
    expect(outputs.SignInClientSecretPutCommand.Value).toBe(
      "aws ssm put-parameter --name /Contoso/sign-in/client-secret --type SecureString --overwrite --value '<value>'",
    );
  });

  it('gives each function that calls Microsoft the parameter name, GetParameter on exactly it, and decrypt via SSM only', () => {
    const parameterArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ssm:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':parameter/Contoso/entra/client-secret',
        ],
      ],
    };
    const decrypt = {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':kms:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':key/*',
          ],
        ],
      },
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
        },
      },
    };
    for (const definition of FUNCTIONS.filter((candidate) => candidate.uses.marketplace)) {
      const { env, statements } = deployed.byId.get(definition.id) ?? { env: {}, statements: [] };
      expect(env[ENV.entraClientSecretParameter], definition.id).toBe('/Contoso/entra/client-secret');
      expect(env, definition.id).not.toHaveProperty(ENV.entraClientSecretArn);
      expect(secretActions(statements), definition.id).toEqual([
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn },
        decrypt,
      ]);
    }
  });

  it('gives the portal the sign-in parameter only, and no function anything of Secrets Manager', () => {
    const portal = deployed.byId.get('Portal');
    expect(portal?.env[ENV.signInClientSecretParameter]).toBe('/Contoso/sign-in/client-secret');
    expect(JSON.stringify(secretActions(portal?.statements ?? []))).toContain(
      ':parameter/Contoso/sign-in/client-secret',
    );
    expect(JSON.stringify(secretActions(portal?.statements ?? []))).not.toContain('entra/client-secret');
    for (const [id, { env, statements }] of deployed.byId) {
      expect(JSON.stringify(statements), id).not.toContain('secretsmanager:');
      expect(
        Object.keys(env).filter((name) => name.endsWith('_ARN') && name.includes('SECRET')),
        id,
      ).toEqual([]);
    }
  });

  it('gives the functions of no secret neither the parameter grant nor the decrypt grant', () => {
    for (const definition of FUNCTIONS.filter((candidate) => !candidate.uses.marketplace && !candidate.uses.signIn)) {
      expect(secretActions(deployed.byId.get(definition.id)?.statements ?? []), definition.id).toEqual([]);
    }
  });
});

describe('the Entra client secrets in Secrets Manager (secretStore=secretsManager)', () => {
  let deployed: ReturnType<typeof deploy>;

  beforeAll(() => {
    deployed = deploy(settingsWith({ secretStore: 'secretsManager' }));
  });

  it("creates the two client secrets as before, retained, with CloudFormation's own random value (no template)", () => {
    const secrets = deployed.statefulTemplate.findResources('AWS::SecretsManager::Secret');

    expect(
      Object.keys(secrets)
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['EntraClientSecret', 'SignInClientSecret']);
    for (const secret of Object.values(secrets)) {
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      // A real secret put later adds a version: GET /health and the canary report a single version as the placeholder.
      expect(secret.Properties.GenerateSecretString).toEqual({});
    }
    deployed.statefulTemplate.hasOutput('EntraClientSecretArn', {});
    deployed.statefulTemplate.hasOutput('SignInClientSecretArn', {});
  });

  it('binds the secret ARN to the functions, with ListSecretVersionIds for the two that report the placeholder', () => {
    for (const definition of FUNCTIONS.filter((candidate) => candidate.uses.marketplace)) {
      const { env, statements } = deployed.byId.get(definition.id) ?? { env: {}, statements: [] };
      const actions = secretActions(statements).flatMap(actionsOf).sort();

      expect(env, definition.id).toHaveProperty(ENV.entraClientSecretArn);
      expect(env, definition.id).not.toHaveProperty(ENV.entraClientSecretParameter);
      expect(actions, definition.id).toEqual(
        definition.uses.inspectsEntraCredential
          ? ['secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds']
          : ['secretsmanager:GetSecretValue'],
      );
    }
    expect(deployed.byId.get('Portal')?.env).toHaveProperty(ENV.signInClientSecretArn);
  });
});
