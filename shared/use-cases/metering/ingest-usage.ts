import { createHash, randomUUID } from 'node:crypto';
import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ServiceUnavailableError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { type UsageValidationContext, validateUsageEvent } from '#shared/domain/usage/ingest-validation.ts';
import { markerMaterial } from '#shared/domain/usage/message-marker.ts';
import { aggregateIntoSlots } from '#shared/domain/usage/slot-aggregation.ts';
import { packSlots } from '#shared/domain/usage/transaction-packing.ts';
import type { AcceptedUsageEvent, UsageEventInput, UsageRejectionReason } from '#shared/domain/usage/usage-event.ts';
import { USAGE_MESSAGE_VERSION, type UsageMessage } from '#shared/domain/usage/usage-message.ts';
import type { UsageQueue } from '#shared/use-cases/metering/ports/usage-queue.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface IngestUsageDeps {
  /** Only reads: the ingest never changes a subscription. */
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly usageQueue: UsageQueue;
  /** Oldest acceptable event age in hours (configuration `USAGE_MAX_LATENESS_HOURS`). */
  readonly maxLatenessHours: number;
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
  readonly status: 'accepted' | 'rejected';
  readonly reason?: UsageRejectionReason;
  readonly message?: string;
}

export interface IngestUsageResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly results: UsageEventResult[];
  /** Markers of the queued messages, in queue order (for logs and tests; not part of the HTTP answer). */
  readonly markers: string[];
}

/** Subscriptions read at once: a request may name up to 1,000 different ones. */
const SUBSCRIPTION_READ_CONCURRENCY = 16;

/**
 * Accepts a batch of usage events from the publisher's app and queues the accepted ones for aggregation.
 * Steps: require a publisher key; read each named subscription once; validate every event (quantity, time,
 * subscription state and plan at the event's instant); sum the accepted ones per (subscription, dimension, UTC hour);
 * pack the sums into messages of one DynamoDB transaction each; give each message its idempotency marker
 * (`markerMaterial`: deterministic with an Idempotency-Key or event ids, random otherwise); enqueue them all.
 * Nothing is reported accepted unless every message was enqueued.
 * @throws ForbiddenError for a partner or customer key.
 * @throws ServiceUnavailableError when the queue refused a message: the client retries the same request (with the
 *   same Idempotency-Key or event ids, messages already queued are then not counted twice).
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
  const maxLatenessMs = deps.maxLatenessHours * 3_600_000;
  // One validation context per subscription, built once: a request usually names one subscription 1,000 times.
  const contexts = new Map<string, UsageValidationContext>();
  for (const [id, subscription] of subscriptions) {
    contexts.set(id, { now, maxLatenessMs, catalog: deps.catalog, subscription });
  }
  const accepted: AcceptedUsageEvent[] = [];
  const results = input.events.map((event, index): UsageEventResult => {
    const verdict = validateUsageEvent(event, contexts.get(event.subscriptionId) as UsageValidationContext);
    if (verdict.status === 'rejected') {
      return event.id === undefined
        ? { index, status: 'rejected', reason: verdict.reason, message: verdict.message }
        : { index, id: event.id, status: 'rejected', reason: verdict.reason, message: verdict.message };
    }
    accepted.push(verdict.event);
    return event.id === undefined ? { index, status: 'accepted' } : { index, id: event.id, status: 'accepted' };
  });

  const everyEventHasId = input.events.every((event) => event.id !== undefined);
  const messages: UsageMessage[] = packSlots(aggregateIntoSlots(accepted)).map((group) => {
    const material = markerMaterial(group, { idempotencyKey: input.idempotencyKey, everyEventHasId });
    return {
      version: USAGE_MESSAGE_VERSION,
      marker: material === undefined ? randomMarker() : sha256(material),
      slots: group.slots,
    };
  });
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
    accepted: accepted.length,
    rejected: input.events.length - accepted.length,
    results,
    markers: messages.map((message) => message.marker),
  };
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

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// Random markers are hashed too, so every marker has the same shape (64 hex digits) in keys and logs.
const randomMarker = () => sha256(`random:${randomUUID()}`);
