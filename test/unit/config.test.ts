import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSetting } from '#shared/config.ts';

const complete = {
  TABLE_NAME: 'table',
  USAGE_QUEUE_URL: 'https://sqs/usage',
  LIFECYCLE_TOPIC_ARN: 'arn:lifecycle',
  ALERTS_TOPIC_ARN: 'arn:alerts',
  CATALOG_PATH: 'infra/catalog/catalog.yaml',
};

describe('configuration', () => {
  it('reads every value from the environment', () => {
    expect(loadConfig(complete)).toEqual({
      tableName: 'table',
      usageQueueUrl: 'https://sqs/usage',
      lifecycleTopicArn: 'arn:lifecycle',
      alertsTopicArn: 'arn:alerts',
      catalog: { path: 'infra/catalog/catalog.yaml' },
    });
  });

  it('prefers the catalog compiled into the bundle over a file path', () => {
    expect(loadConfig({ ...complete, CATALOG_JSON: '{}' }).catalog).toEqual({ json: '{}' });
  });

  it('names every missing or invalid variable instead of falling back to a default', () => {
    const { TABLE_NAME: _t, ...incomplete } = complete;
    const invalid = { ...incomplete, USAGE_QUEUE_URL: '' };

    expect(() => loadConfig(invalid)).toThrow(ConfigError);
    expect(() => loadConfig(invalid)).toThrow(/TABLE_NAME.*USAGE_QUEUE_URL/);
  });

  it('says which variable a function lacks when its code needs a setting it was not given', () => {
    const { USAGE_QUEUE_URL: _q, ...withoutQueue } = complete;
    const config = loadConfig(withoutQueue);

    expect(() => requireSetting(config.usageQueueUrl, 'USAGE_QUEUE_URL')).toThrow(/USAGE_QUEUE_URL is not set/);
    expect(requireSetting(loadConfig(complete).usageQueueUrl, 'USAGE_QUEUE_URL')).toBe('https://sqs/usage');
  });

  it('refuses a configuration without any catalog', () => {
    const { CATALOG_PATH: _c, ...noCatalog } = complete;

    expect(() => loadConfig(noCatalog)).toThrow(/CATALOG_JSON or CATALOG_PATH/);
  });
});
