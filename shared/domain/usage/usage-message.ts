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
import * as z from 'zod';
import { DomainError } from '#shared/domain/errors.ts';
import { Dec } from '#shared/domain/money.ts';
import { floorToUtcHour } from '#shared/domain/terms.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import { slotKey } from './slot-aggregation.ts';
import { transactionItemCount } from './transaction-packing.ts';

/**
 * Version of the queue message format the ingest sends. Version 1 (no event ids in slots) is still applied, so that
 * messages queued before an upgrade are not lost; any other version is refused (never half-understood).
 */
export const USAGE_MESSAGE_VERSION = 2 as const;
/** Versions the aggregator applies. */
export const APPLICABLE_USAGE_MESSAGE_VERSIONS = [1, 2] as const;

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

/**
 * A slot as the queue carries it: the sum of its events, plus the events that carry a client id, each as
 * [its dedup entry (`event-dedup.ts`), its quantity], so the aggregator can drop an id counted before and add the
 * rest. Their quantities are part of `quantity` and `eventCount`; the other events of the slot carry no id.
 */
export const messageSlotSchema = usageSlotSchema.extend({
  ids: z
    .array(
      z.tuple([z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'must be an event-id entry'), z.string().regex(DECIMAL_TEXT)]),
    )
    .optional(),
});
export type MessageSlot = Readonly<Omit<z.infer<typeof messageSlotSchema>, 'ids'>> & {
  readonly ids?: readonly (readonly [entry: string, quantity: string])[];
};

/** A batch of slots plus the marker that recognises the message (and its id-less events) when it comes again. */
export const usageMessageSchema = z.strictObject({
  version: z.union(APPLICABLE_USAGE_MESSAGE_VERSIONS.map((version) => z.literal(version))),
  /** A SHA-256 in hexadecimal: deterministic for a retried request (key or ids), random otherwise. */
  marker: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hexadecimal digits'),
  slots: z.array(messageSlotSchema).min(1),
});
/** The queue message, as `usageMessageSchema` defines it (read-only: nothing changes a message once built). */
export interface UsageMessage {
  readonly version: (typeof APPLICABLE_USAGE_MESSAGE_VERSIONS)[number];
  readonly marker: string;
  readonly slots: readonly MessageSlot[];
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
  if (!(APPLICABLE_USAGE_MESSAGE_VERSIONS as readonly number[]).includes(message.version)) {
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
    assertIdsFitTheSlot(slot);
  }
  const items = transactionItemCount(message.slots);
  if (items > MAX_TRANSACTION_ITEMS) {
    throw new InvalidUsageMessageError(
      `usage message needs ${items} transaction items; DynamoDB allows ${MAX_TRANSACTION_ITEMS}`,
    );
  }
}

/** The identified events of a slot are part of it: no more of them than its events, their sum within its quantity. */
function assertIdsFitTheSlot(slot: MessageSlot): void {
  const ids = slot.ids ?? [];
  if (ids.length > slot.eventCount) {
    throw new InvalidUsageMessageError(`slot lists ${ids.length} event ids but counts ${slot.eventCount} events`);
  }
  const entries = new Set(ids.map(([entry]) => entry));
  if (entries.size !== ids.length) throw new InvalidUsageMessageError('slot lists an event id twice');
  const identified = ids.reduce((sum, [, quantity]) => sum.plus(quantity), new Dec(0));
  const rest = new Dec(slot.quantity).minus(identified);
  const anonymousEvents = slot.eventCount - ids.length;
  if (rest.isNegative() || (anonymousEvents === 0 ? !rest.isZero() : !rest.greaterThan(0))) {
    throw new InvalidUsageMessageError(
      `slot quantity ${slot.quantity} does not match its identified events (${identified.toString()}) and ` +
        `${anonymousEvents} other event(s)`,
    );
  }
}
