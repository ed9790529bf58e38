import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsLambdaHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse | undefined>;

export interface QueuePollerOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  /** Longest time spent gathering one batch (Lambda's MaximumBatchingWindowInSeconds); 0 or absent: one receive. */
  readonly maxBatchingWindowSeconds?: number;
  /**
   * Keep gathering until the window ends even when the queue is empty for a moment, as AWS does (benchmarks, to
   * measure batches as deployed). Default false: the local mode hands over what it has once the queue is empty.
   */
  readonly waitOutWindow?: boolean;
  readonly handler: SqsLambdaHandler;
  readonly onError: (error: unknown) => void;
  /** Long-poll wait per receive; short keeps Ctrl-C quick. */
  readonly waitTimeSeconds?: number;
}

/** Lambda's limit on the payload of one invocation: an event source mapping stops gathering a batch there. */
const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** SQS's limits per ReceiveMessage and per DeleteMessageBatch. */
const SQS_MAX_MESSAGES_PER_CALL = 10;

/**
 * What Lambda's SQS event source mapping does, for the local mode: long-poll the queue, gather a batch (up to
 * `batchSize` messages and 6 MB, for at most the batching window), hand the handler the batch in the SQS event shape,
 * delete the messages it did not report in `batchItemFailures`, and leave the others to come back after their
 * visibility timeout (and to the dead-letter queue after `maxReceiveCount`, which fauxqs enforces).
 * A handler that throws fails the whole batch, as in AWS.
 * One difference, for a responsive local mode: gathering also stops when the queue has nothing more to give, where
 * AWS waits out the window; under load (a backlog) batches grow the same way.
 */
export function startQueuePoller(sqs: SQSClient, options: QueuePollerOptions): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const messages = await gatherBatch(sqs, options, () => stopped);
        if (messages.length === 0 || stopped) continue;
        const records = messages.map((message) => toRecord(message, options.queueArn));
        let failed = new Set(records.map((record) => record.messageId));
        try {
          const response = await options.handler({ Records: records }, { awsRequestId: randomUUID() });
          failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        } catch (error) {
          options.onError(error);
        }
        const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
        for (let start = 0; start < done.length; start += SQS_MAX_MESSAGES_PER_CALL) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done
                .slice(start, start + SQS_MAX_MESSAGES_PER_CALL)
                .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (!stopped) options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** One batch: the first receive long-polls; more receives follow while the batch has room and time is left. */
async function gatherBatch(sqs: SQSClient, options: QueuePollerOptions, stopped: () => boolean): Promise<Message[]> {
  const batch: Message[] = [];
  let bytes = 0;
  const windowEnds = Date.now() + (options.maxBatchingWindowSeconds ?? 0) * 1000;
  do {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_MESSAGES_PER_CALL, options.batchSize - batch.length),
        WaitTimeSeconds: batch.length === 0 ? (options.waitTimeSeconds ?? 1) : 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      if (!options.waitOutWindow || batch.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    batch.push(...messages);
    bytes += messages.reduce((sum, message) => sum + Buffer.byteLength(message.Body ?? '', 'utf8'), 0);
  } while (
    !stopped() &&
    batch.length < options.batchSize &&
    bytes < MAX_BATCH_PAYLOAD_BYTES - 256 * 1024 &&
    Date.now() < windowEnds
  );
  return batch;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}
