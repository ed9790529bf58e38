import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_CATALOG_PATH,
  DEFAULT_RESERVE_CONCURRENCY,
  DeploymentSettingsError,
  readDeploymentSettings,
} from '#infra/deployment-settings.ts';

function settingsWith(context: Record<string, unknown>) {
  return readDeploymentSettings(new App({ context }).node);
}

describe('deployment settings from the CDK context', () => {
  it('defaults the stack prefix and the catalog', () => {
    expect(settingsWith({})).toEqual({
      stackPrefix: 'Marketplace',
      catalogPath: DEFAULT_CATALOG_PATH,
      reserveConcurrency: DEFAULT_RESERVE_CONCURRENCY,
      backupRetentionDays: DEFAULT_BACKUP_RETENTION_DAYS,
      onCallEmail: undefined,
      functionAlarms: 'account',
      dashboard: true,
      smokeTestWebhooks: false,
      smsCountries: ['JP'],
      smsSpendAlarmUsd: 20,
      secretStore: 'parameterStore',
    });
  });

  it('turns smoke test webhooks on only when asked, and refuses a value that is not a boolean', () => {
    expect(settingsWith({ smokeTestWebhooks: 'true' }).smokeTestWebhooks).toBe(true);
    expect(settingsWith({ smokeTestWebhooks: false }).smokeTestWebhooks).toBe(false);
    expect(() => settingsWith({ smokeTestWebhooks: 'yes please' })).toThrow(/smokeTestWebhooks/);
  });

  it('keeps the Entra client secrets in Parameter Store unless told secretsManager, and refuses anything else', () => {
    expect(settingsWith({ secretStore: 'secretsManager' }).secretStore).toBe('secretsManager');
    expect(() => settingsWith({ secretStore: 'vault' })).toThrow(/secretStore/);
  });

  it('takes the SMS countries as a list, and refuses one it cannot place numbers in', () => {
    expect(settingsWith({ smsCountries: 'jp, US' }).smsCountries).toEqual(['JP', 'US']);
    expect(settingsWith({ smsCountries: ['CA'] }).smsCountries).toEqual(['CA']);
    expect(() => settingsWith({ smsCountries: 'JP,ZZ' })).toThrow(/smsCountries.*"ZZ" is not a supported/);
  });

  it('turns alert e-mail on with a domain (sender defaulted), and checks the sender and the SMS identity', () => {
    expect(settingsWith({ alertEmailDomain: 'Alerts.Contoso.example' })).toMatchObject({
      alertEmailDomain: 'alerts.contoso.example',
      alertEmailFrom: 'Alerts <alerts@alerts.contoso.example>',
    });
    expect(() => settingsWith({ alertEmailDomain: 'contoso.example', alertEmailFrom: 'x@other.example' })).toThrow(
      'Context "alertEmailFrom" must be an address of contoso.example',
    );
    expect(() => settingsWith({ alertEmailFrom: 'x@contoso.example' })).toThrow('needs "alertEmailDomain"');
    expect(() => settingsWith({ smsOriginationIdentityArn: 'phone-123' })).toThrow(
      'Context "smsOriginationIdentityArn" must be the ARN',
    );
    const arn = 'arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1';
    expect(settingsWith({ smsOriginationIdentityArn: arn, smsSpendAlarmUsd: '50' })).toMatchObject({
      smsOriginationIdentityArn: arn,
      smsSpendAlarmUsd: 50,
    });
  });

  it('takes the values given with -c', () => {
    expect(settingsWith({ stackPrefix: 'Staging', catalog: 'my/catalog.json' })).toMatchObject({
      stackPrefix: 'Staging',
      catalogPath: 'my/catalog.json',
    });
  });

  it('reads the on-call e-mail and the switches of the alarms and the dashboard', () => {
    expect(
      settingsWith({ onCallEmail: 'oncall@example.com', functionAlarms: 'perFunction', dashboard: 'false' }),
    ).toMatchObject({ onCallEmail: 'oncall@example.com', functionAlarms: 'perFunction', dashboard: false });
    expect(() => settingsWith({ onCallEmail: 'oncall' })).toThrow('Context "onCallEmail" must be an e-mail address');
    expect(() => settingsWith({ functionAlarms: 'all' })).toThrow(
      'Context "functionAlarms" must be one of account, perFunction, none',
    );
  });

  it('names the key of a bad value', () => {
    expect(() => settingsWith({ stackPrefix: '' })).toThrow(DeploymentSettingsError);
    expect(() => settingsWith({ stackPrefix: 3 })).toThrow('Context "stackPrefix" must be a non-empty string');
  });
});
