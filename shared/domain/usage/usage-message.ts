/**
 * The usage queue's message: the ONE definition of what `functions/usage-ingest` sends and
 * `functions/usage-aggregator` applies. The zod schema is the contract and the types are inferred from it, so the
 * producer's type and the consumer's parser cannot drift apart. It sits in the domain rather than in a function's
 * `schema.ts` because both ends (and the use cases between them) speak it; the aggregator's edge parses bodies with
 * it (`functions/usage-aggregator/schema.ts`).
 *
 * Our own format, so strict: an unknown field means a producer of another version, and such a message is refused
 * (it ends in the dead-letter queue) rather than half-applied. JSON on the wire: quantities are decimal strings,
 * never JSON numbers, so no float rounds them.
 */
import { z } from 'zod';
import { DomainError } from '#shared/domain/errors.ts';
import { Dec } from '#shared/domain/money.ts';
import { floorToUtcHour } from '#shared/domain/terms.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import { slotKey } from './slot-aggregation.ts';
import { transactionItemCount } from './transaction-packing.ts';

/** Version of the queue message format; a message of another version is refused (never half-understood). */
export const USAGE_MESSAGE_VERSION = 1;

/** A decimal in plain notation without sign or exponent, as slot quantities travel. */
const DECIMAL_TEXT = /^\d+(\.\d+)?$/;

/**
 * The sum of the accepted events of one (subscription, dimension, UTC hour): what the Metering API gets one event
 * for (after the included quantity is taken off by the reporter).
 */
export const usageSlotSchema = z.strictObject({
  subscriptionId: z.string().min(1),
  offerId: z.string().min(1),
  dimension: z.string().min(1),
  /** Start of the UTC hour, ISO 8601 with milliseconds (`2026-01-15T09:00:00.000Z`), so it sorts as a string. */
  hour: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/, 'must be the start of a UTC hour, e.g. 2026-01-15T09:00:00.000Z'),
  /** Exact decimal string (no exponent), > 0; never a JSON number (a float would round it). */
  quantity: z.string().regex(DECIMAL_TEXT, 'must be a decimal string'),
  eventCount: z.number().int().min(1),
});
export type UsageSlot = Readonly<z.infer<typeof usageSlotSchema>>;

/** One transaction's worth of slots plus the marker that makes applying it idempotent. */
export const usageMessageSchema = z.strictObject({
  version: z.literal(USAGE_MESSAGE_VERSION),
  /** Applied at most once, ever (within the marker's retention): a SHA-256 in hexadecimal. */
  marker: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hexadecimal digits'),
  slots: z.array(usageSlotSchema).min(1),
});
/** The queue message, as `usageMessageSchema` defines it (read-only: nothing changes a message once built). */
export interface UsageMessage extends Readonly<Omit<z.infer<typeof usageMessageSchema>, 'slots'>> {
  readonly slots: readonly UsageSlot[];
}

/** A queue message that can never be applied (refused every time, so it ends in the dead-letter queue). */
export class InvalidUsageMessageError extends DomainError {}

/**
 * Checks that a message can be applied in one transaction: known version, at least one slot, slots unique (a
 * transaction may not touch an item twice), hours at UTC hour starts, quantities > 0, counts ≥ 1, and at most
 * `MAX_TRANSACTION_ITEMS` items. The use case checks this even after the schema: a message may come from code that
 * never went through a queue, and uniqueness and the item count are beyond what the schema states.
 * @throws InvalidUsageMessageError saying what is wrong; such a message can never be applied.
 */
export function assertApplicableMessage(message: UsageMessage): void {
  if (message.version !== USAGE_MESSAGE_VERSION) {
    throw new InvalidUsageMessageError(`usage message version ${String(message.version)} is not supported`);
  }
  if (message.slots.length === 0) throw new InvalidUsageMessageError('usage message has no slots');
  const keys = new Set<string>();
  for (const slot of message.slots) {
    const key = slotKey(slot);
    if (keys.has(key)) {
      throw new InvalidUsageMessageError(
        `usage message lists slot ${slot.subscriptionId}/${slot.dimension}/${slot.hour} twice`,
      );
    }
    keys.add(key);
    const hour = new Date(slot.hour);
    if (Number.isNaN(hour.getTime()) || floorToUtcHour(hour).toISOString() !== slot.hour) {
      throw new InvalidUsageMessageError(`slot hour "${slot.hour}" is not the start of a UTC hour`);
    }
    if (!DECIMAL_TEXT.test(slot.quantity) || !new Dec(slot.quantity).greaterThan(0)) {
      throw new InvalidUsageMessageError(`slot quantity "${slot.quantity}" is not a decimal greater than 0`);
    }
    if (!Number.isInteger(slot.eventCount) || slot.eventCount < 1) {
      throw new InvalidUsageMessageError(`slot event count ${slot.eventCount} is not a whole number ≥ 1`);
    }
  }
  const items = transactionItemCount(message.slots);
  if (items > MAX_TRANSACTION_ITEMS) {
    throw new InvalidUsageMessageError(
      `usage message needs ${items} transaction items; DynamoDB allows ${MAX_TRANSACTION_ITEMS}`,
    );
  }
}
