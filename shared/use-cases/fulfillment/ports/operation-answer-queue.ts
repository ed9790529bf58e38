/**
 * The PATCH a webhook owes Microsoft, handed over to the operation-answers consumer: the webhook call must be answered
 * before the operation is PATCHed (reference/marketplace-2026.md, "The order Microsoft's reference emulator expects"),
 * and a Lambda function cannot keep working after it has returned its HTTP answer.
 */
export interface OperationAnswer {
  readonly subscriptionId: string;
  readonly operationId: string;
  readonly action: string;
  /** ISO instant Microsoft's webhook call reached us: the 10 s window for the PATCH counts from it. */
  readonly receivedAt: string;
}

/** Where the webhook queues the PATCH it owes (an SQS queue with a short delay; see `SqsOperationAnswerQueue`). */
export interface OperationAnswerQueue {
  /** @throws Error when the answer cannot be queued (the webhook then answers 500 and Microsoft delivers it again). */
  queue(answer: OperationAnswer): Promise<void>;
}
