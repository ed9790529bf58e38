import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ShardWork, ShardWorkQueue } from '#shared/use-cases/metering/ports/reporting-runs.ts';

/** SQS takes at most 10 messages per SendMessageBatch. */
const SQS_BATCH = 10;

/**
 * `ShardWorkQueue` on the usage-report queue (`USAGE_REPORT_QUEUE`): one JSON message per shard (`ShardWork`, parsed by
 * `functions/usage-reporter/schema.ts`), sent in batches of 10.
 */
export class SqsShardWorkQueue implements ShardWorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** @throws Error when SQS refused a message (after the SDK's own retries), naming the shards not queued. */
  async send(work: readonly ShardWork[]): Promise<void> {
    for (let start = 0; start < work.length; start += SQS_BATCH) {
      const batch = work.slice(start, start + SQS_BATCH);
      const answer = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((item, index) => ({ Id: String(index), MessageBody: JSON.stringify(item) })),
        }),
      );
      if (answer.Failed && answer.Failed.length > 0) {
        const shards = answer.Failed.map((failure) => batch[Number(failure.Id)]?.shard);
        throw new Error(`usage report shards ${shards.join(', ')} not queued: ${answer.Failed[0]?.Message ?? ''}`);
      }
    }
  }
}
