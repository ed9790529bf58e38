import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import {
  type ContactAddress,
  contactKey,
  type UnsubscribeLinks,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import type {
  ChannelAcceptance,
  EmailChannel,
  OutgoingEmail,
  OutgoingSms,
  SmsChannel,
} from '#shared/use-cases/alerts/ports/notification-channels.ts';

/**
 * Unsubscribe links without signatures, for tests of what carries them (the contacts capability signs the real ones):
 * the contact and the rule are readable in the URL, so a test can tell which link went where.
 */
export class PlainUnsubscribeLinks implements UnsubscribeLinks {
  constructor(private readonly base = 'https://alerts.example/unsubscribe') {}

  async linkFor(contact: ContactAddress, rule?: AlertRule): Promise<string> {
    const url = new URL(this.base);
    url.searchParams.set('contact', contactKey(contact));
    if (rule) url.searchParams.set('rule', rule);
    return url.toString();
  }
}

/**
 * A channel that records what it is given and accepts it, unless the test queued a failure for the next sends
 * (`failNext`): the way to make a channel refuse a recipient or fail for a while.
 */
class RecordingChannel<Message> {
  readonly sent: Message[] = [];
  private readonly failures: unknown[] = [];

  failNext(...errors: unknown[]): void {
    this.failures.push(...errors);
  }

  async send(message: Message): Promise<ChannelAcceptance> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.sent.push(message);
    return { messageId: `message-${this.sent.length}` };
  }
}

export class RecordingEmailChannel extends RecordingChannel<OutgoingEmail> implements EmailChannel {}
export class RecordingSmsChannel extends RecordingChannel<OutgoingSms> implements SmsChannel {}
