import type * as z from 'zod';
import { optional } from '#shared/config/settings.ts';
import { DEFAULT_SMS_COUNTRIES, parseSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The alert channels' settings, for every function that sends to alert contacts: the notifier (alerts) and the Api
 * (confirmation messages of new contacts). A channel whose sender is not set is off (infra/constructs/alert-delivery.ts
 * sets them from the context settings `alertEmailDomain` / `alertEmailFrom` and `smsOriginationIdentityArn`).
 */
export const ALERT_CHANNEL_SETTINGS = {
  [ENV.alertEmailFrom]: optional(),
  [ENV.sesConfigurationSet]: optional(),
  [ENV.smsOriginationIdentity]: optional(),
  [ENV.smsConfigurationSet]: optional(),
  [ENV.smsAllowedCountries]: optional(),
};

export interface AlertChannelConfig {
  readonly email?: { readonly from: string; readonly configurationSetName?: string };
  readonly sms?: {
    readonly originationIdentity: string;
    readonly configurationSetName?: string;
    readonly allowedCountries: readonly SmsCountry[];
  };
}

/** The configured channels of parsed `ALERT_CHANNEL_SETTINGS` values (a channel without its sender is absent). */
export function alertChannelsOf(values: z.output<z.ZodObject<typeof ALERT_CHANNEL_SETTINGS>>): AlertChannelConfig {
  const from = values[ENV.alertEmailFrom];
  const emailSet = values[ENV.sesConfigurationSet];
  const origination = values[ENV.smsOriginationIdentity];
  const smsSet = values[ENV.smsConfigurationSet];
  const countries = values[ENV.smsAllowedCountries];
  return {
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
