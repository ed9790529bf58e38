import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { DynamoLocalMailbox } from '#shared/adapters/dynamodb/dynamo-local-mailbox.ts';
import type { SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
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
 * table. In AWS: the SES and End User Messaging SMS channels of the alert notifier (issue 15, its outbound half),
 * which this build does not contain yet: until they are composed here, saving a new contact fails with this error
 * rather than storing it as pending with no message sent.
 */
export function contactChannels(
  config: { readonly tableName: string; readonly localMailbox: boolean },
  documentClient: DynamoDBDocumentClient,
): ContactChannels {
  if (config.localMailbox) {
    const mailbox = new DynamoLocalMailbox(documentClient, config.tableName);
    return { email: mailbox, sms: mailbox };
  }
  const missing = {
    send: async (): Promise<never> => {
      throw new Error('No e-mail or SMS channel is composed for contact messages in this build (SES / SMS adapters).');
    },
  };
  return { email: missing, sms: missing };
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
