import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { deliveryEventsOfBody } from '#shared/adapters/delivery-events/delivery-event-records.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { logger } from '#shared/observability.ts';
import { applyDeliveryEvents } from '#shared/use-cases/alerts/apply-delivery-events.ts';
import type { ContactStateChanges } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { loadContactEventsConfig } from './config.ts';

/**
 * The consumer of the contact-events queue (subscribed to the DeliveryEvents topic, where SES and End User Messaging
 * SMS publish their events): a permanent bounce, a complaint, an invalid number or an opt-out puts the contact in
 * that state, so nothing more is sent to it. Only failed records come back for retry; a record that is not a
 * delivery event at all fails every time and ends in the dead-letter queue (alarm `DeadLettersAlarm`).
 */
export function createContactEvents(deps: { readonly changes: Pick<ContactStateChanges, 'markUndeliverable'> }) {
  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    processSqsBatch(
      event,
      async (record) => {
        const sentAt = new Date(Number(record.attributes.SentTimestamp) || Date.now());
        const events = deliveryEventsOfBody(record.body, sentAt);
        const result = await applyDeliveryEvents(deps, events);
        for (const applied of events.filter((e) => e.effect !== 'ignored')) {
          // The channel and the state, not the address: logs are kept longer than a person's wish to be forgotten.
          logger.info('Contact state changed by a delivery event', {
            channel: applied.contact.channel,
            state: applied.effect,
            cause: applied.cause,
          });
        }
        if (result.applied === 0)
          logger.debug('Delivery event changed no contact state', { messageId: record.messageId });
      },
      reportFailure,
    );
}

function reportFailure(record: SQSRecord, error: unknown): void {
  logger.warn('Delivery event not applied; SQS will deliver it again, then dead-letter it', {
    messageId: record.messageId,
    receiveCount: record.attributes.ApproximateReceiveCount,
    error,
  });
}

const config = loadContactEventsConfig();
const apply = createContactEvents({ changes: new DynamoContactStates(createDocumentClient(), config.tableName) });

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => apply(event));
