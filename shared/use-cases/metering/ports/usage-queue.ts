import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';

/** The queue between usage ingest and aggregation (SQS standard queue with a dead-letter queue in AWS). */
export interface UsageQueue {
  /**
   * Enqueues every message, or fails. Messages may be delivered more than once and in any order: the aggregator
   * recognises a repeated message by its marker.
   * @throws Error when any message could not be enqueued after retries (some others may have been enqueued:
   *   a retry with the same markers is then safe, the aggregator applies each marker once).
   */
  send(messages: readonly UsageMessage[]): Promise<void>;
}
