/**
 * What a usage message's idempotency marker is derived from, so that a client's retry of the same usage produces
 * the same marker and is applied once. Pure: the use case hashes the material.
 */
import { Dec } from '#shared/domain/money.ts';
import type { SlotGroup } from './transaction-packing.ts';
import type { UsageSlot } from './usage-message.ts';

/**
 * The content a message's marker is derived from, when it can be derived at all:
 * - with an `Idempotency-Key`: the key plus the message content;
 * - else, when every event of the request carried an id: the sorted ids of this message's events plus its content;
 * - else nothing (undefined): the caller uses a random marker, so SQS redelivery is still recognised but a client
 *   retry is not (clients should send ids or a key).
 * The content is part of the material so a key reused for different usage never silently drops it.
 */
export function markerMaterial(
  group: SlotGroup,
  request: { readonly idempotencyKey?: string; readonly everyEventHasId: boolean },
): string | undefined {
  const content = canonicalSlotsContent(group.slots);
  if (request.idempotencyKey !== undefined) return JSON.stringify(['idempotencyKey', request.idempotencyKey, content]);
  if (request.everyEventHasId) {
    const ids = [...group.eventIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(['eventIds', ids, content]);
  }
  return undefined;
}

/** A canonical text of the slots (fixed field order, normalised decimals) for hashing. */
export function canonicalSlotsContent(slots: readonly UsageSlot[]): string {
  return JSON.stringify(
    slots.map((slot) => [
      slot.subscriptionId,
      slot.offerId,
      slot.dimension,
      slot.hour,
      new Dec(slot.quantity).toString(),
      slot.eventCount,
    ]),
  );
}
