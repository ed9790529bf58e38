import * as z from 'zod';
import {
  ALERT_CHANNEL_SETTINGS,
  type AlertChannelConfig,
  alertChannelsOf,
} from '#shared/adapters/compose/alert-channel-config.ts';
import { CONTACT_LINK_SETTINGS } from '#shared/adapters/links/contact-link-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { required, TABLE_SETTINGS } from '#shared/config/settings.ts';
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
  ...ALERT_CHANNEL_SETTINGS,
});

export type AlertNotifierValues = z.output<typeof ALERT_NOTIFIER_SETTINGS>;

export interface AlertNotifierConfig extends AlertChannelConfig {
  readonly tableName: string;
  readonly notificationsQueueUrl: string;
  readonly values: AlertNotifierValues;
}

/**
 * The notifier's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadAlertNotifierConfig(env: Env = runtimeEnv()): AlertNotifierConfig {
  const values = loadSettings(ALERT_NOTIFIER_SETTINGS, env);
  return {
    tableName: values[ENV.tableName],
    notificationsQueueUrl: values[ENV.notificationsQueueUrl],
    values,
    ...alertChannelsOf(values),
  };
}
