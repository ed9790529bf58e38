/**
 * The channels that carry alerts and contact messages to people: e-mail (Amazon SES in AWS) and SMS (AWS End User
 * Messaging). Adapters in `shared/adapters/ses/` and `shared/adapters/sms/`, with local stand-ins in local mode.
 */

export interface OutgoingEmail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** One-click unsubscribe (RFC 8058): sent as `List-Unsubscribe` and `List-Unsubscribe-Post`. */
  readonly unsubscribeUrl?: string;
  /** Tags the channel returns with its delivery events (e.g. the alert key), so a bounce can be traced. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface OutgoingSms {
  /** E.164. */
  readonly to: string;
  readonly body: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The channel accepted the message for delivery; `messageId` comes back in its delivery events. */
export interface ChannelAcceptance {
  readonly messageId: string;
}

/**
 * The channel refused this recipient for good (a suppressed address, an opted-out number, a country not allowed):
 * retrying will not help; the contact's state should change. Any other error is transient: retry.
 */
export class RecipientRefused extends Error {
  constructor(
    readonly reason: 'suppressed' | 'optedOut' | 'countryNotAllowed' | 'invalidAddress',
    message: string,
  ) {
    super(message);
    this.name = 'RecipientRefused';
  }
}

export interface EmailChannel {
  /** @throws RecipientRefused for a permanent refusal; any other error is transient. */
  send(email: OutgoingEmail): Promise<ChannelAcceptance>;
}

export interface SmsChannel {
  /** @throws RecipientRefused for a permanent refusal; any other error is transient. */
  send(sms: OutgoingSms): Promise<ChannelAcceptance>;
}
