import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { alertFromSqsBody } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';
import { logger, metrics } from '#shared/observability.ts';
import { comeBackDelaySeconds, notifyRecipient } from '#shared/use-cases/alerts/notify-recipient.ts';
import { loadAlertNotifierConfig } from './config.ts';
import { type AlertNotifierDependencies, buildAlertNotifierDependencies } from './dependencies.ts';
import { recordNotifyMetrics } from './metrics.ts';

/** The alert must come back later: it is reported as a batch item failure after its visibility was set. */
class ComeBackLater extends Error {}

/**
 * The consumer of the notifications queue (subscribed to the alerts topic): sends each alert to its recipient's
 * contacts (`notifyRecipient`). An alert that must come back (a contact has not confirmed yet, a channel failed for
 * now) gets its visibility set to the back-off delay and is reported as failed, so SQS hands it over again then;
 * everything already settled is skipped on the next pass.
 */
export function createAlertNotifier(dependencies: AlertNotifierDependencies) {
  const { deps, sqs, queueUrl } = dependencies;
  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    processSqsBatch(
      event,
      async (record) => {
        const message = readAlert(record);
        if (!message) return;
        const result = await notifyRecipient(deps, message);
        logger.info('Alert notified', {
          alertKey: message.key,
          contacts: result.contacts.map((c) => ({ channel: c.contact.channel, outcome: c.outcome, reason: c.reason })),
        });
        const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
        // Emitted only when there is something to count: an idle month emits nothing (custom metrics cost money).
        recordNotifyMetrics(metrics, result, receiveCount);
        if (!result.comeBack) return;
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: comeBackDelaySeconds(result.comeBack, receiveCount),
          }),
        );
        throw new ComeBackLater(result.comeBack);
      },
      reportFailure,
    );
}

/** The alert of a record, or undefined (logged) for a message that is not one: nothing can deliver it. */
function readAlert(record: SQSRecord): AlertMessage | undefined {
  try {
    return alertFromSqsBody(record.body);
  } catch (error) {
    logger.error('Notifications queue message is not an alert; dropped', { messageId: record.messageId, error });
    return undefined;
  }
}

function reportFailure(record: SQSRecord, error: unknown): void {
  if (error instanceof ComeBackLater) {
    logger.info('Alert comes back later', { messageId: record.messageId, reason: error.message });
    return;
  }
  logger.warn('Alert not notified; SQS will deliver it again', {
    messageId: record.messageId,
    receiveCount: record.attributes.ApproximateReceiveCount,
    error,
  });
}

const notify = createAlertNotifier(buildAlertNotifierDependencies(loadAlertNotifierConfig()));

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event) => notify(event));
