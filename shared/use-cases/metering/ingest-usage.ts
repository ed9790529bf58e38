import { createHash, randomUUID } from 'node:crypto';
import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ServiceUnavailableError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { type UsageValidationContext, validateUsageEvent } from '#shared/domain/usage/ingest-validation.ts';
import { markerMaterial } from '#shared/domain/usage/message-marker.ts';
import { aggregateIntoSlots, slotKey } from '#shared/domain/usage/slot-aggregation.ts';
import { packSlots } from '#shared/domain/usage/transaction-packing.ts';
import type { AcceptedUsageEvent, UsageEventInput, UsageRejectionReason } from '#shared/domain/usage/usage-event.ts';
import {
  type MessageSlot,
  USAGE_MESSAGE_VERSION,
  type UsageMessage,
  type UsageSlot,
} from '#shared/domain/usage/usage-message.ts';
import { subscriptionFromMarketplace } from '#shared/use-cases/fulfillment/marketplace-subscription.ts';
import { eventIdEntry } from '#shared/use-cases/metering/event-id-entry.ts';
import type { MarketplaceSubscriptionLookup } from '#shared/use-cases/metering/ports/marketplace-subscription-lookup.ts';
import type { UsageEntrySets } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { UsageQueue } from '#shared/use-cases/metering/ports/usage-queue.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { MarketplaceSubscription } from '#shared/use-cases/ports/marketplace.ts';
import type { SubscriptionStore, VersionedSubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface IngestUsageDeps {
  /** Only reads: the ingest never changes a subscription. */
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly usageQueue: UsageQueue;
  /**
   * What each (subscription, hour) has counted, read to answer `duplicate` for an event id counted before. The
   * aggregator decides for good (an id queued twice within seconds is answered `accepted` twice and counted once).
   */
  readonly countedEntries: UsageEntrySets;
  /** Oldest acceptable event age in hours (configuration `USAGE_MAX_LATENESS_HOURS`). */
  readonly maxLatenessHours: number;
  /**
   * Subscriptions the store does not know yet are checked with Microsoft and stored (see `ingestUsage`). Absent:
   * their usage is rejected as `unknownSubscription`.
   */
  readonly unknownSubscriptions?: {
    readonly marketplace: MarketplaceSubscriptionLookup;
    /** The conditional create the webhook and the sync use, so whichever stores it first wins and none conflicts. */
    readonly store: Pick<VersionedSubscriptionStore, 'createIfAbsent'>;
  };
}

export interface IngestUsageInput {
  readonly events: readonly UsageEventInput[];
  /** The request's `Idempotency-Key` header. */
  readonly idempotencyKey?: string;
}

export interface UsageEventResult {
  /** Position of the event in the request. */
  readonly index: number;
  readonly id?: string;
  /** `duplicate`: an event with this id was counted before for this subscription and hour; not counted again. */
  readonly status: 'accepted' | 'rejected' | 'duplicate';
  readonly reason?: UsageRejectionReason;
  readonly message?: string;
}

export interface IngestUsageResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicate: number;
  readonly results: UsageEventResult[];
  /** Markers of the queued messages, in queue order (for logs and tests; not part of the HTTP answer). */
  readonly markers: string[];
}

/** Subscriptions read at once: a request may name up to 1,000 different ones. */
const SUBSCRIPTION_READ_CONCURRENCY = 16;
/**
 * Subscriptions unknown to the store that one request may have checked with Microsoft. A request naming more gets a
 * 503: its retry checks the next ones (answers are remembered and found subscriptions stored), so a publisher with
 * many new customers converges in a few retries while a client sending floods of bad ids costs Microsoft at most
 * this many calls per request.
 */
export const MAX_LOOKUPS_PER_REQUEST = 20;
const LOOKUP_CONCURRENCY = 5;
/** A SaaS subscription id is a GUID (§1.3): anything else is unknown without asking Microsoft. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Before this, a date from Microsoft is its "never" (`0001-01-01T00:00:00`, §1.3) or noise. */
const EARLIEST_PLAUSIBLE = Date.parse('2015-01-01T00:00:00Z');

/**
 * Accepts a batch of usage events from the publisher's app and queues the accepted ones for aggregation.
 * Steps: require a publisher key; read each named subscription once; validate every event (quantity, time,
 * subscription state and plan at the event's instant); answer `duplicate` for an event whose id its subscription and
 * hour counted before (the aggregator drops it for good, see `shared/domain/usage/event-dedup.ts`); sum the accepted
 * ones per (subscription, dimension, UTC hour), keeping each identified event's dedup entry and quantity;
 * pack the sums into messages of one DynamoDB transaction each; give each message its idempotency marker
 * (`markerMaterial`: deterministic with an Idempotency-Key or event ids, random otherwise); enqueue them all.
 * Nothing is reported accepted unless every message was enqueued.
 *
 * A subscription the store does not know (its webhook late or lost, the landing page never opened) is checked with
 * Microsoft (`unknownSubscriptions`): when Microsoft knows it, it is stored as the sync would store it, Subscribed
 * from when Microsoft's view says it became so (`subscribedSince`), and its events are judged like any other; when
 * Microsoft does not know it, its events are rejected `unknownSubscription`.
 * @throws ForbiddenError for a partner or customer key.
 * @throws ServiceUnavailableError when the queue refused a message, or Microsoft could not be asked about a
 *   subscription the store does not know (or more than `MAX_LOOKUPS_PER_REQUEST` of them): nothing is queued, the
 *   client retries the same request (with the same Idempotency-Key or event ids, messages already queued are then not
 *   counted twice). Usage that may be valid is never rejected because Microsoft was unavailable.
 */
export async function ingestUsage(
  deps: IngestUsageDeps,
  caller: Principal,
  input: IngestUsageInput,
): Promise<IngestUsageResult> {
  requirePublisher(caller, 'report usage');
  const subscriptions = await readSubscriptions(
    deps.subscriptions,
    input.events.map((event) => event.subscriptionId),
  );
  const now = deps.clock.now();
  if (deps.unknownSubscriptions) await adoptFromMarketplace(deps.unknownSubscriptions, subscriptions, now);
  const maxLatenessMs = deps.maxLatenessHours * 3_600_000;
  // One validation context per subscription, built once: a request usually names one subscription 1,000 times.
  const contexts = new Map<string, UsageValidationContext>();
  for (const [id, subscription] of subscriptions) {
    contexts.set(id, { now, maxLatenessMs, catalog: deps.catalog, subscription });
  }
  const valid: { index: number; event: AcceptedUsageEvent }[] = [];
  const results: UsageEventResult[] = input.events.map((event, index): UsageEventResult => {
    const verdict = validateUsageEvent(event, contexts.get(event.subscriptionId) as UsageValidationContext);
    if (verdict.status === 'rejected') {
      return event.id === undefined
        ? { index, status: 'rejected', reason: verdict.reason, message: verdict.message }
        : { index, id: event.id, status: 'rejected', reason: verdict.reason, message: verdict.message };
    }
    valid.push({ index, event: verdict.event });
    return event.id === undefined ? { index, status: 'accepted' } : { index, id: event.id, status: 'accepted' };
  });
  // Each id is hashed once: the duplicate check and the messages both use its entry.
  const entryOf = new Map<string, string>();
  for (const { event } of valid) if (event.id !== undefined) entryOf.set(event.id, eventIdEntry(event.id));
  const counted = await countedBefore(deps.countedEntries, valid, entryOf);
  const duplicateEntries = new Set<string>();
  for (const { index, event } of valid) {
    if (!counted.has(index)) continue;
    results[index] = { index, id: event.id, status: 'duplicate' };
    duplicateEntries.add(entryOf.get(event.id as string) as string);
  }

  // Events answered `duplicate` still travel in the messages (the aggregator drops them by their entries): so a retry
  // of a request builds exactly the messages, and markers, of its first attempt, and the id-less events of a message
  // queued by a half-failed first attempt are recognised by its marker. A message holding nothing but known
  // duplicates is not sent at all.
  const validEvents = valid.map(({ event }) => event);
  const everyEventHasId = input.events.every((event) => event.id !== undefined);
  const messages: UsageMessage[] = packSlots(aggregateIntoSlots(validEvents))
    .map((group): UsageMessage => {
      const material = markerMaterial(group, { idempotencyKey: input.idempotencyKey, everyEventHasId });
      return {
        version: USAGE_MESSAGE_VERSION,
        marker: material === undefined ? randomMarker() : sha256(material),
        slots: withEventIdEntries(group.slots, validEvents, entryOf),
      };
    })
    .filter((message) => !onlyKnownDuplicates(message, duplicateEntries));
  if (messages.length > 0) {
    try {
      await deps.usageQueue.send(messages);
    } catch (cause) {
      throw new ServiceUnavailableError(
        'The usage could not be queued, so none of it is confirmed. Retry the same request with the same ' +
          'Idempotency-Key or event ids: usage already queued is then not counted twice.',
        { cause },
      );
    }
  }
  return {
    accepted: valid.length - counted.size,
    rejected: input.events.length - valid.length,
    duplicate: counted.size,
    results,
    markers: messages.map((message) => message.marker),
  };
}

/**
 * The positions of the events whose id was counted before in their subscription and hour (eventually consistent
 * reads of the hours' sets, one query per subscription and run of nearby hours).
 */
async function countedBefore(
  sets: UsageEntrySets,
  events: readonly { index: number; event: AcceptedUsageEvent }[],
  entryOf: ReadonlyMap<string, string>,
): Promise<Set<number>> {
  const bySubscription = new Map<string, { index: number; hour: string; entry: string }[]>();
  for (const { index, event } of events) {
    if (event.id === undefined) continue;
    const list = bySubscription.get(event.subscriptionId) ?? [];
    list.push({ index, hour: event.hour, entry: entryOf.get(event.id) as string });
    bySubscription.set(event.subscriptionId, list);
  }
  const counted = new Set<number>();
  const subscriptions = [...bySubscription];
  for (let start = 0; start < subscriptions.length; start += SUBSCRIPTION_READ_CONCURRENCY) {
    await Promise.all(
      subscriptions.slice(start, start + SUBSCRIPTION_READ_CONCURRENCY).map(async ([subscriptionId, list]) => {
        const stored = await sets.readEntrySets(subscriptionId, [...new Set(list.map((e) => e.hour))], {
          consistent: false,
        });
        for (const { index, hour, entry } of list) if (stored.get(hour)?.seen.has(entry)) counted.add(index);
      }),
    );
  }
  return counted;
}

/** True when every event of the message is identified and already counted (nothing in it can add usage). */
function onlyKnownDuplicates(message: UsageMessage, duplicates: ReadonlySet<string>): boolean {
  return message.slots.every(
    (slot) => (slot.ids?.length ?? 0) === slot.eventCount && (slot.ids ?? []).every(([entry]) => duplicates.has(entry)),
  );
}

/** The message slots, each with its identified events as [dedup entry, quantity] (`event-dedup.ts`). */
function withEventIdEntries(
  slots: readonly UsageSlot[],
  events: readonly AcceptedUsageEvent[],
  entryOf: ReadonlyMap<string, string>,
): MessageSlot[] {
  const ids = new Map<string, [string, string][]>();
  for (const event of events) {
    if (event.id === undefined) continue;
    const key = slotKey(event);
    const list = ids.get(key) ?? [];
    list.push([entryOf.get(event.id) as string, event.quantity.toString()]);
    ids.set(key, list);
  }
  return slots.map((slot) => {
    const identified = ids.get(slotKey(slot));
    return identified ? { ...slot, ids: identified } : slot;
  });
}

async function readSubscriptions(
  store: Pick<SubscriptionStore, 'get'>,
  ids: readonly string[],
): Promise<Map<string, Subscription | undefined>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, Subscription | undefined>();
  for (let start = 0; start < unique.length; start += SUBSCRIPTION_READ_CONCURRENCY) {
    const chunk = unique.slice(start, start + SUBSCRIPTION_READ_CONCURRENCY);
    const subscriptions = await Promise.all(chunk.map((id) => store.get(id)));
    for (const [index, id] of chunk.entries()) found.set(id, subscriptions[index]);
  }
  return found;
}

/**
 * Asks Microsoft about every subscription the store does not know, and stores those it knows (all but Unsubscribed
 * ones, as the sync does: nothing to serve or bill) with the store's conditional create: a webhook or sync storing
 * the same subscription meanwhile wins, and what it stored is used.
 * @throws ServiceUnavailableError when Microsoft could not be asked, or too many ids are unknown (see
 *   `MAX_LOOKUPS_PER_REQUEST`).
 */
async function adoptFromMarketplace(
  deps: NonNullable<IngestUsageDeps['unknownSubscriptions']>,
  subscriptions: Map<string, Subscription | undefined>,
  now: Date,
): Promise<void> {
  const unknown = [...subscriptions]
    .filter(([id, subscription]) => subscription === undefined && GUID.test(id))
    .map(([id]) => id);
  if (unknown.length === 0) return;
  if (unknown.length > MAX_LOOKUPS_PER_REQUEST) {
    // Checked first so that no request makes more calls; the ids it did check are still remembered by the lookup.
    await lookUpAll(deps, unknown.slice(0, MAX_LOOKUPS_PER_REQUEST), subscriptions, now);
    throw new ServiceUnavailableError(
      `The request names ${unknown.length} subscriptions we have not stored yet; at most ` +
        `${MAX_LOOKUPS_PER_REQUEST} are checked with Microsoft per request, so none of this request is confirmed. ` +
        'Retry the same request with the same Idempotency-Key or event ids: each retry checks the next ones.',
    );
  }
  await lookUpAll(deps, unknown, subscriptions, now);
}

async function lookUpAll(
  deps: NonNullable<IngestUsageDeps['unknownSubscriptions']>,
  ids: readonly string[],
  subscriptions: Map<string, Subscription | undefined>,
  now: Date,
): Promise<void> {
  for (let start = 0; start < ids.length; start += LOOKUP_CONCURRENCY) {
    await Promise.all(
      ids.slice(start, start + LOOKUP_CONCURRENCY).map(async (id) => {
        let remote: MarketplaceSubscription | undefined;
        try {
          remote = await deps.marketplace.lookUp(id);
        } catch (cause) {
          throw new ServiceUnavailableError(
            `Subscription ${id} is not stored here yet and Microsoft could not be asked about it, so none of this ` +
              'request is confirmed. Retry the same request with the same Idempotency-Key or event ids after the ' +
              'Retry-After delay: usage already queued is then not counted twice.',
            { cause },
          );
        }
        if (!remote || remote.saasSubscriptionStatus === 'Unsubscribed') return;
        const { stored } = await deps.store.createIfAbsent(
          subscriptionFromMarketplace(remote, subscribedSince(remote, now)),
        );
        subscriptions.set(id, stored.subscription);
      }),
    );
  }
}

/**
 * From when Microsoft's view says the subscription has been in its current status. For a Subscribed one: the later of
 * its purchase (`created`; an auto-activated purchase is Subscribed from it) and its term's start (the activation of
 * one activated later; a date without a time counts from its midnight UTC), when they are plausible and not in the
 * future; else now. A renewed subscription's term started at the renewal, so usage from before it is refused rather
 * than guessed: no hour is ever billed for a time Microsoft may not have had it Subscribed (DESIGN invariant 2).
 * Any other status: now, as the sync dates what it finds.
 */
export function subscribedSince(remote: MarketplaceSubscription, now: Date): Date {
  if (remote.saasSubscriptionStatus !== 'Subscribed') return now;
  const instants = [remote.created, remote.term?.startDate]
    .map((value) => (value ? Date.parse(value) : Number.NaN))
    .filter((instant) => !Number.isNaN(instant) && instant >= EARLIEST_PLAUSIBLE && instant <= now.getTime());
  return instants.length === 0 ? now : new Date(Math.max(...instants));
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// Random markers are hashed too, so every marker has the same shape (64 hex digits) in keys and logs.
const randomMarker = () => sha256(`random:${randomUUID()}`);
