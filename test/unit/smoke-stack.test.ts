import type { Stack } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { SMOKE_TEST_WEBHOOKS_OUTPUT } from '#infra/deployment-settings.ts';
import { checkDataProtection, deployedStackFrom, SmokeSetupError } from '#infra/tools/smoke-stack.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-4333-8444-555555555555';

function aStack(name: string, overrides: Partial<Stack> = {}): Stack {
  return { StackName: name, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), ...overrides };
}

describe('what npm run smoke reads from the deployed stacks', () => {
  it('takes the API URL, the table name, the termination protection and the Entra ids', () => {
    const stateful = aStack('ProdStateful', {
      EnableTerminationProtection: true,
      Outputs: [{ OutputKey: 'TableName', OutputValue: 'ProdStateful-Main1234' }],
    });
    const stateless = aStack('ProdStateless', {
      Outputs: [{ OutputKey: 'ApiUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/' }],
      Parameters: [
        { ParameterKey: 'EntraTenantId', ParameterValue: TENANT },
        { ParameterKey: 'EntraClientId', ParameterValue: CLIENT },
      ],
    });

    expect(deployedStackFrom(stateful, stateless)).toEqual({
      apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/',
      tableName: 'ProdStateful-Main1234',
      terminationProtection: true,
      entra: { tenantId: TENANT, clientId: CLIENT },
      // No SmokeTestWebhooks output (a stack deployed before the setting existed): test webhooks are off.
      testWebhooks: 'off',
    });
  });

  it('reads whether the webhook takes test webhooks from the stateless stack’s output', () => {
    const stateful = aStack('ProdStateful', { Outputs: [{ OutputKey: 'TableName', OutputValue: 'T' }] });
    const statelessWith = (value: string) =>
      aStack('ProdStateless', {
        Outputs: [
          { OutputKey: 'ApiUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/' },
          { OutputKey: SMOKE_TEST_WEBHOOKS_OUTPUT, OutputValue: value },
        ],
      });

    expect(deployedStackFrom(stateful, statelessWith('on')).testWebhooks).toBe('on');
    expect(deployedStackFrom(stateful, statelessWith('off')).testWebhooks).toBe('off');
  });

  it('names the stack and output that is missing, with its status', () => {
    const stateful = aStack('ProdStateful', { Outputs: [{ OutputKey: 'TableName', OutputValue: 'T' }] });
    const stateless = aStack('ProdStateless', { StackStatus: 'UPDATE_IN_PROGRESS' });

    expect(() => deployedStackFrom(stateful, stateless)).toThrow(SmokeSetupError);
    expect(() => deployedStackFrom(stateful, stateless)).toThrow(
      'Stack ProdStateless has no ApiUrl output (status UPDATE_IN_PROGRESS): is its deploy finished?',
    );
  });
});

describe('the data protection check', () => {
  const all = {
    tableName: 'restored-main',
    terminationProtection: true,
    deletionProtection: true,
    pointInTimeRecovery: true,
  };

  it('passes when the stack and the table are protected', () => {
    expect(checkDataProtection(all)).toEqual({ status: 'ok', detail: expect.stringContaining('restored-main') });
  });

  it('names each missing protection of a freshly restored table with the command that turns it on', () => {
    const result = checkDataProtection({ ...all, deletionProtection: false, pointInTimeRecovery: false });

    expect(result.status).toBe('fail');
    expect(result.detail).toContain(
      'aws dynamodb update-table --table-name restored-main --deletion-protection-enabled',
    );
    expect(result.detail).toContain(
      'aws dynamodb update-continuous-backups --table-name restored-main --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true',
    );
    expect(result.detail).not.toContain('termination');
  });

  it('fails an unprotected stateful stack', () => {
    expect(checkDataProtection({ ...all, terminationProtection: false })).toEqual({
      status: 'fail',
      detail: 'missing: stateful stack termination protection (cdk deploy it again)',
    });
  });
});
