import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Runs `processRecord` on each record of an SQS batch, one after the other, and reports the records that failed as
 * `batchItemFailures` (the event source mapping must have `ReportBatchItemFailures`), so SQS deletes the others and
 * redelivers only the failed ones; after the queue's maxReceiveCount they go to the dead-letter queue.
 * One at a time on purpose: records of one batch often touch the same items, and concurrent transactions on them
 * would cancel each other.
 * `onFailure` sees each error (to log it); it must not throw.
 */
export async function processSqsBatch(
  event: SQSEvent,
  processRecord: (record: SQSRecord) => Promise<void>,
  onFailure: (record: SQSRecord, error: unknown) => void,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await processRecord(record);
    } catch (error) {
      onFailure(record, error);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
