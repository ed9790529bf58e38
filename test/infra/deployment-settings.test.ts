import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG_PATH, DeploymentSettingsError, readDeploymentSettings } from '#infra/deployment-settings.ts';

function settingsWith(context: Record<string, unknown>) {
  return readDeploymentSettings(new App({ context }).node);
}

describe('deployment settings from the CDK context', () => {
  it('defaults the stack prefix, the catalog and the SMS countries', () => {
    expect(settingsWith({})).toEqual({
      stackPrefix: 'Marketplace',
      catalogPath: DEFAULT_CATALOG_PATH,
      smsCountries: ['JP'],
    });
  });

  it('takes the SMS countries as a list, and refuses one it cannot place numbers in', () => {
    expect(settingsWith({ smsCountries: 'jp, US' }).smsCountries).toEqual(['JP', 'US']);
    expect(settingsWith({ smsCountries: ['CA'] }).smsCountries).toEqual(['CA']);
    expect(() => settingsWith({ smsCountries: 'JP,ZZ' })).toThrow(/smsCountries.*"ZZ" is not a supported/);
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
