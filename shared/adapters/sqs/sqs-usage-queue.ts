import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import type { UsageQueue } from '#shared/use-cases/metering/ports/usage-queue.ts';

/** SQS limits: 10 entries per SendMessageBatch, 256 KiB per message and per batch (the classic quota; kept even
 * where SQS now allows 1 MiB, so the same code runs against every SQS and its stand-ins). */
const MAX_BATCH_ENTRIES = 10;
export const MAX_SQS_PAYLOAD_BYTES = 256 * 1024;

export interface SqsUsageQueueOptions {
  /** Attempts per entry that SQS reports failed (a partial batch failure), including the first. Default 4. */
  readonly maxAttempts?: number;
  /** First pause before re-sending failed entries; doubled each time. Default 100 ms. */
  readonly baseDelayMs?: number;
}

/** A batch entry SQS did not take, with its reason. */
export class UsageQueueSendError extends Error {
  constructor(
    message: string,
    readonly failures: readonly { readonly id: string; readonly code?: string; readonly senderFault: boolean }[],
  ) {
    super(message);
    this.name = 'UsageQueueSendError';
  }
}

/**
 * `UsageQueue` on an SQS standard queue. Sends with SendMessageBatch and checks every entry's result: a
 * SendMessageBatch answers 200 even when some entries failed, so success is per entry. Failed entries that are
 * SQS's fault (throttling, internal errors) are re-sent with a growing pause; an entry refused as the sender's
 * fault (e.g. too large) is not retried. The SDK itself retries a call that failed as a whole.
 */
export class SqsUsageQueue implements UsageQueue {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsUsageQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 100;
  }

  /**
   * @throws UsageQueueSendError when a message is larger than SQS accepts, or SQS refused an entry on every attempt.
   * @throws Error from the SDK when a whole call failed after the SDK's own retries.
   */
  async send(messages: readonly UsageMessage[]): Promise<void> {
    const entries = messages.map((message, index) => ({ Id: `m${index}`, MessageBody: JSON.stringify(message) }));
    const oversized = entries.filter((entry) => Buffer.byteLength(entry.MessageBody, 'utf8') > MAX_SQS_PAYLOAD_BYTES);
    if (oversized.length > 0) {
      throw new UsageQueueSendError(
        `${oversized.length} usage message(s) exceed the SQS limit of ${MAX_SQS_PAYLOAD_BYTES} bytes`,
        oversized.map((entry) => ({ id: entry.Id, code: 'MessageTooLong', senderFault: true })),
      );
    }
    await Promise.all(batchesOf(entries).map((batch) => this.sendBatch(batch)));
  }

  private async sendBatch(batch: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = batch;
    let failures: UsageQueueSendError['failures'] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(this.baseDelayMs * 2 ** (attempt - 2));
      const result = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const succeeded = new Set((result.Successful ?? []).map((entry) => entry.Id));
      failures = (result.Failed ?? []).map((entry) => ({
        id: entry.Id ?? '',
        code: entry.Code,
        senderFault: entry.SenderFault === true,
      }));
      // An entry in neither list is treated as failed: never assume a message was queued.
      pending = pending.filter((entry) => !succeeded.has(entry.Id));
      if (pending.length === 0) return;
      if (failures.some((failure) => failure.senderFault)) break;
    }
    throw new UsageQueueSendError(
      `SQS did not accept ${pending.length} usage message(s): ${failures.map((f) => f.code ?? 'unknown').join(', ')}`,
      failures,
    );
  }
}

/** Entries in batches of at most 10 entries and 256 KiB, keeping their order. */
function batchesOf(entries: readonly SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_SQS_PAYLOAD_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
