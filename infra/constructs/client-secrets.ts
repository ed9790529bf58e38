import { ArnFormat, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { bindSecret } from '#infra/constructs/bind.ts';
import type { SecretStore } from '#infra/deployment-settings.ts';

/**
 * Where one of the two Entra client secrets is kept (the `secretStore` setting, infra/deployment-settings.ts):
 * - `parameterStore` (default): an SSM Parameter Store `SecureString` the publisher creates after deploying (standard
 *   tier: no monthly fee). CloudFormation cannot create a `SecureString`, so the stack creates nothing: it names the
 *   parameter, grants reading exactly it, and outputs the command that creates it. Until it exists, the functions
 *   report it as the placeholder (GET /health, the canary, the cold-start line).
 * - `secretsManager`: a Secrets Manager secret the stack creates with a generated placeholder value (USD 0.40 a month).
 */
export type ClientSecretLocation =
  | { readonly store: 'parameterStore'; readonly parameterName: string; readonly parameterArn: string }
  | { readonly store: 'secretsManager'; readonly secret: secretsmanager.ISecret };

/** What a client secret is for: it names the parameter and the stack's construct ids and outputs. */
export interface ClientSecretPurpose {
  /** The construct id of the Secrets Manager secret (kept as before, so a stack that keeps secrets is unchanged). */
  readonly id: 'EntraClientSecret' | 'SignInClientSecret';
  /** The parameter's path below the stack prefix: `/<stackPrefix>/<path>`. */
  readonly path: string;
  readonly description: string;
  /** The value to put, as the command shows it. */
  readonly valueExample: string;
  /** Why Secrets Manager's rotation is not used (cdk-nag AwsSolutions-SMG4). */
  readonly rotationReason: string;
}

export const ENTRA_CLIENT_SECRET: ClientSecretPurpose = {
  id: 'EntraClientSecret',
  path: 'entra/client-secret',
  description: 'Client secret of the Entra app registered for the marketplace offer (set it after deploying)',
  valueExample: '\'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}\'',
  rotationReason:
    'The value is a client secret issued by Entra ID for the publisher app: it is rotated in Entra (a new secret ' +
    'is added there, then put here; both work during the overlap), which a Secrets Manager rotation function ' +
    'cannot do without rights over the Entra app. docs/deploy.md describes the rotation.',
};

export const SIGN_IN_CLIENT_SECRET: ClientSecretPurpose = {
  id: 'SignInClientSecret',
  path: 'sign-in/client-secret',
  description: 'Client secret of the Entra app that signs customers and partners in (set it after deploying)',
  valueExample: "'<value>'",
  rotationReason:
    'A client secret issued by Entra ID for the sign-in app: rotated in Entra like the publisher app secret ' +
    '(add a new one there, put it here, remove the old one), which a rotation function cannot do.',
};

/** `/<stackPrefix>/<path>`: one stack copy's parameters never collide with another's. */
export function clientSecretParameterName(stackPrefix: string, purpose: ClientSecretPurpose): string {
  return `/${stackPrefix}/${purpose.path}`;
}

/** The `aws ssm put-parameter` command that creates (or replaces) the parameter. */
export function putParameterCommand(parameterName: string, purpose: ClientSecretPurpose): string {
  return `aws ssm put-parameter --name ${parameterName} --type SecureString --overwrite --value ${purpose.valueExample}`;
}

/**
 * Declares one client secret in the stateful stack, in the configured store, with its outputs.
 * Secrets Manager: the secret is retained (deleting the stack must not lock the integration out of Microsoft), and its
 * generation never changes (no `generateSecretString`): CloudFormation answers that by generating a new value, which
 * would overwrite every deployed stack's real secret; the placeholder is told by the secret's single version
 * (shared/adapters/marketplace/secret-versions.ts).
 */
export function declareClientSecret(
  scope: Construct,
  store: SecretStore,
  stackPrefix: string,
  purpose: ClientSecretPurpose,
): ClientSecretLocation {
  if (store === 'secretsManager') {
    const secret = new secretsmanager.Secret(scope, purpose.id, {
      description: purpose.description,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: purpose.rotationReason });
    new CfnOutput(scope, `${purpose.id}Arn`, {
      value: secret.secretArn,
      description:
        `Put the client secret here: aws secretsmanager put-secret-value --secret-id <this> --secret-string ` +
        `${purpose.valueExample} (GET /health reports placeholder until then)`,
    });
    return { store, secret };
  }
  const parameterName = clientSecretParameterName(stackPrefix, purpose);
  const parameterArn = Stack.of(scope).formatArn({
    service: 'ssm',
    resource: 'parameter',
    // The name's leading "/" is the ARN's separator.
    resourceName: parameterName.slice(1),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  new CfnOutput(scope, `${purpose.id}Parameter`, {
    value: parameterName,
    description: `${purpose.description}: an SSM SecureString parameter, created by ${purpose.id}PutCommand`,
  });
  new CfnOutput(scope, `${purpose.id}PutCommand`, {
    value: putParameterCommand(parameterName, purpose),
    description: 'Run once after the first deploy, and again to rotate (GET /health reports placeholder until then)',
  });
  return { store, parameterName, parameterArn };
}

/** The functions that already hold the decrypt grant (one statement per function, however many parameters). */
const decrypting = new WeakSet<lambda.Function>();

/**
 * Gives `fn` the client secret's address and the right to read its value, nothing more:
 * - parameter: its name in `env.parameter`, `ssm:GetParameter` on exactly its ARN, and `kms:Decrypt` only through
 *   Parameter Store (`kms:ViaService`), which a parameter encrypted with a customer managed key needs (the AWS managed
 *   `aws/ssm` key already lets every principal of the account decrypt through Parameter Store; the parameter grant is
 *   the boundary then).
 * - secret: its ARN in `env.secretArn` and `secretsmanager:GetSecretValue` on it (bindSecret).
 */
export function bindClientSecret(
  fn: lambda.Function,
  stored: ClientSecretLocation,
  env: { readonly parameter: string; readonly secretArn: string },
): void {
  if (stored.store === 'secretsManager') {
    bindSecret(fn, stored.secret, env.secretArn);
    return;
  }
  fn.addEnvironment(env.parameter, stored.parameterName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [stored.parameterArn] }));
  if (decrypting.has(fn)) return;
  decrypting.add(fn);
  const stack = Stack.of(fn);
  // A policy of its own, so the acknowledgment below covers this one statement and nothing else of the role.
  const decrypt = new iam.Policy(fn, 'SecureStringDecryptPolicy', {
    roles: fn.role ? [fn.role] : [],
    statements: [
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` } },
      }),
    ],
  });
  Validations.of(decrypt).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
    reason:
      'Decrypt only through Parameter Store (kms:ViaService), for the SecureString parameters this role may read ' +
      '(ssm:GetParameter on their exact ARNs). The key is the one the publisher picks when putting the parameter ' +
      '(aws/ssm by default, or a key of their own), unknown at synth, so it cannot be named here.',
  });
}
