import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SMOKE_TEST_WEBHOOKS_OUTPUT } from '#infra/deployment-settings.ts';
import type { CheckResult } from '#infra/tools/smoke-checks.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';

/** What `npm run smoke -- --stack <prefix>` reads from the two deployed stacks. */
export interface DeployedStack {
  /** Where the checks call the API: the custom domain's URL when there is one, else the execute-api URL. */
  readonly apiUrl: string;
  /** Behind a custom domain: the execute-api URL, which must refuse direct calls. */
  readonly executeApiUrl?: string;
  /** Whether the webhook accepts test webhooks (the stateless stack's `SmokeTestWebhooks` output; absent: off). */
  readonly testWebhooks: 'on' | 'off';
  readonly tableName: string;
  readonly terminationProtection: boolean;
  /** The Entra tenant and app ids the stateless stack was deployed with (the webhook tokens' issuer and audience). */
  readonly entra?: { readonly tenantId: string; readonly clientId: string };
}

export class SmokeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeSetupError';
  }
}

/**
 * Reads `<prefix>Stateful` and `<prefix>Stateless` with DescribeStacks (the operator's credentials and region).
 * @throws SmokeSetupError naming the stack or output that is missing and what to check.
 */
export async function describeDeployedStack(
  prefix: string,
  client = new CloudFormationClient({}),
): Promise<DeployedStack> {
  const find = async (name: string): Promise<Stack | undefined> => {
    try {
      const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: name }));
      return Stacks[0];
    } catch (error) {
      if ((error as Error).name !== 'ValidationError') throw error;
      return undefined;
    }
  };
  const describe = async (name: string): Promise<Stack> => {
    const stack = await find(name);
    if (stack) return stack;
    const region = await client.config.region().catch(() => 'the default region');
    throw new SmokeSetupError(
      `No stack ${name} in ${region}: check --stack (the stackPrefix it was deployed with) and AWS_REGION / AWS_PROFILE`,
    );
  };
  // The edge stack exists only with a custom domain (docs/deploy.md), in the same region as the other two.
  const [stateful, stateless, edge] = await Promise.all([
    describe(`${prefix}Stateful`),
    describe(`${prefix}Stateless`),
    find(`${prefix}Edge`),
  ]);
  return deployedStackFrom(stateful, stateless, edge);
}

/** The outputs and parameters the smoke check needs. @throws SmokeSetupError when an output is missing. */
export function deployedStackFrom(stateful: Stack, stateless: Stack, edge?: Stack): DeployedStack {
  const output = (stack: Stack, key: string) => {
    const value = stack.Outputs?.find((candidate) => candidate.OutputKey === key)?.OutputValue;
    if (!value) {
      throw new SmokeSetupError(
        `Stack ${stack.StackName} has no ${key} output (status ${stack.StackStatus}): is its deploy finished?`,
      );
    }
    return value;
  };
  const parameter = (key: string) =>
    stateless.Parameters?.find((candidate) => candidate.ParameterKey === key)?.ParameterValue;
  const tenantId = parameter('EntraTenantId');
  const clientId = parameter('EntraClientId');
  const executeApiUrl = output(stateless, 'ApiUrl');
  const testWebhooks = stateless.Outputs?.find(
    (candidate) => candidate.OutputKey === SMOKE_TEST_WEBHOOKS_OUTPUT,
  )?.OutputValue;
  return {
    ...(edge ? { apiUrl: output(edge, 'PublicUrl'), executeApiUrl } : { apiUrl: executeApiUrl }),
    testWebhooks: testWebhooks === 'on' ? 'on' : 'off',
    tableName: output(stateful, 'TableName'),
    terminationProtection: stateful.EnableTerminationProtection === true,
    ...(tenantId && clientId ? { entra: { tenantId, clientId } } : {}),
  };
}

/** What protects the deployed data, as read from CloudFormation and DynamoDB. */
export interface DataProtection {
  readonly tableName: string;
  readonly terminationProtection: boolean;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
}

/** Reads the table's deletion protection and point-in-time recovery (DescribeTable, DescribeContinuousBackups). */
export async function readDataProtection(
  dynamodb: DynamoDBClient,
  stack: Pick<DeployedStack, 'tableName' | 'terminationProtection'>,
): Promise<DataProtection> {
  const [{ Table }, { ContinuousBackupsDescription }] = await Promise.all([
    dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName })),
    dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: stack.tableName })),
  ]);
  return {
    ...stack,
    deletionProtection: Table?.DeletionProtectionEnabled === true,
    pointInTimeRecovery:
      ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED',
  };
}

/**
 * The protections of docs/restore.md: the stateful stack's termination protection, and the table's deletion
 * protection and point-in-time recovery. A table restored from a backup has neither until the restore procedure turns
 * them on, so this is what catches a step left out; each missing one comes with the command that turns it on.
 */
export function checkDataProtection(found: DataProtection): Omit<CheckResult, 'name'> {
  const missing: string[] = [];
  if (!found.terminationProtection) missing.push('stateful stack termination protection (cdk deploy it again)');
  if (!found.deletionProtection) {
    missing.push(
      `deletion protection (aws dynamodb update-table --table-name ${found.tableName} --deletion-protection-enabled)`,
    );
  }
  if (!found.pointInTimeRecovery) {
    missing.push(
      `point-in-time recovery (aws dynamodb update-continuous-backups --table-name ${found.tableName} ` +
        '--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true)',
    );
  }
  return missing.length === 0
    ? { status: 'ok', detail: `table ${found.tableName}: deletion protection, point-in-time recovery; stack protected` }
    : { status: 'fail', detail: `missing: ${missing.join('; ')}` };
}

/**
 * Runs `use` with a publisher key made for it in the stack's table (the operator's own DynamoDB rights, as
 * `npm run api-key:create`), revoked afterwards whatever happens: no standing smoke key exists to leak. The usage
 * ingest may accept a revoked key for up to a minute (its key cache), after which it is refused everywhere.
 */
export async function withTemporaryPublisherKey<T>(
  documents: DynamoDBDocumentClient,
  tableName: string,
  use: (key: string) => Promise<T>,
  onRevokeFailure: (message: string) => void = console.error,
): Promise<T> {
  const apiKeys = new DynamoApiKeyStore(documents, tableName);
  const created = await createApiKey({ apiKeys, codec: apiKeyCodec, clock: systemClock }, undefined, {
    name: `npm run smoke ${systemClock.now().toISOString()}`,
    role: 'publisher',
  });
  try {
    return await use(created.token);
  } finally {
    // A failed revocation must not hide the checks' results: it is reported with what to do instead.
    await apiKeys
      .revoke(created.record.keyId, systemClock.now().toISOString())
      .catch((error: Error) =>
        onRevokeFailure(
          `The temporary smoke key ${created.record.keyId} could not be revoked (${error.name}: ${error.message}): ` +
            `revoke it with DELETE /v1/api-keys/${created.record.keyId} and a publisher key`,
        ),
      );
  }
}
