import {
  BadRequestException,
  MessageRejected,
  type SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import {
  type ChannelAcceptance,
  type EmailChannel,
  type OutgoingEmail,
  RecipientRefused,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';

export interface SesEmailChannelSettings {
  /** `Name <alerts@example.com>` or `alerts@example.com`, of the verified domain identity. */
  readonly from: string;
  /** The configuration set whose event destination receives bounces, complaints, deliveries and rejects. */
  readonly configurationSetName?: string;
}

/**
 * E-mail through Amazon SES (API v2 `SendEmail`, simple content): from the publisher's own domain (verified with Easy
 * DKIM, docs/deploy.md), in the configuration set whose events report bounces and complaints, with RFC 8058
 * one-click unsubscribe headers when the mail carries an unsubscribe link, and the tags the events bring back.
 *
 * Errors: a refusal of this recipient for good becomes `RecipientRefused` (the contact's state should change); a
 * sandboxed account's "not verified" refusal is a deployment matter, not the contact's, so it stays an ordinary
 * (retried) error with a message saying what to do; throttling, quotas and outages are ordinary errors too.
 */
export class SesEmailChannel implements EmailChannel {
  constructor(
    private readonly client: SESv2Client,
    private readonly settings: SesEmailChannelSettings,
  ) {}

  async send(email: OutgoingEmail): Promise<ChannelAcceptance> {
    try {
      const result = await this.client.send(new SendEmailCommand(sendEmailInput(this.settings, email)));
      if (!result.MessageId) throw new Error('SES accepted the e-mail but returned no message id');
      return { messageId: result.MessageId };
    } catch (error) {
      throw sesError(error, email.to);
    }
  }
}

/** The SendEmail request of one e-mail (UTF-8 text, optional HTML, unsubscribe headers, tags). */
export function sendEmailInput(settings: SesEmailChannelSettings, email: OutgoingEmail): SendEmailCommandInput {
  const headers = email.unsubscribeUrl
    ? [
        { Name: 'List-Unsubscribe', Value: `<${email.unsubscribeUrl}>` },
        // RFC 8058: the mail client POSTs this body to the URL; no page, no confirmation step.
        { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
      ]
    : undefined;
  return {
    FromEmailAddress: settings.from,
    Destination: { ToAddresses: [email.to] },
    ...(settings.configurationSetName ? { ConfigurationSetName: settings.configurationSetName } : {}),
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: {
          Text: { Data: email.text, Charset: 'UTF-8' },
          ...(email.html ? { Html: { Data: email.html, Charset: 'UTF-8' } } : {}),
        },
        ...(headers ? { Headers: headers } : {}),
      },
    },
    ...(email.tags
      ? { EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value: tagValue(Value) })) }
      : {}),
  };
}

/**
 * SES's error for one recipient, as the channel port states it.
 * - `MessageRejected` naming the suppression list → `RecipientRefused('suppressed')`; an illegal address (either
 *   error kind) → `RecipientRefused('invalidAddress')`;
 * - `MessageRejected` "not verified" (the account is in the SES sandbox, which sends only to verified addresses) → an
 *   error that says to request production access: the contact is not at fault;
 * - anything else (TooManyRequests, LimitExceeded, SendingPaused, AccountSuspended, outages) → itself, transient.
 */
export function sesError(error: unknown, to: string): unknown {
  const text = error instanceof Error ? error.message : '';
  if (error instanceof MessageRejected || error instanceof BadRequestException) {
    if (/suppression list/i.test(text)) {
      return new RecipientRefused('suppressed', `SES refuses ${to}: it is on the account's suppression list`);
    }
    if (/illegal address|invalid (email )?address|missing final '@/i.test(text)) {
      return new RecipientRefused('invalidAddress', `SES refuses ${to} as an invalid address: ${text}`);
    }
  }
  if (error instanceof MessageRejected && /not verified/i.test(text)) {
    return new Error(
      `SES refused the e-mail to ${to} because the account is in the SES sandbox (${text}). Request production ` +
        'access for SES in this region (docs/deploy.md "E-mail and SMS"); until then only verified addresses receive mail.',
      { cause: error },
    );
  }
  return error;
}

/** SES tag values allow letters, digits, `_`, `-`, `.` and `@` only (alert keys contain `#` and `:`). */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256);
}
