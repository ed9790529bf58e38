import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { Clock } from '../ports/clock.ts';
import type {
  OperationDecision,
  OperationRecord,
  StoredSubscription,
  VersionedSubscriptionStore,
} from '../ports/subscription-store.ts';
import type { LifecycleEvent, LifecycleEventType, LifecyclePublisher } from './ports/lifecycle-publisher.ts';

/** What an event may carry beside the subscription's plan and seats (deadline notices, the reason of a change). */
export type LifecycleEventDetails = Pick<LifecycleEvent, 'daysLeft' | 'deadline' | 'reason'>;

export interface ApplySubscriptionChangeDeps {
  readonly subscriptions: VersionedSubscriptionStore;
  readonly lifecycle: LifecyclePublisher;
  readonly clock: Clock;
}

/** What to write, computed from the subscription as stored; or why nothing is written. */
export type ComputedChange =
  | {
      readonly subscription: Subscription;
      readonly eventType?: LifecycleEventType;
      readonly at: Date;
      readonly eventDetails?: LifecycleEventDetails;
    }
  | { readonly unchanged: string };

export interface ApplySubscriptionChangeInput {
  readonly subscriptionId: string;
  readonly operationId: string;
  readonly action: string;
  /** Called with each fresh read (again after a concurrent write); must be pure. */
  readonly compute: (stored: StoredSubscription) => ComputedChange;
  /** For an operation Microsoft still waits for an answer on after it is applied (Reinstate). */
  readonly decision?: OperationDecision;
}

export type ApplySubscriptionChangeResult =
  | { readonly outcome: 'applied'; readonly subscription: Subscription; readonly event?: LifecycleEvent }
  /** Applied by a concurrent delivery of the same operation: nothing written, nothing published here. */
  | { readonly outcome: 'alreadyApplied' }
  | { readonly outcome: 'ignored'; readonly reason: string };

/** Conflicting writers of one subscription are rare (two webhooks at once); five rounds settle any realistic race. */
const MAX_ATTEMPTS = 5;

/**
 * Applies a change to a stored subscription under optimistic concurrency, never last-writer-wins: read with version →
 * compute → write the subscription and mark the operation applied in one conditional write → on a version conflict
 * read again and recompute (the change lands on whatever a concurrent writer stored) → publish the lifecycle event →
 * note it published. The event is kept on the operation record first, so an event lost to a failed publish is sent
 * again by `publishPendingEvent` when the operation is replayed; the publish itself is claimed first (see
 * `EVENT_CLAIM_LEASE_MS`), so concurrent or repeated deliveries publish it once.
 *
 * @throws NotFoundError when the subscription is not stored.
 * @throws ConflictError when it kept changing under us for `MAX_ATTEMPTS` rounds (the caller retries later).
 * @throws Error when the event cannot be published: the change is stored, the event stays pending.
 */
export async function applySubscriptionChange(
  deps: ApplySubscriptionChangeDeps,
  input: ApplySubscriptionChangeInput,
): Promise<ApplySubscriptionChangeResult> {
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.subscriptions.read(input.subscriptionId);
    if (!stored) throw new NotFoundError(`Subscription ${input.subscriptionId} is not stored`);
    const computed = input.compute(stored);
    if ('unchanged' in computed) {
      await deps.subscriptions.completeOperation({
        subscriptionId: input.subscriptionId,
        operationId: input.operationId,
        action: input.action,
        outcome: 'ignored',
        reason: computed.unchanged,
        at: deps.clock.now(),
      });
      return { outcome: 'ignored', reason: computed.unchanged };
    }
    const event = computed.eventType
      ? {
          ...lifecycleEventOf(computed.eventType, computed.subscription, computed.at, input.operationId),
          ...computed.eventDetails,
        }
      : undefined;
    try {
      const written = await deps.subscriptions.applyChange({
        subscription: computed.subscription,
        expectedVersion: stored.version,
        operationId: input.operationId,
        action: input.action,
        at: deps.clock.now(),
        ...(event ? { event } : {}),
        ...(input.decision ? { decision: input.decision } : {}),
      });
      if (written === 'alreadyApplied') return { outcome: 'alreadyApplied' };
    } catch (error) {
      if (error instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    if (event) await publishOnce(deps, input.subscriptionId, input.operationId, event);
    return { outcome: 'applied', subscription: computed.subscription, ...(event ? { event } : {}) };
  }
}

/**
 * Publishes the event of an applied operation whose publication did not complete (a failed publish, a crash between
 * write and publish). Does nothing when there is none, it was published, or another delivery holds its claim.
 * @returns whether this call published it.
 * @throws Error when it still cannot be published (the claim is given back for the next delivery).
 */
export async function publishPendingEvent(
  deps: ApplySubscriptionChangeDeps,
  record: OperationRecord,
): Promise<boolean> {
  if (!record.event || record.eventPublishedAt) return false;
  return publishOnce(deps, record.subscriptionId, record.operationId, record.event);
}

/** The lifecycle event of a change, with the plan and seats in force after it. */
export function lifecycleEventOf(
  type: LifecycleEventType,
  subscription: Subscription,
  at: Date,
  operationId: string,
): LifecycleEvent {
  return {
    type,
    subscriptionId: subscription.id,
    offerId: subscription.offerId,
    planId: subscription.planId,
    ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
    at: at.toISOString(),
    operationId,
  };
}

/**
 * How long a claim on publishing an event holds off other deliveries. A claim instead of a transaction with the
 * publish (SNS takes part in no DynamoDB transaction) and instead of an outbox table with a stream consumer (one more
 * moving part for one message per operation): the claim makes concurrent and repeated deliveries publish once, and
 * its lease makes a claim taken by an invocation that then died expire, so a later delivery (a webhook redelivery, the
 * operation-answers consumer's retry, the hourly sync) publishes the event after all. One publish takes well under a
 * second; 60 s covers the SDK's retries. The one case left is a crash between the publish and the note that it was
 * published: the event then goes out again after the lease, which a subscriber recognises by its `operationId`.
 */
export const EVENT_CLAIM_LEASE_MS = 60_000;

async function publishOnce(
  deps: ApplySubscriptionChangeDeps,
  subscriptionId: string,
  operationId: string,
  event: LifecycleEvent,
): Promise<boolean> {
  const claimed = await deps.subscriptions.claimSideEffect({
    subscriptionId,
    operationId,
    effect: 'event',
    at: deps.clock.now(),
    leaseMs: EVENT_CLAIM_LEASE_MS,
  });
  if (!claimed) return false;
  try {
    await deps.lifecycle.publish(event);
  } catch (error) {
    // Refused by SNS: nothing went out, so the next delivery may try at once rather than after the lease.
    await deps.subscriptions.releaseSideEffect(subscriptionId, operationId, 'event');
    throw error;
  }
  await deps.subscriptions.markEventPublished(subscriptionId, operationId, deps.clock.now());
  return true;
}
