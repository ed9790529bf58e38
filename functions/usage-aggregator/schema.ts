import { InvalidUsageMessageError, type UsageMessage, usageMessageSchema } from '#shared/domain/usage/usage-message.ts';
import { describeIssues } from '#shared/zod-issues.ts';

/**
 * Reads a usage queue message body against the one contract of the message (`usageMessageSchema` in
 * shared/domain/usage/usage-message.ts, the schema `functions/usage-ingest`'s messages are typed by).
 * @throws InvalidUsageMessageError naming what is wrong: such a body can never be applied.
 */
export function parseUsageMessage(body: string): UsageMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new InvalidUsageMessageError('usage message body is not JSON', { cause });
  }
  const parsed = usageMessageSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidUsageMessageError(`usage message is malformed: ${describeIssues(parsed.error, 'body')}`);
  }
  return parsed.data;
}
