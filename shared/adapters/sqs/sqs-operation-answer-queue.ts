import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type {
  OperationAnswer,
  OperationAnswerQueue,
} from '#shared/use-cases/fulfillment/ports/operation-answer-queue.ts';

/**
 * `OperationAnswerQueue` on an SQS standard queue: one JSON message per answer, held back `delaySeconds`
 * (`CHANGE_ANSWER_QUEUE_DELAY_SECONDS`) so that the consumer's PATCH cannot overtake the webhook's own 200.
 * The message body is `OperationAnswer` as JSON (parsed by `functions/operation-answers/schema.ts`).
 */
export class SqsOperationAnswerQueue implements OperationAnswerQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly delaySeconds: number,
  ) {}

  /** @throws Error from the SDK when SQS refused the message after the SDK's own retries. */
  async queue(answer: OperationAnswer): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(answer),
        DelaySeconds: this.delaySeconds,
      }),
    );
  }
}
