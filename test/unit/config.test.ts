import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadAlertChecksConfig } from '#functions/alert-checks/config.ts';
import { loadApiConfig } from '#functions/api/config.ts';
import { loadFulfillmentWebhookConfig } from '#functions/fulfillment-webhook/config.ts';
import { loadLandingConfig } from '#functions/landing/config.ts';
import { loadPortalConfig } from '#functions/portal/config.ts';
import { loadPublisherOperationsConfig } from '#functions/publisher-operations/config.ts';
import { loadSubscriptionSyncConfig } from '#functions/subscription-sync/config.ts';
import { loadUsageAggregatorConfig } from '#functions/usage-aggregator/config.ts';
import { DEFAULT_USAGE_MAX_LATENESS_HOURS, loadUsageIngestConfig } from '#functions/usage-ingest/config.ts';
import { loadUsageReconcilerConfig } from '#functions/usage-reconciler/config.ts';
import { loadUsageReportDispatcherConfig } from '#functions/usage-report-dispatcher/config.ts';
import { loadUsageReporterConfig } from '#functions/usage-reporter/config.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { ConfigError, loadSettings, secret } from '#shared/config/load-settings.ts';
import { optional, optionalWholeNumber, required } from '#shared/config/settings.ts';
import { DEFAULT_REPORT_GRACE_MINUTES } from '#shared/domain/reporting/report-schedule.ts';
import { FUNCTION_CONFIGS, variablesRequired } from '#test/helpers/function-configs.ts';

/** Every variable any function reads, set to a valid value: each function picks what it needs. */
const everything = {
  TABLE_NAME: 'table',
  USAGE_QUEUE_URL: 'https://sqs/usage',
  OPERATION_ANSWERS_QUEUE_URL: 'https://sqs/operation-answers',
  USAGE_REPORT_QUEUE_URL: 'https://sqs/usage-report',
  NOTIFICATIONS_QUEUE_URL: 'https://sqs/notifications',
  CONTACT_EVENTS_QUEUE_URL: 'https://sqs/contact-events',
  LIFECYCLE_TOPIC_ARN: 'arn:lifecycle',
  OPERATIONS_TOPIC_ARN: 'arn:operations',
  ALERTS_TOPIC_ARN: 'arn:alerts',
  CATALOG_PATH: 'infra/catalog/catalog.yaml',
  ENTRA_TENANT_ID: 'tenant-1',
  ENTRA_CLIENT_ID: 'app-1',
  ENTRA_CREDENTIAL_KIND: 'secret',
  ENTRA_CLIENT_SECRET_PARAMETER: '/Marketplace/entra/client-secret',
  SIGN_IN_CLIENT_ID: 'sign-in-app-1',
  SIGN_IN_CLIENT_SECRET_PARAMETER: '/Marketplace/sign-in/client-secret',
  PORTAL_ASSETS_DIR: '/var/task/portal-assets',
  LANDING_PAGE_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/landing',
  PUBLIC_BASE_URL: 'https://api.example.com',
  CONTACT_LINKS_BASE_URL: 'https://api.example.com',
  WATCHED_SCHEDULES: 'AlertChecks=60,UsageReconcile=1440',
};

const without = (name: string, env: Record<string, string> = everything) =>
  Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));

describe('loadSettings', () => {
  const schema = z.object({
    TABLE_NAME: required('the name of the main DynamoDB table'),
    USAGE_REPORT_GRACE_MINUTES: optionalWholeNumber('minutes', 0, 50),
    NICKNAME: optional(),
    TOKEN: secret(optional().pipe(z.string().min(16, { message: 'must be at least 16 characters' }).optional())),
  });

  it('reads the variables a schema states from a plain object, and nothing else', () => {
    expect(loadSettings(schema, { TABLE_NAME: 'table', USAGE_REPORT_GRACE_MINUTES: '5', OTHER: 'x' })).toEqual({
      TABLE_NAME: 'table',
      USAGE_REPORT_GRACE_MINUTES: 5,
    });
  });

  it('counts an empty optional variable as unset', () => {
    expect(loadSettings(schema, { TABLE_NAME: 'table', USAGE_REPORT_GRACE_MINUTES: '', NICKNAME: ' ' })).toEqual({
      TABLE_NAME: 'table',
    });
  });

  it('names each missing or bad variable, says what it should hold, and quotes the bad value', () => {
    const load = () => loadSettings(schema, { USAGE_REPORT_GRACE_MINUTES: 'abc' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'Invalid configuration: TABLE_NAME is not set: it should hold the name of the main DynamoDB table; ' +
        'USAGE_REPORT_GRACE_MINUTES must be a whole number of minutes from 0 to 50 (got "abc")',
    );
  });

  it('calls an empty required variable empty rather than quoting nothing', () => {
    expect(() => loadSettings(schema, { TABLE_NAME: '  ' })).toThrow(
      'TABLE_NAME is empty: it should hold the name of the main DynamoDB table',
    );
  });

  it('never quotes the value of a secret, which would end up in a log', () => {
    const load = () => loadSettings(schema, { TABLE_NAME: 'table', TOKEN: 'hunter2' }, 'webhook configuration');

    expect(load).toThrow('Invalid webhook configuration: TOKEN must be at least 16 characters');
    expect(load).not.toThrow(/hunter2/);
  });

  it('quotes at most the start of a long value', () => {
    const long = `${'9'.repeat(200)}`;
    const load = () => loadSettings(schema, { TABLE_NAME: 'table', USAGE_REPORT_GRACE_MINUTES: long });

    expect(load).toThrow(`(got "${'9'.repeat(80)}…")`);
  });
});

describe('the schedules the dispatcher watches', () => {
  it('reads each schedule with its interval, and an empty list as none', () => {
    expect(loadUsageReportDispatcherConfig(everything).watchedSchedules).toEqual([
      { id: 'AlertChecks', everyMinutes: 60 },
      { id: 'UsageReconcile', everyMinutes: 1440 },
    ]);
    expect(loadUsageReportDispatcherConfig({ ...everything, WATCHED_SCHEDULES: '' }).watchedSchedules).toEqual([]);
  });

  it('refuses an entry without a whole number of minutes, naming it', () => {
    expect(() =>
      loadUsageReportDispatcherConfig({ ...everything, WATCHED_SCHEDULES: 'AlertChecks=60,Sync=hourly' }),
    ).toThrow(
      'WATCHED_SCHEDULES has "Sync=hourly": each entry must be <schedule id>=<whole minutes>, e.g. AlertChecks=60',
    );
  });
});

describe('the configuration of each function', () => {
  it('exists for every function of infra/functions.ts', () => {
    expect(Object.keys(FUNCTION_CONFIGS).sort()).toEqual(FUNCTIONS.map((definition) => definition.id).sort());
  });

  it.each(Object.entries(FUNCTION_CONFIGS))('%s loads from a complete environment', (_id, config) => {
    expect(() => config.load(everything)).not.toThrow();
  });

  const missing = Object.entries(FUNCTION_CONFIGS).flatMap(([id, config]) =>
    variablesRequired(config).map((name) => [id, name] as const),
  );
  it.each(missing)('%s names %s when it is missing, and says what it should hold', (id, name) => {
    expect(() => FUNCTION_CONFIGS[id]?.load(without(name))).toThrow(
      new RegExp(`^Invalid [a-z ]*configuration: (.*; )?${name} is not set: it should hold [a-z]`),
    );
  });

  it.each([
    [
      'PublisherOperations',
      'ENTRA_CREDENTIAL_KIND',
      'password',
      'must be one of secret, certificate, assertion (got "password")',
    ],
    ['Api', 'SMS_ALLOWED_COUNTRIES', 'JP,XX', 'must be comma-separated ISO country codes'],
    [
      'UsageIngest',
      'USAGE_MAX_LATENESS_HOURS',
      'a week',
      'must be a whole number of hours from 1 to 744 (got "a week")',
    ],
    ['UsageAggregator', 'ALERTS_TOPIC_ARN', '', 'is empty: it should hold the ARN of the alerts SNS topic'],
    ['Landing', 'MARKETPLACE_API_BASE_URL', 'http://example.com/api', 'must be an absolute https URL'],
    ['FulfillmentWebhook', 'WEBHOOK_SHARED_SECRET_PARAMETER', 'a b', 'must be a query parameter name'],
    ['AlertChecks', 'TABLE_NAME', ' ', 'is empty: it should hold the name of the main DynamoDB table'],
    [
      'UsageReporter',
      'USAGE_REPORT_GRACE_MINUTES',
      'abc',
      'must be a whole number of minutes from 0 to 50 (got "abc")',
    ],
    ['UsageReconciler', 'ENTRA_AUTHORITY_HOST', 'http://127.0.0.1:1', 'must be an https URL'],
    ['SubscriptionSync', 'PENDING_PURCHASE_ALERT_MINUTES', '-5', 'must be a whole number of minutes from 0 to 43200'],
    ['EntraCanary', 'LANDING_PAGE_URL', 'landing', 'must be an absolute http(s) URL of the landing page'],
  ])('%s names %s when it holds %j', (id, name, value, message) => {
    expect(() => FUNCTION_CONFIGS[id]?.load({ ...everything, [name]: value })).toThrow(`${name} ${message}`);
  });
});

describe('the settings functions share', () => {
  it('read the catalog compiled into the bundle before a file path, and need one of them', () => {
    expect(loadUsageAggregatorConfig(everything).catalog).toEqual({ path: 'infra/catalog/catalog.yaml' });
    expect(loadUsageAggregatorConfig({ ...everything, CATALOG_JSON: '{}' }).catalog).toEqual({ json: '{}' });
    expect(() => loadUsageAggregatorConfig(without('CATALOG_PATH'))).toThrow(/CATALOG_JSON or CATALOG_PATH/);
  });

  it('read the local outbox queue only when it is set', () => {
    expect(loadUsageAggregatorConfig(everything)).not.toHaveProperty('alertsOutboxQueueUrl');
    expect(
      loadUsageAggregatorConfig({ ...everything, ALERTS_OUTBOX_QUEUE_URL: 'https://sqs/outbox' }).alertsOutboxQueueUrl,
    ).toBe('https://sqs/outbox');
  });
});

describe('the API configuration', () => {
  it('reads the SMS countries (default JP) and refuses a country it cannot place numbers in, naming the variable', () => {
    expect(loadApiConfig(everything).smsCountries).toEqual(['JP']);
    expect(loadApiConfig({ ...everything, SMS_ALLOWED_COUNTRIES: 'JP,US' }).smsCountries).toEqual(['JP', 'US']);
    expect(() => loadApiConfig({ ...everything, SMS_ALLOWED_COUNTRIES: 'JP,XX' })).toThrow(/SMS_ALLOWED_COUNTRIES/);
    expect(() => loadApiConfig({ ...everything, PUBLIC_BASE_URL: 'api.example.com' })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('reads no marketplace settings: the API serves no route that calls Microsoft', () => {
    expect(loadApiConfig(without('ENTRA_TENANT_ID'))).toMatchObject({
      tableName: 'table',
      alertsTopicArn: 'arn:alerts',
      catalog: { path: 'infra/catalog/catalog.yaml' },
    });
  });
});

describe('the publisher operations configuration', () => {
  it('reads everything but the marketplace settings at cold start, those on first use', () => {
    const config = loadPublisherOperationsConfig(without('ENTRA_TENANT_ID'));

    expect(config).toMatchObject({
      tableName: 'table',
      usageQueueUrl: 'https://sqs/usage',
      alertsTopicArn: 'arn:alerts',
      catalog: { path: 'infra/catalog/catalog.yaml' },
    });
    expect(() => config.marketplace()).toThrow(/^Invalid marketplace configuration: ENTRA_TENANT_ID is not set/);
    expect(loadPublisherOperationsConfig(everything).marketplace()).toMatchObject({
      tenantId: 'tenant-1',
      clientId: 'app-1',
    });
  });
});

describe('the sign-in and session configuration', () => {
  it('keeps the session key material in the table unless SESSION_SECRET gives it, and refuses neither', () => {
    expect(loadPortalConfig(everything).sessionSecret).toEqual({ tableName: 'table' });
    expect(loadLandingConfig(everything).sessionSecret).toEqual({ tableName: 'table' });
    expect(loadPortalConfig({ ...everything, SESSION_SECRET: 'x'.repeat(40) }).sessionSecret).toEqual({
      value: 'x'.repeat(40),
    });
    expect(() => loadPortalConfig(without('TABLE_NAME'))).toThrow(/TABLE_NAME .* SESSION_SECRET must be set/);
  });

  it('reads the sign-in client secret from its parameter, a Secrets Manager secret or a value: one of them', () => {
    expect(loadPortalConfig(everything).signIn.clientSecret).toEqual({
      parameterName: '/Marketplace/sign-in/client-secret',
    });
    const withArn = { ...without('SIGN_IN_CLIENT_SECRET_PARAMETER'), SIGN_IN_CLIENT_SECRET_ARN: 'arn:sign-in-secret' };
    expect(loadPortalConfig(withArn).signIn.clientSecret).toEqual({ secretArn: 'arn:sign-in-secret' });
    expect(() => loadPortalConfig({ ...everything, SIGN_IN_CLIENT_SECRET_ARN: 'arn:sign-in-secret' })).toThrow(
      /set only one of SIGN_IN_CLIENT_SECRET_PARAMETER, SIGN_IN_CLIENT_SECRET_ARN/,
    );
    expect(() => loadPortalConfig(without('SIGN_IN_CLIENT_SECRET_PARAMETER'))).toThrow(
      /SIGN_IN_CLIENT_SECRET_PARAMETER \(the SSM parameter\)/,
    );
  });

  it('signs in at the common authority (work, school and personal accounts) unless told otherwise, and refuses a single-tenant one', () => {
    expect(loadPortalConfig(everything).signIn).toMatchObject({
      authority: 'common',
      clientId: 'sign-in-app-1',
    });
    expect(loadPortalConfig({ ...everything, SIGN_IN_AUTHORITY: 'organizations' }).signIn.authority).toBe(
      'organizations',
    );
    expect(() => loadPortalConfig({ ...everything, SIGN_IN_AUTHORITY: 'contoso.onmicrosoft.com' })).toThrow(
      /SIGN_IN_AUTHORITY must be organizations or common/,
    );
  });

  it('reads the publisher administrators in lower case, nobody when unset', () => {
    const config = loadApiConfig({
      ...everything,
      PUBLISHER_ADMIN_TENANT_ID: 'AAAA-tenant',
      PUBLISHER_ADMIN_USERS: ' Boss@Publisher.example , oid-1 ,',
    });

    expect(config.publisherAdmins).toEqual({ tenantId: 'aaaa-tenant', users: ['boss@publisher.example', 'oid-1'] });
    expect(loadApiConfig(everything).publisherAdmins).toEqual({ users: [] });
  });
});

describe('the usage ingest configuration', () => {
  it('reads the maximum lateness of usage, 168 hours when unset', () => {
    expect(loadUsageIngestConfig({ ...everything, USAGE_MAX_LATENESS_HOURS: '22' }).maxLatenessHours).toBe(22);
    expect(loadUsageIngestConfig(everything).maxLatenessHours).toBe(DEFAULT_USAGE_MAX_LATENESS_HOURS);
    expect(DEFAULT_USAGE_MAX_LATENESS_HOURS).toBe(168);
  });

  it('refuses a maximum lateness that is not a whole number of hours between 1 and 744', () => {
    for (const value of ['0', '1.5', 'a day', '745']) {
      expect(() => loadUsageIngestConfig({ ...everything, USAGE_MAX_LATENESS_HOURS: value })).toThrow(
        /USAGE_MAX_LATENESS_HOURS must be a whole number of hours from 1 to 744/,
      );
    }
  });

  it('reads the publisher’s time zone for partners without their own, unset (UTC) when absent, refusing a non-zone', () => {
    expect(loadAlertChecksConfig({ ...everything, PUBLISHER_TIME_ZONE: 'Asia/Tokyo' }).publisherTimeZone).toBe(
      'Asia/Tokyo',
    );
    expect(loadAlertChecksConfig(everything).publisherTimeZone).toBeUndefined();
    expect(() => loadAlertChecksConfig({ ...everything, PUBLISHER_TIME_ZONE: 'JST+9' })).toThrow(/PUBLISHER_TIME_ZONE/);
  });
});

describe('the usage reporter configuration', () => {
  it('reads the grace after an hour closes, the documented default when unset', () => {
    expect(loadUsageReporterConfig(everything).graceMinutes).toBe(DEFAULT_REPORT_GRACE_MINUTES);
    expect(loadUsageReporterConfig({ ...everything, USAGE_REPORT_GRACE_MINUTES: '0' }).graceMinutes).toBe(0);
    expect(() => loadUsageReporterConfig({ ...everything, USAGE_REPORT_GRACE_MINUTES: '51' })).toThrow(ConfigError);
  });

  it('reads the usage-report queue its workers continue their shard on, and the dispatcher reads the same grace', () => {
    expect(loadUsageReporterConfig(everything).usageReportQueueUrl).toBe('https://sqs/usage-report');
    expect(loadUsageReportDispatcherConfig({ ...everything, USAGE_REPORT_GRACE_MINUTES: '5' })).toEqual({
      tableName: 'table',
      usageReportQueueUrl: 'https://sqs/usage-report',
      graceMinutes: 5,
      watchedSchedules: [
        { id: 'AlertChecks', everyMinutes: 60 },
        { id: 'UsageReconcile', everyMinutes: 1440 },
      ],
    });
    expect(() => loadUsageReportDispatcherConfig({ TABLE_NAME: 'table' })).toThrow(/USAGE_REPORT_QUEUE_URL is not set/);
  });
});

describe('the subscription sync configuration', () => {
  it('defaults PENDING_PURCHASE_ALERT_MINUTES to 60 and refuses nonsense at cold start', () => {
    expect(loadSubscriptionSyncConfig(everything).pendingPurchaseAlertMinutes).toBe(60);
    expect(
      loadSubscriptionSyncConfig({ ...everything, PENDING_PURCHASE_ALERT_MINUTES: '15' }).pendingPurchaseAlertMinutes,
    ).toBe(15);
    expect(() => loadSubscriptionSyncConfig({ ...everything, PENDING_PURCHASE_ALERT_MINUTES: 'an hour' })).toThrow(
      ConfigError,
    );
    expect(() => loadSubscriptionSyncConfig({ ...everything, PENDING_PURCHASE_ALERT_MINUTES: '-5' })).toThrow(
      ConfigError,
    );
  });
});

describe('the webhook configuration', () => {
  it("holds the reporter's settings for the flush on cancellation, the alerts topic, the answers queue and the shared secret", () => {
    const config = loadFulfillmentWebhookConfig({
      ...everything,
      USAGE_REPORT_GRACE_MINUTES: '5',
      WEBHOOK_SHARED_SECRET_PARAMETER: 'sig',
      WEBHOOK_SHARED_SECRET_VALUE: '0123456789abcdef0123',
    });

    expect(config).toMatchObject({
      lifecycleTopicArn: 'arn:lifecycle',
      alertsTopicArn: 'arn:alerts',
      operationAnswersQueueUrl: 'https://sqs/operation-answers',
      graceMinutes: 5,
      marketplace: { tenantId: 'tenant-1' },
      webhookSharedSecret: { parameter: 'sig', value: '0123456789abcdef0123' },
    });
    expect(loadFulfillmentWebhookConfig(everything)).not.toHaveProperty('webhookSharedSecret');
  });
});

describe('the usage reconciler configuration', () => {
  it('needs the table and the marketplace, not the catalog', () => {
    expect(loadUsageReconcilerConfig(without('CATALOG_PATH'))).toMatchObject({
      tableName: 'table',
      marketplace: { clientId: 'app-1' },
    });
  });
});
