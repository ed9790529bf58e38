/**
 * Exactly once per event id: which parts of a batch of usage messages are new and which were counted before. Pure;
 * the stored sets are read and written by the usage ledger (`DynamoUsageLedger`), the batch is orchestrated by
 * `applyUsageMessages`.
 *
 * THE RULE. Each (subscription, UTC hour) keeps a set of short entries of what was counted in that hour:
 * - an event with a client `id` leaves the entry of its id (`eventIdEntry`, a 96-bit hash of the id), so the same id
 *   in the same subscription and hour is counted at most once, whichever request, message or delivery brings it;
 * - the events of a message that carry no id leave ONE entry for the message (`markerEntry`) per (subscription,
 *   hour): a redelivered message, or a client retry with the same `Idempotency-Key` (same marker), adds nothing.
 * The entries of an hour and its slots' additions are written in one transaction, conditional on the set being what
 * was read, so concurrent workers can never both count the same entry.
 *
 * Why sets per subscription and hour rather than an item per event: one set item per hour written with the slots
 * costs one more item write per (subscription, hour) and transaction, instead of one per event (20× the whole
 * ledger's cost at requests of 1,000). Why per hour: a retry resends the same event, timestamp included, so the hour
 * is part of the event's identity, and it bounds each set by that hour's events. (The same id sent with a timestamp
 * in another hour is another event, and counted.)
 */
import { Dec } from '#shared/domain/money.ts';
import { slotKey } from './slot-aggregation.ts';
import type { UsageMessage, UsageSlot } from './usage-message.ts';

/** Characters of every entry: 16 base64url characters (96 bits) for ids, `~` + 15 hex digits (60 bits) for markers. */
export const DEDUP_ENTRY_LENGTH = 16;
/** Base64url alphabet: the id entries' characters (never `~`, so an id entry never equals a marker entry). */
const ID_ENTRY = /^[A-Za-z0-9_-]{16}$/;

/**
 * The entry of the id-less events of a message in one (subscription, hour): `~` + the first 15 hex digits of the
 * marker (a SHA-256 already). 60 bits: two random markers of one subscription and hour collide with a probability
 * below 10⁻⁸ even at 100,000 id-less requests in that hour.
 */
export function markerEntry(marker: string): string {
  return `~${marker.slice(0, DEDUP_ENTRY_LENGTH - 1)}`;
}

/** True for a well-formed event-id entry, as `eventIdEntry` (in the use case, which may hash) builds it. */
export function isEventIdEntry(entry: string): boolean {
  return ID_ENTRY.test(entry);
}

/** What is stored for one (subscription, hour): its entries, and each chunk's entry count (the write condition). */
export interface HourEntrySet {
  readonly hour: string;
  readonly seen: ReadonlySet<string>;
  /** Entries per stored chunk, by chunk index (empty: nothing stored yet); the ledger's optimistic-lock state. */
  readonly chunkCounts: readonly number[];
}

/** What one (subscription, hour) gets from a batch: entries to record and slot additions, written together. */
export interface HourAddition {
  readonly hour: string;
  readonly newEntries: readonly string[];
  /** The chunk counts as read: the write is conditional on them. */
  readonly chunkCounts: readonly number[];
  /** Additions to the hour's slots (quantity > 0 only); empty when everything in this hour was counted before. */
  readonly slots: readonly UsageSlot[];
}

/** The plan of one subscription's part of a batch. */
export interface SubscriptionAddition {
  readonly subscriptionId: string;
  /** Only hours with something to record; empty when the whole part was counted before. */
  readonly hours: readonly HourAddition[];
  /** Events dropped because their id (or their message) was counted before, or came twice in the batch. */
  readonly duplicateEvents: number;
  /** Indexes (in the batch) of the messages that added at least one event to this subscription. */
  readonly contributingMessages: ReadonlySet<number>;
}

/** The hours (ISO) of a subscription that a batch touches, sorted. */
export function hoursOf(messages: readonly UsageMessage[], subscriptionId: string): string[] {
  const hours = new Set<string>();
  for (const message of messages) {
    for (const slot of message.slots) if (slot.subscriptionId === subscriptionId) hours.add(slot.hour);
  }
  return [...hours].sort();
}

/** The subscriptions a batch touches, in first-seen order. */
export function subscriptionsOf(messages: readonly UsageMessage[]): string[] {
  return [...new Set(messages.flatMap((message) => message.slots.map((slot) => slot.subscriptionId)))];
}

/**
 * Which of a batch's usage for one subscription is new, given what its hours' sets hold: the batch's messages in
 * order, each event id counted once (a stored entry or an earlier occurrence in the batch drops it), each message's
 * id-less events counted once per hour (a stored marker entry, or the same message delivered twice in the batch,
 * drops them). Additions are exact decimals.
 * @param sets what is stored for every hour `hoursOf(messages, subscriptionId)` returns (a missing hour is empty).
 */
export function planSubscriptionAddition(
  messages: readonly UsageMessage[],
  subscriptionId: string,
  sets: ReadonlyMap<string, HourEntrySet>,
): SubscriptionAddition {
  const taken = new Map<string, Set<string>>();
  const takenIn = (hour: string) => {
    let entries = taken.get(hour);
    if (!entries) {
      entries = new Set();
      taken.set(hour, entries);
    }
    return entries;
  };
  const isTaken = (hour: string, entry: string) => sets.get(hour)?.seen.has(entry) || takenIn(hour).has(entry);
  const additions = new Map<string, { slot: UsageSlot; quantity: Dec; count: number }>();
  const contributing = new Set<number>();
  let duplicateEvents = 0;

  messages.forEach((message, messageIndex) => {
    const slots = message.slots.filter((slot) => slot.subscriptionId === subscriptionId);
    // The message's id-less events of each hour are counted once: decided before any of its slots adds its entry.
    const anonymousCounted = new Map<string, boolean>();
    for (const slot of slots) {
      if (!anonymousCounted.has(slot.hour))
        anonymousCounted.set(slot.hour, !isTaken(slot.hour, markerEntry(message.marker)));
    }
    for (const slot of slots) {
      let quantity = new Dec(0);
      let count = 0;
      let idQuantity = new Dec(0);
      for (const [entry, eventQuantity] of slot.ids ?? []) {
        idQuantity = idQuantity.plus(eventQuantity);
        if (isTaken(slot.hour, entry)) {
          duplicateEvents += 1;
          continue;
        }
        takenIn(slot.hour).add(entry);
        quantity = quantity.plus(eventQuantity);
        count += 1;
      }
      const anonymousCount = slot.eventCount - (slot.ids?.length ?? 0);
      if (anonymousCount > 0) {
        if (anonymousCounted.get(slot.hour)) {
          quantity = quantity.plus(new Dec(slot.quantity).minus(idQuantity));
          count += anonymousCount;
        } else duplicateEvents += anonymousCount;
      }
      if (count === 0) continue;
      contributing.add(messageIndex);
      const key = slotKey(slot);
      const addition = additions.get(key);
      if (addition) {
        addition.quantity = addition.quantity.plus(quantity);
        addition.count += count;
      } else additions.set(key, { slot, quantity, count });
    }
    for (const [hour, counted] of anonymousCounted) {
      const hasAnonymous = slots.some((slot) => slot.hour === hour && slot.eventCount > (slot.ids?.length ?? 0));
      if (counted && hasAnonymous) takenIn(hour).add(markerEntry(message.marker));
    }
  });

  const hours = [...taken.entries()]
    .filter(([, entries]) => entries.size > 0)
    .map(([hour, entries]): HourAddition => {
      const slots = [...additions.values()]
        .filter(({ slot, quantity }) => slot.hour === hour && quantity.greaterThan(0))
        .map(({ slot, quantity, count }) => ({
          subscriptionId,
          offerId: slot.offerId,
          dimension: slot.dimension,
          hour,
          quantity: quantity.toString(),
          eventCount: count,
        }));
      return { hour, newEntries: [...entries], chunkCounts: sets.get(hour)?.chunkCounts ?? [], slots };
    })
    .sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  return { subscriptionId, hours, duplicateEvents, contributingMessages: contributing };
}
