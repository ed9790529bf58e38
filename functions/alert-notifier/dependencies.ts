import {
  createDocumentClient,
  createSesClient,
  createSmsClient,
  createSqsClient,
} from '#shared/adapters/aws-clients.ts';
import { DynamoAlertDeliveries } from '#shared/adapters/dynamodb/dynamo-alert-deliveries.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { contactLinksOf } from '#shared/adapters/links/contact-link-config.ts';
import { SesEmailChannel } from '#shared/adapters/ses/ses-email-channel.ts';
import { EndUserMessagingSmsChannel } from '#shared/adapters/sms/sms-channel.ts';
import { logger } from '#shared/observability.ts';
import type { NotifyRecipientDeps } from '#shared/use-cases/alerts/notify-recipient.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { AlertNotifierConfig } from './config.ts';

/** Everything the notifier needs, built once per cold start. */
export function buildAlertNotifierDependencies(config: AlertNotifierConfig) {
  const documentClient = createDocumentClient();
  const contactStates = new DynamoContactStates(documentClient, config.tableName, () => systemClock.now());
  // Said once per cold start, where an operator looks first: a deployment without a sending domain or origination
  // identity delivers nothing on that channel, and the history reports each such contact as not delivered.
  if (!config.email) {
    logger.warn(
      'E-mail alerts are off: ALERT_EMAIL_FROM is not set (context settings alertEmailDomain and alertEmailFrom, ' +
        'docs/deploy.md "E-mail and SMS"); e-mail contacts are reported as emailNotConfigured',
    );
  }
  if (!config.sms) {
    logger.warn(
      'SMS alerts are off: SMS_ORIGINATION_IDENTITY is not set (context setting smsOriginationIdentity, ' +
        'docs/deploy.md "E-mail and SMS"); phone contacts are reported as smsNotConfigured',
    );
  }
  const deps: NotifyRecipientDeps = {
    budgets: new DynamoBudgetStore(documentClient, config.tableName),
    partners: new DynamoPartnerStore(documentClient, config.tableName),
    contactStates,
    stateChanges: contactStates,
    deliveries: new DynamoAlertDeliveries(documentClient, config.tableName),
    unsubscribeLinks: contactLinksOf(config.values),
    ...(config.email ? { email: new SesEmailChannel(createSesClient(), config.email) } : {}),
    ...(config.sms ? { sms: new EndUserMessagingSmsChannel(createSmsClient(), config.sms) } : {}),
    clock: systemClock,
  };
  return { deps, sqs: createSqsClient(), queueUrl: config.notificationsQueueUrl };
}

export type AlertNotifierDependencies = ReturnType<typeof buildAlertNotifierDependencies>;
