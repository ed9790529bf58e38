import {
  type ChannelAcceptance,
  type EmailChannel,
  type OutgoingEmail,
  type OutgoingSms,
  RecipientRefused,
  type SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';

/**
 * E-mail and SMS channels that record what they were given, for use-case tests. `refuse` makes the channel refuse
 * an address for good (as SES does a suppressed address) and `fail` fail for a while (a throttled API).
 */
export class RecordingChannels {
  readonly emails: OutgoingEmail[] = [];
  readonly texts: OutgoingSms[] = [];
  readonly refuse = new Map<string, RecipientRefused['reason']>();
  fail: Error | undefined;

  readonly email: EmailChannel = { send: (email) => this.accept(email.to, () => this.emails.push(email)) };
  readonly sms: SmsChannel = { send: (sms) => this.accept(sms.to, () => this.texts.push(sms)) };

  private async accept(to: string, record: () => void): Promise<ChannelAcceptance> {
    if (this.fail) throw this.fail;
    const reason = this.refuse.get(to);
    if (reason) throw new RecipientRefused(reason, `${to} refused (${reason})`);
    record();
    return { messageId: `message-${this.emails.length + this.texts.length}` };
  }

  /** The link in the last message to `to` (the confirmation link). */
  lastLinkTo(to: string): string {
    const texts = [
      ...this.emails.filter((e) => e.to === to).map((e) => e.text),
      ...this.texts.filter((t) => t.to === to).map((t) => t.body),
    ];
    const link = /https?:\/\/\S+/.exec(texts.at(-1) ?? '')?.[0];
    if (!link) throw new Error(`No link was sent to ${to}`);
    return link;
  }
}
