import { ConflictError } from '#shared/domain/errors.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import type {
  AppliedChange,
  ListByStatusQuery,
  OperationDecision,
  OperationOutcome,
  OperationRecord,
  OperationSideEffect,
  StoredSubscription,
  SubscriptionPage,
  VersionedSubscriptionStore,
} from '#shared/use-cases/ports/subscription-store.ts';

/**
 * `VersionedSubscriptionStore` in memory, for use-case tests, with the same conditions as `DynamoSubscriptionStore`:
 * a save over another version is a ConflictError and writes nothing; an applied change writes the subscription and
 * its operation record together or not at all; a finished operation never changes. Values are copied in and out.
 *
 * `beforeApply` runs just before each `applyChange` checks its condition: a test uses it to slip in a concurrent
 * write and see the use case re-read and retry.
 */
export class InMemorySubscriptionStore implements VersionedSubscriptionStore {
  private readonly subscriptions = new Map<string, StoredSubscription>();
  private readonly operations = new Map<string, OperationRecord>();
  /** Claims of side effects: `<subscription>#<operation>#<effect>` → epoch ms until which the lease runs. */
  private readonly leases = new Map<string, number>();
  private clock = 0;
  beforeApply: ((change: AppliedChange) => Promise<void> | void) | undefined;
  /** `applyChange` calls refused for a version conflict (for assertions). */
  conflicts = 0;

  async get(subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.read(subscriptionId))?.subscription;
  }

  async put(subscription: Subscription): Promise<void> {
    const existing = this.subscriptions.get(subscription.id);
    this.store(subscription, (existing?.version ?? 0) + 1, existing?.createdAt);
  }

  async read(subscriptionId: string): Promise<StoredSubscription | undefined> {
    const stored = this.subscriptions.get(subscriptionId);
    return stored && structuredClone(stored);
  }

  async save(subscription: Subscription, expectedVersion: number | undefined): Promise<number> {
    this.checkVersion(subscription.id, expectedVersion);
    const version = (expectedVersion ?? 0) + 1;
    this.store(subscription, version, this.subscriptions.get(subscription.id)?.createdAt);
    return version;
  }

  async createIfAbsent(subscription: Subscription): Promise<{ created: boolean; stored: StoredSubscription }> {
    const existing = this.subscriptions.get(subscription.id);
    if (existing) return { created: false, stored: structuredClone(existing) };
    this.store(subscription, 1, undefined);
    return { created: true, stored: structuredClone(this.subscriptions.get(subscription.id) as StoredSubscription) };
  }

  async listByStatus(status: SubscriptionStatus, query: ListByStatusQuery = {}): Promise<SubscriptionPage> {
    const matching = [...this.subscriptions.values()]
      .filter((stored) => stored.subscription.status === status)
      .filter((stored) => !query.createdBefore || Date.parse(stored.createdAt) < query.createdBefore.getTime())
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { subscriptions: structuredClone(matching) };
  }

  async getOperation(subscriptionId: string, operationId: string): Promise<OperationRecord | undefined> {
    const record = this.operations.get(key(subscriptionId, operationId));
    return record && structuredClone(record);
  }

  /** Every operation record of a subscription (for assertions). */
  operationsOf(subscriptionId: string): OperationRecord[] {
    return structuredClone([...this.operations.values()].filter((record) => record.subscriptionId === subscriptionId));
  }

  async startOperation(input: {
    subscriptionId: string;
    operationId: string;
    action: string;
    at: Date;
  }): Promise<OperationRecord> {
    const id = key(input.subscriptionId, input.operationId);
    if (!this.operations.has(id)) {
      this.operations.set(id, {
        subscriptionId: input.subscriptionId,
        operationId: input.operationId,
        action: input.action,
        state: 'received',
        receivedAt: input.at.toISOString(),
      });
    }
    return structuredClone(this.operations.get(id) as OperationRecord);
  }

  async decideOperation(input: {
    subscriptionId: string;
    operationId: string;
    decision: OperationDecision;
    reason?: string;
    at: Date;
  }): Promise<OperationRecord> {
    const id = key(input.subscriptionId, input.operationId);
    const record = this.operations.get(id);
    if (!record) throw new Error(`No operation ${input.operationId}`);
    if (record.state === 'received') {
      this.operations.set(id, {
        ...record,
        state: 'decided',
        decision: input.decision,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      });
    }
    return structuredClone(this.operations.get(id) as OperationRecord);
  }

  async markAcknowledged(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    const id = key(subscriptionId, operationId);
    const record = this.operations.get(id);
    if (!record) throw new Error(`No operation ${operationId}`);
    if (!record.acknowledgedAt) this.operations.set(id, { ...record, acknowledgedAt: at.toISOString() });
  }

  async applyChange(change: AppliedChange): Promise<'applied' | 'alreadyApplied'> {
    await this.beforeApply?.(change);
    const id = key(change.subscription.id, change.operationId);
    const record = this.operations.get(id);
    if (record?.state === 'applied') return 'alreadyApplied';
    try {
      this.checkVersion(change.subscription.id, change.expectedVersion);
    } catch (error) {
      this.conflicts += 1;
      throw error;
    }
    this.store(
      change.subscription,
      (change.expectedVersion ?? 0) + 1,
      this.subscriptions.get(change.subscription.id)?.createdAt,
    );
    const at = change.at.toISOString();
    this.operations.set(id, {
      subscriptionId: change.subscription.id,
      operationId: change.operationId,
      action: record?.action ?? change.action,
      receivedAt: record?.receivedAt ?? at,
      ...record,
      state: 'applied',
      outcome: 'applied',
      completedAt: at,
      ...((record?.decision ?? change.decision) ? { decision: record?.decision ?? change.decision } : {}),
      ...(change.event ? { event: structuredClone(change.event) } : {}),
    });
    return 'applied';
  }

  async completeOperation(input: {
    subscriptionId: string;
    operationId: string;
    action: string;
    outcome: Exclude<OperationOutcome, 'applied'>;
    reason?: string;
    at: Date;
  }): Promise<void> {
    const id = key(input.subscriptionId, input.operationId);
    const record = this.operations.get(id);
    if (record?.state === 'applied') return;
    const at = input.at.toISOString();
    this.operations.set(id, {
      subscriptionId: input.subscriptionId,
      operationId: input.operationId,
      action: record?.action ?? input.action,
      receivedAt: record?.receivedAt ?? at,
      ...record,
      state: 'applied',
      outcome: input.outcome,
      completedAt: at,
      ...((record?.reason ?? input.reason) ? { reason: record?.reason ?? input.reason } : {}),
    });
  }

  async markEventPublished(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    const id = key(subscriptionId, operationId);
    const record = this.operations.get(id);
    if (!record) throw new Error(`No operation ${operationId}`);
    if (!record.eventPublishedAt) this.operations.set(id, { ...record, eventPublishedAt: at.toISOString() });
  }

  async markAnswerQueued(subscriptionId: string, operationId: string, at: Date): Promise<void> {
    const id = key(subscriptionId, operationId);
    const record = this.operations.get(id);
    if (!record) throw new Error(`No operation ${operationId}`);
    if (!record.answerQueuedAt) this.operations.set(id, { ...record, answerQueuedAt: at.toISOString() });
  }

  async claimSideEffect(input: {
    subscriptionId: string;
    operationId: string;
    effect: OperationSideEffect;
    at: Date;
    leaseMs: number;
  }): Promise<boolean> {
    const record = this.operations.get(key(input.subscriptionId, input.operationId));
    if (!record || isDone(record, input.effect)) return false;
    const leaseKey = `${key(input.subscriptionId, input.operationId)}#${input.effect}`;
    const until = this.leases.get(leaseKey);
    if (until !== undefined && until > input.at.getTime()) return false;
    this.leases.set(leaseKey, input.at.getTime() + input.leaseMs);
    return true;
  }

  async releaseSideEffect(subscriptionId: string, operationId: string, effect: OperationSideEffect): Promise<void> {
    const record = this.operations.get(key(subscriptionId, operationId));
    if (record && !isDone(record, effect)) this.leases.delete(`${key(subscriptionId, operationId)}#${effect}`);
  }

  private checkVersion(subscriptionId: string, expectedVersion: number | undefined): void {
    const current = this.subscriptions.get(subscriptionId)?.version;
    if (current !== expectedVersion) {
      throw new ConflictError(`Subscription ${subscriptionId} is at version ${current}, not ${expectedVersion}`);
    }
  }

  private store(subscription: Subscription, version: number, createdAt: string | undefined): void {
    this.clock += 1;
    this.subscriptions.set(subscription.id, {
      subscription: structuredClone(subscription),
      version,
      createdAt: createdAt ?? new Date(Date.UTC(2026, 0, 1) + this.clock).toISOString(),
    });
  }
}

function isDone(record: OperationRecord, effect: OperationSideEffect): boolean {
  const done = { answer: record.answerQueuedAt, patch: record.acknowledgedAt, event: record.eventPublishedAt }[effect];
  return done !== undefined;
}

function key(subscriptionId: string, operationId: string): string {
  return `${subscriptionId}#${operationId}`;
}
