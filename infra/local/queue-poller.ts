import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsLambdaHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse | undefined>;

export interface QueuePollerOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly handler: SqsLambdaHandler;
  readonly onError: (error: unknown) => void;
  /** Long-poll wait per receive; short keeps Ctrl-C quick. */
  readonly waitTimeSeconds?: number;
}

/**
 * What Lambda's SQS event source mapping does, for the local mode: long-poll the queue, hand the handler a batch in
 * the SQS event shape, delete the messages it did not report in `batchItemFailures`, and leave the others to come
 * back after their visibility timeout (and to the dead-letter queue after `maxReceiveCount`, which fauxqs enforces).
 * A handler that throws fails the whole batch, as in AWS.
 */
export function startQueuePoller(sqs: SQSClient, options: QueuePollerOptions): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: Math.min(10, options.batchSize),
            WaitTimeSeconds: options.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
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
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
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
