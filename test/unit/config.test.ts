import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_USAGE_MAX_LATENESS_HOURS, loadConfig, requireSetting } from '#shared/config.ts';

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

  it('reads the maximum lateness of usage, and leaves it unset (the documented default) when absent', () => {
    expect(loadConfig({ ...complete, USAGE_MAX_LATENESS_HOURS: '22' }).usageMaxLatenessHours).toBe(22);
    expect(loadConfig(complete).usageMaxLatenessHours).toBeUndefined();
    expect(DEFAULT_USAGE_MAX_LATENESS_HOURS).toBe(168);
  });

  it('refuses a maximum lateness that is not a whole number of hours between 1 and 744', () => {
    for (const value of ['0', '1.5', 'a day', '745']) {
      expect(() => loadConfig({ ...complete, USAGE_MAX_LATENESS_HOURS: value })).toThrow(/USAGE_MAX_LATENESS_HOURS/);
    }
  });

  it('reads the publisher’s time zone for partners without their own, unset (UTC) when absent, refusing a non-zone', () => {
    expect(loadConfig({ ...complete, PUBLISHER_TIME_ZONE: 'Asia/Tokyo' }).publisherTimeZone).toBe('Asia/Tokyo');
    expect(loadConfig(complete).publisherTimeZone).toBeUndefined();
    expect(() => loadConfig({ ...complete, PUBLISHER_TIME_ZONE: 'JST+9' })).toThrow(/PUBLISHER_TIME_ZONE/);
  });
});
