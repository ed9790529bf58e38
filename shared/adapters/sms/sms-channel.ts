import {
  ConflictException,
  type PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  type SendTextMessageCommandInput,
  ValidationException,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { type SmsCountry, smsCountryOf } from '#shared/domain/alerts/phone-countries.ts';
import {
  type ChannelAcceptance,
  type OutgoingSms,
  RecipientRefused,
  type SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';

export interface SmsChannelSettings {
  /** The registered origination identity: a phone number, sender id, pool (id or ARN). */
  readonly originationIdentity: string;
  /** The configuration set whose event destination receives delivery events. */
  readonly configurationSetName?: string;
  /** The countries SMS may go to (context setting `smsCountries`, `SMS_ALLOWED_COUNTRIES`). */
  readonly allowedCountries: readonly SmsCountry[];
}

/**
 * SMS through AWS End User Messaging SMS (`SendTextMessage`): transactional (delivered with priority, and the kind
 * carriers expect for account alerts), from the registered origination identity, in the configuration set that
 * reports delivery events, with the tags (`Context`) those events bring back.
 *
 * A number outside the allowed countries is refused before any call (SMS pumping: a form that takes any number is a
 * way to spend the publisher's money on premium-rate destinations). A number on the opt-out list (the person replied
 * STOP) or a country the service blocks is `RecipientRefused`; throttling, the monthly spend limit and outages are
 * ordinary (retried) errors.
 */
export class EndUserMessagingSmsChannel implements SmsChannel {
  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly settings: SmsChannelSettings,
  ) {}

  async send(sms: OutgoingSms): Promise<ChannelAcceptance> {
    const country = smsCountryOf(sms.to);
    if (country === undefined || !this.settings.allowedCountries.includes(country)) {
      throw new RecipientRefused(
        'countryNotAllowed',
        `SMS to ${sms.to} is not sent: its country is not among the allowed ones (${this.settings.allowedCountries.join(', ')}; context setting smsCountries)`,
      );
    }
    try {
      const result = await this.client.send(new SendTextMessageCommand(sendTextMessageInput(this.settings, sms)));
      if (!result.MessageId) throw new Error('End User Messaging accepted the SMS but returned no message id');
      return { messageId: result.MessageId };
    } catch (error) {
      throw smsError(error, sms.to);
    }
  }
}

export function sendTextMessageInput(settings: SmsChannelSettings, sms: OutgoingSms): SendTextMessageCommandInput {
  return {
    DestinationPhoneNumber: sms.to,
    OriginationIdentity: settings.originationIdentity,
    MessageBody: sms.body,
    MessageType: 'TRANSACTIONAL',
    ...(settings.configurationSetName ? { ConfigurationSetName: settings.configurationSetName } : {}),
    ...(sms.tags ? { Context: { ...sms.tags } } : {}),
  };
}

/** End User Messaging's error for one number, as the channel port states it. */
export function smsError(error: unknown, to: string): unknown {
  if (error instanceof ConflictException && error.Reason === 'DESTINATION_PHONE_NUMBER_OPTED_OUT') {
    return new RecipientRefused('optedOut', `${to} has opted out of SMS (it replied STOP)`);
  }
  if (
    (error instanceof ValidationException && error.Reason === 'DESTINATION_COUNTRY_BLOCKED') ||
    (error instanceof ConflictException && error.Reason === 'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION')
  ) {
    return new RecipientRefused('countryNotAllowed', `End User Messaging blocks SMS to the country of ${to}`);
  }
  return error;
}
