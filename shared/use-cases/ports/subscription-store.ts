import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import type { LifecycleEvent } from '../fulfillment/ports/lifecycle-publisher.ts';

/** A subscription as stored, with the version that guards it against lost updates. */
export interface StoredSubscription {
  readonly subscription: Subscription;
  /** Incremented by every write; compared by the next conditional write (optimistic concurrency). */
  readonly version: number;
  /** ISO instant the record was first stored (the order of `listByStatus`). */
  readonly createdAt: string;
}

export interface ListByStatusQuery {
  /** Only subscriptions stored before this instant (e.g. PendingFulfillmentStart older than a configurable age). */
  readonly createdBefore?: Date;
  /** Page size, 1 to 100 (default 50). */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SubscriptionPage {
  /** Oldest first. */
  readonly subscriptions: readonly StoredSubscription[];
  readonly nextCursor?: string;
}

/**
 * Where a marketplace operation stands on our side (the webhook's idempotency record, keyed by Microsoft's operation
 * id): `received` → `decided` (we know what to PATCH) → `applied` (done: applied to the subscription, or
 * deliberately not). A replayed webhook finds `applied` and changes nothing.
 */
export type OperationState = 'received' | 'decided' | 'applied';

/**
 * How a finished operation ended: `applied` to the subscription; `rejected` by our policy (PATCH Failure);
 * `notApplied` because Microsoft reports it Failed or Conflict; `ignored` because it changes nothing (terminal
 * subscription, a change already in force, an action we do not know).
 */
export type OperationOutcome = 'applied' | 'rejected' | 'notApplied' | 'ignored';

/** The status we PATCH the operation with (reference/marketplace-api.md §1.2 row 11). */
export type OperationDecision = 'Success' | 'Failure';

export interface OperationRecord {
  readonly subscriptionId: string;
  /** Microsoft's operation id (the webhook's `id`), or `activate` for the landing page's activation. */
  readonly operationId: string;
  readonly action: string;
  readonly state: OperationState;
  /** For operations that need an answer (ChangePlan, ChangeQuantity, Reinstate): what we answer. */
  readonly decision?: OperationDecision;
  /** Why (a rejection's reason). */
  readonly reason?: string;
  /** ISO instant Microsoft took our answer (or it was found already final); absent while the PATCH is owed. */
  readonly acknowledgedAt?: string;
  readonly outcome?: OperationOutcome;
  readonly receivedAt: string;
  readonly completedAt?: string;
  /** The lifecycle event of an applied change, kept until it is published. */
  readonly event?: LifecycleEvent;
  readonly eventPublishedAt?: string;
  /** ISO instant the PATCH with the decision was queued for the operation-answers consumer (once). */
  readonly answerQueuedAt?: string;
}

/**
 * A side effect of an operation that must happen once whatever the number of concurrent or repeated deliveries:
 * `answer` (the message that asks the operation-answers consumer to PATCH), `patch` (the PATCH itself), `event` (the
 * lifecycle event). Each is claimed with a conditional write before it is made (`claimSideEffect`) and marked done
 * after (`answerQueuedAt`, `acknowledgedAt`, `eventPublishedAt`).
 */
export type OperationSideEffect = 'answer' | 'patch' | 'event';

/** The atomic write of an applied change: the subscription (conditionally) and its operation record together. */
export interface AppliedChange {
  readonly subscription: Subscription;
  /** The version read before computing the change; `undefined` when creating the subscription. */
  readonly expectedVersion: number | undefined;
  readonly operationId: string;
  readonly action: string;
  readonly at: Date;
  /** The event to publish for it (kept on the operation record until published). */
  readonly event?: LifecycleEvent;
  /** When the operation still needs Microsoft's PATCH after being applied (Reinstate: apply, then PATCH Success). */
  readonly decision?: OperationDecision;
}

/**
 * Reading and seeding marketplace subscriptions: all that code outside the subscription lifecycle needs (usage
 * ingest, the API's reads). Kept this small so its fakes stay small.
 */
export interface SubscriptionStore {
  /** The subscription, or undefined. */
  get(subscriptionId: string): Promise<Subscription | undefined>;
  /**
   * Creates or replaces the subscription unconditionally (last writer wins). For seeding and tests; lifecycle code
   * uses `VersionedSubscriptionStore.save` or `applyChange`, which never lose a concurrent update.
   */
  put(subscription: Subscription): Promise<void>;
}

/**
 * Persistence of marketplace subscriptions under optimistic concurrency, and of the operations applied to them (the
 * webhook's idempotency records). What the landing page, the webhook and the sync job use.
 * Implemented by `DynamoSubscriptionStore` and, for tests, `InMemorySubscriptionStore` (test/helpers).
 */
export interface VersionedSubscriptionStore extends SubscriptionStore {
  /** The subscription with its version, read strongly consistently. */
  read(subscriptionId: string): Promise<StoredSubscription | undefined>;
  /**
   * Writes the subscription if the stored version is still `expectedVersion` (`undefined`: if none is stored yet).
   * @returns the new version.
   * @throws ConflictError when the stored version differs (re-read, recompute, retry); nothing is written.
   */
  save(subscription: Subscription, expectedVersion: number | undefined): Promise<number>;
  /**
   * Stores the subscription unless one with its id exists.
   * @returns whether this call created it, and what is stored now.
   */
  createIfAbsent(
    subscription: Subscription,
  ): Promise<{ readonly created: boolean; readonly stored: StoredSubscription }>;
  /**
   * Subscriptions whose current status is `status`, oldest first (for the sync job, e.g. purchases never activated).
   * @throws ValidationError for a bad limit or cursor.
   */
  listByStatus(status: SubscriptionStatus, query?: ListByStatusQuery): Promise<SubscriptionPage>;

  /** The operation's record, or undefined when it was never seen. */
  getOperation(subscriptionId: string, operationId: string): Promise<OperationRecord | undefined>;
  /**
   * Records that an operation was received, unless it is already recorded.
   * @returns the stored record (the existing one when it was recorded before).
   */
  startOperation(input: {
    readonly subscriptionId: string;
    readonly operationId: string;
    readonly action: string;
    readonly at: Date;
  }): Promise<OperationRecord>;
  /**
   * Records the decision for a `received` operation. When another delivery decided first, its decision stands.
   * @returns the stored record, whoever decided.
   */
  decideOperation(input: {
    readonly subscriptionId: string;
    readonly operationId: string;
    readonly decision: OperationDecision;
    readonly reason?: string;
    readonly at: Date;
  }): Promise<OperationRecord>;
  /** Records that Microsoft has our answer (PATCH accepted, or the operation found final already). */
  markAcknowledged(subscriptionId: string, operationId: string, at: Date): Promise<void>;
  /**
   * Writes the changed subscription and marks the operation applied, atomically.
   * @returns `alreadyApplied` when the operation was applied meanwhile (by a concurrent delivery); nothing is written.
   * @throws ConflictError when the subscription's version is no longer `expectedVersion`; nothing is written.
   */
  applyChange(change: AppliedChange): Promise<'applied' | 'alreadyApplied'>;
  /** Marks an operation finished without changing the subscription (rejected, failed at Microsoft, ignored). */
  completeOperation(input: {
    readonly subscriptionId: string;
    readonly operationId: string;
    readonly action: string;
    readonly outcome: Exclude<OperationOutcome, 'applied'>;
    readonly reason?: string;
    readonly at: Date;
  }): Promise<void>;
  /** Records that the operation's lifecycle event was published. */
  markEventPublished(subscriptionId: string, operationId: string, at: Date): Promise<void>;
  /** Records that the PATCH with the operation's decision was queued. */
  markAnswerQueued(subscriptionId: string, operationId: string, at: Date): Promise<void>;
  /**
   * Claims a side effect of a recorded operation before making it, with a conditional write: one caller gets the
   * claim while the effect is not done and no other claim's lease is running. The lease (`leaseMs` from `at`) is what
   * keeps a claim taken by an invocation that then died from blocking the effect forever: once it has run out, a later
   * delivery or retry may take the claim over.
   * @returns true when this caller now holds the claim and must make the effect (then mark it done, or release it).
   */
  claimSideEffect(input: {
    readonly subscriptionId: string;
    readonly operationId: string;
    readonly effect: OperationSideEffect;
    readonly at: Date;
    readonly leaseMs: number;
  }): Promise<boolean>;
  /**
   * Gives a claim back when its effect failed in a way that lets it be tried again at once (a refused call), so a
   * retry need not wait for the lease to run out. Does nothing when the effect is done.
   */
  releaseSideEffect(subscriptionId: string, operationId: string, effect: OperationSideEffect): Promise<void>;
}
