import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSesClient, createSmsClient } from '#shared/adapters/aws-clients.ts';
import type { AlertChannelConfig } from '#shared/adapters/compose/alert-channel-config.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { DynamoLocalMailbox } from '#shared/adapters/dynamodb/dynamo-local-mailbox.ts';
import type { SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { SesEmailChannel } from '#shared/adapters/ses/ses-email-channel.ts';
import { EndUserMessagingSmsChannel } from '#shared/adapters/sms/sms-channel.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { EmailChannel, SmsChannel } from '#shared/use-cases/alerts/ports/notification-channels.ts';
import type { ContactLifecycleDeps } from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/** The channels contact messages go through. */
export interface ContactChannels {
  readonly email: EmailChannel;
  readonly sms: SmsChannel;
}

/**
 * The channels of the confirmation messages. Local mode and tests (`LOCAL_MAILBOX=true`): the local mailbox in the
 * table. In AWS: the notifier's SES and End User Messaging SMS channels (the same senders as the alerts). A channel
 * the deployment has not set up refuses the save with a message saying which context setting turns it on, rather
 * than storing a contact that can never be asked to confirm.
 */
export function contactChannels(
  config: { readonly tableName: string; readonly localMailbox: boolean; readonly channels: AlertChannelConfig },
  documentClient: DynamoDBDocumentClient,
): ContactChannels {
  if (config.localMailbox) {
    const mailbox = new DynamoLocalMailbox(documentClient, config.tableName);
    return { email: mailbox, sms: mailbox };
  }
  const { email, sms } = config.channels;
  return {
    email: email
      ? new SesEmailChannel(createSesClient(), email)
      : channelOff('contacts.emails', 'e-mail', 'alertEmailDomain'),
    sms: sms
      ? new EndUserMessagingSmsChannel(createSmsClient(), sms)
      : channelOff('contacts.phones', 'SMS', 'smsOriginationIdentityArn'),
  };
}

/** A channel the deployment has not set up: every send is refused with what the publisher must set (a 400). */
function channelOff(field: string, channel: string, setting: string): EmailChannel & SmsChannel {
  return {
    send: async (): Promise<never> => {
      throw new ValidationError(
        `this deployment sends no ${channel} alerts yet: the publisher sets them up with the context setting ` +
          `${setting} (docs/deploy.md "E-mail and SMS"); remove the ${channel} contacts or try again once it is set`,
        field,
      );
    },
  };
}

/** What registering contacts and reading their states needs, over the main table. */
export function buildContactLifecycle(
  config: { readonly tableName: string },
  documentClient: DynamoDBDocumentClient,
  links: SignedContactLinks,
  channels: ContactChannels,
  clock: Clock,
): { readonly contactLifecycle: ContactLifecycleDeps; readonly contactStates: DynamoContactStates } {
  const states = new DynamoContactStates(documentClient, config.tableName);
  return {
    contactStates: states,
    contactLifecycle: {
      registry: states,
      changes: states,
      confirmations: states,
      confirmLinks: links,
      email: channels.email,
      sms: channels.sms,
      clock,
    },
  };
}
