import * as z from 'zod';
import type { OperationAnswer } from '#shared/use-cases/fulfillment/ports/operation-answer-queue.ts';
import { describeIssues } from '#shared/zod-issues.ts';

/** Our own message (`SqsOperationAnswerQueue`), so parsed strictly: anything else is not from our webhook. */
const operationAnswerSchema = z.strictObject({
  subscriptionId: z.string().min(1).max(200),
  operationId: z.string().min(1).max(200),
  action: z.string().min(1).max(100),
  receivedAt: z.iso.datetime({ offset: true }),
});

/** A message that can never be answered: it fails every delivery and ends in the dead-letter queue with its reason. */
export class InvalidOperationAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** @throws InvalidOperationAnswerError when the body is not an `OperationAnswer`. */
export function parseOperationAnswer(body: string): OperationAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidOperationAnswerError('the message body is not JSON');
  }
  const parsed = operationAnswerSchema.safeParse(json);
  if (!parsed.success) throw new InvalidOperationAnswerError(describeIssues(parsed.error));
  return parsed.data;
}
