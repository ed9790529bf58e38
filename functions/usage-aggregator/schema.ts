import { z } from 'zod';
import { InvalidUsageMessageError, USAGE_MESSAGE_VERSION, type UsageMessage } from '#shared/domain/usage.ts';
import { describeIssues } from '#shared/zod-issues.ts';

/**
 * The usage queue's message body, written by `functions/usage-ingest` (see `UsageMessage` in
 * shared/domain/usage.ts). Our own format, so strict: an unknown field means a producer of another version, and
 * such a message is refused (it ends in the dead-letter queue) rather than half-applied.
 */
export const usageSlotSchema = z.strictObject({
  subscriptionId: z.string().min(1),
  offerId: z.string().min(1),
  dimension: z.string().min(1),
  /** Start of a UTC hour as `Date.toISOString()` writes it. */
  hour: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/, 'must be the start of a UTC hour, e.g. 2026-01-15T09:00:00.000Z'),
  /** Exact decimal string, never a JSON number (a float would round it). */
  quantity: z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string'),
  eventCount: z.number().int().min(1),
});

export const usageMessageSchema = z.strictObject({
  version: z.literal(USAGE_MESSAGE_VERSION),
  marker: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hexadecimal digits'),
  slots: z.array(usageSlotSchema).min(1),
});
export type UsageMessageBody = z.infer<typeof usageMessageSchema>;

/**
 * Reads a queue message body.
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
