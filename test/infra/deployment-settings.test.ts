import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG_PATH, DeploymentSettingsError, readDeploymentSettings } from '#infra/deployment-settings.ts';

function settingsWith(context: Record<string, unknown>) {
  return readDeploymentSettings(new App({ context }).node);
}

describe('deployment settings from the CDK context', () => {
  it('defaults the stack prefix and the catalog', () => {
    expect(settingsWith({})).toEqual({
      stackPrefix: 'Marketplace',
      catalogPath: DEFAULT_CATALOG_PATH,
      smsCountries: ['JP'],
      smsSpendAlarmUsd: 20,
    });
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

  it('names the key of a bad value', () => {
    expect(() => settingsWith({ stackPrefix: '' })).toThrow(DeploymentSettingsError);
    expect(() => settingsWith({ stackPrefix: 3 })).toThrow('Context "stackPrefix" must be a non-empty string');
  });
});
