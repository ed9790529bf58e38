import * as z from 'zod';
import { CONTACT_LINK_SETTINGS } from '#shared/adapters/links/contact-link-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { optional, required, TABLE_SETTINGS } from '#shared/config/settings.ts';
import { DEFAULT_SMS_COUNTRIES, parseSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the alert notifier reads: the table (settings, contact states, delivery records), its own queue (to
 * delay an alert held for an unconfirmed contact), the contact-link settings (unsubscribe links in every e-mail), and
 * the two channels. A channel whose sender is not configured is off: its contacts are reported `failed`
 * (`emailNotConfigured` / `smsNotConfigured`) in the history, and the cold start says so in the log.
 */
export const ALERT_NOTIFIER_SETTINGS = z.object({
  ...TABLE_SETTINGS,
  [ENV.notificationsQueueUrl]: required('the URL of the notifications SQS queue'),
  ...CONTACT_LINK_SETTINGS,
  [ENV.alertEmailFrom]: optional(),
  [ENV.sesConfigurationSet]: optional(),
  [ENV.smsOriginationIdentity]: optional(),
  [ENV.smsConfigurationSet]: optional(),
  [ENV.smsAllowedCountries]: optional(),
});

export type AlertNotifierValues = z.output<typeof ALERT_NOTIFIER_SETTINGS>;

export interface AlertNotifierConfig {
  readonly tableName: string;
  readonly notificationsQueueUrl: string;
  readonly values: AlertNotifierValues;
  readonly email?: { readonly from: string; readonly configurationSetName?: string };
  readonly sms?: {
    readonly originationIdentity: string;
    readonly configurationSetName?: string;
    readonly allowedCountries: readonly SmsCountry[];
  };
}

/**
 * The notifier's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadAlertNotifierConfig(env: Env = runtimeEnv()): AlertNotifierConfig {
  const values = loadSettings(ALERT_NOTIFIER_SETTINGS, env);
  const from = values[ENV.alertEmailFrom];
  const emailSet = values[ENV.sesConfigurationSet];
  const origination = values[ENV.smsOriginationIdentity];
  const smsSet = values[ENV.smsConfigurationSet];
  const countries = values[ENV.smsAllowedCountries];
  return {
    tableName: values[ENV.tableName],
    notificationsQueueUrl: values[ENV.notificationsQueueUrl],
    values,
    ...(from ? { email: { from, ...(emailSet ? { configurationSetName: emailSet } : {}) } } : {}),
    ...(origination
      ? {
          sms: {
            originationIdentity: origination,
            ...(smsSet ? { configurationSetName: smsSet } : {}),
            allowedCountries: countries === undefined ? DEFAULT_SMS_COUNTRIES : parseSmsCountries(countries),
          },
        }
      : {}),
  };
}
