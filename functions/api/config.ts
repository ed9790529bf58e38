import * as z from 'zod';
import {
  ALERT_CHANNEL_SETTINGS,
  type AlertChannelConfig,
  alertChannelsOf,
} from '#shared/adapters/compose/alert-channel-config.ts';
import {
  PUBLISHER_ADMIN_SETTINGS,
  publisherAdmins,
  SESSION_SETTINGS,
  type SessionSecretSource,
  sessionSecretSource,
} from '#shared/adapters/entra/sign-in-config.ts';
import { CONTACT_LINK_SETTINGS, contactLinksOf } from '#shared/adapters/links/contact-link-config.ts';
import type { SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERTS_SETTINGS,
  type AlertsSettings,
  alertsSettings,
  CATALOG_SETTINGS,
  type CatalogSource,
  catalogSource,
  optional,
  optionalWholeNumber,
  TABLE_SETTINGS,
  USAGE_REPORT_QUEUE_SETTINGS,
} from '#shared/config/settings.ts';
import type { PublisherAdmins } from '#shared/domain/access.ts';
import { DEFAULT_SMS_COUNTRIES, parseSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { DEFAULT_REPORT_GRACE_MINUTES, MAX_REPORT_GRACE_MINUTES } from '#shared/domain/reporting/report-schedule.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the API reads at cold start: the alerts topic (test alerts, purchase-block notices), the usage-report
 * queue, the session and contact-link settings. No marketplace settings: the routes that call Microsoft are the
 * PublisherOperations function's.
 */
export const API_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  ...ALERTS_SETTINGS,
  ...CATALOG_SETTINGS,
  // `POST /v1/reporting/runs` dispatches a reporting run as the schedule does, with the same grace.
  ...USAGE_REPORT_QUEUE_SETTINGS,
  [ENV.usageReportGraceMinutes]: optionalWholeNumber('minutes', 0, MAX_REPORT_GRACE_MINUTES),
  // The portal's pages call this API with the signed-in user's session cookie instead of a key.
  ...SESSION_SETTINGS,
  ...PUBLISHER_ADMIN_SETTINGS,
  // A new alert contact is sent a confirmation link; phones must be in the countries SMS may go to.
  ...CONTACT_LINK_SETTINGS,
  [ENV.localMailbox]: optional(),
  // The channels the confirmation messages go through (the notifier's; SMS_ALLOWED_COUNTRIES is checked below).
  ...ALERT_CHANNEL_SETTINGS,
  [ENV.smsAllowedCountries]: optional().refine(
    (text) => {
      try {
        parseSmsCountries(text ?? '');
        return true;
      } catch {
        return false;
      }
    },
    { error: 'must be comma-separated ISO country codes the SMS allow-list supports, e.g. JP,US' },
  ),
});

export interface ApiConfig extends AlertsSettings {
  readonly tableName: string;
  readonly usageReportQueueUrl: string;
  /** Minutes after an hour closes before a run started by `POST /v1/reporting/runs` reports it. */
  readonly usageReportGraceMinutes: number;
  readonly catalog: CatalogSource;
  /** The session secret the cookie keys are derived from. */
  readonly sessionSecret: SessionSecretSource;
  /** `PUBLIC_BASE_URL`: the origin browsers use when the API has a custom domain (CSRF origin check). */
  readonly publicOrigin?: string;
  /** Who administers the publisher when signed in. */
  readonly publisherAdmins: PublisherAdmins;
  /** The confirmation links sent to new alert contacts. */
  readonly contactLinks: SignedContactLinks;
  /** The countries alert SMS may go to. */
  readonly smsCountries: readonly SmsCountry[];
  /** Local mode and tests: contact messages are kept in the table, not sent. */
  readonly localMailbox: boolean;
  /** The e-mail and SMS channels of the deployment (absent: that channel is off). */
  readonly channels: AlertChannelConfig;
}

/**
 * The API's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadApiConfig(env: Env = runtimeEnv()): ApiConfig {
  const values = loadSettings(API_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    usageReportQueueUrl: values[ENV.usageReportQueueUrl],
    usageReportGraceMinutes: values[ENV.usageReportGraceMinutes] ?? DEFAULT_REPORT_GRACE_MINUTES,
    ...alertsSettings(values),
    catalog: catalogSource(values),
    sessionSecret: sessionSecretSource(values),
    publicOrigin: values[ENV.publicBaseUrl],
    publisherAdmins: publisherAdmins(values),
    contactLinks: contactLinksOf(values),
    smsCountries: smsCountriesOf(values[ENV.smsAllowedCountries]),
    localMailbox: values[ENV.localMailbox] === 'true',
    channels: alertChannelsOf(values),
  };
}

/** The allow-list of `SMS_ALLOWED_COUNTRIES`; unset, the default (`DEFAULT_SMS_COUNTRIES`). */
function smsCountriesOf(text: string | undefined): readonly SmsCountry[] {
  return text === undefined ? DEFAULT_SMS_COUNTRIES : parseSmsCountries(text);
}
