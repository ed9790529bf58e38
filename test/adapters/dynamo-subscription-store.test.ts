import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIFECYCLE_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { SnsLifecyclePublisher } from '#shared/adapters/sns/sns-lifecycle-publisher.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { LifecycleEvent } from '#shared/use-cases/fulfillment/ports/lifecycle-publisher.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { subscribeLifecycleQueue } from '#test/helpers/lifecycle-queue.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const AT = new Date('2026-01-20T12:00:00.000Z');

describe('DynamoDB subscription store', () => {
  const { documentClient } = localClients();
  let store: DynamoSubscriptionStore;
  let auditLog: DynamoAuditLog;
  let table = '';

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    table = env[MAIN_TABLE.envVar] ?? '';
    store = new DynamoSubscriptionStore(documentClient, env[MAIN_TABLE.envVar] ?? '');
    auditLog = new DynamoAuditLog(documentClient, env[MAIN_TABLE.envVar] ?? '');
  });

  const aPending = (overrides: Partial<Subscription> = {}) =>
    aSubscription({
      status: 'PendingFulfillmentStart',
      planId: 'team',
      quantity: 4,
      timeline: [{ from: '2026-01-20T10:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'team', quantity: 4 }],
      ...overrides,
    });

  it('stamps createdAt with its clock (the local mode’s moved clock), which stands for the purchase time', async () => {
    const clock = new FixedClock('2027-03-01T09:00:00.000Z');
    const moved = new DynamoSubscriptionStore(documentClient, table, clock);
    const subscription = aPending();

    await moved.put(subscription);

    expect((await moved.read(subscription.id))?.createdAt).toBe('2027-03-01T09:00:00.000Z');
  });

  describe('subscriptions under optimistic concurrency', () => {
    it('creates once, reads back what was written, and keeps get/put working', async () => {
      const subscription = aPending();

      const first = await store.createIfAbsent(subscription);
      const second = await store.createIfAbsent({ ...subscription, planId: 'other' });

      expect(first.created).toBe(true);
      expect(second).toMatchObject({ created: false, stored: { version: 1, subscription } });
      expect(await store.get(subscription.id)).toEqual(subscription);
      await store.put({ ...subscription, planId: 'pro' });
      expect(await store.read(subscription.id)).toMatchObject({ version: 2, subscription: { planId: 'pro' } });
    });

    it('keeps the marketplace subscription name the alert texts use', async () => {
      const subscription = aPending({ name: 'Fabrikam production' });

      await store.createIfAbsent(subscription);

      expect((await store.get(subscription.id))?.name).toBe('Fabrikam production');
    });

    it('saves over the version read, refuses a save over another version, and writes nothing then', async () => {
      const subscription = aPending();
      await store.createIfAbsent(subscription);

      const version = await store.save({ ...subscription, status: 'Subscribed' }, 1);
      await expect(store.save({ ...subscription, planId: 'stale' }, 1)).rejects.toThrow(ConflictError);
      await expect(store.save(subscription, undefined)).rejects.toThrow(ConflictError);

      expect(version).toBe(2);
      expect(await store.read(subscription.id)).toMatchObject({
        version: 2,
        subscription: { status: 'Subscribed', planId: 'team' },
      });
    });

    it('removes a field the new value no longer has (seats after a change to a flat-rate plan)', async () => {
      const subscription = aPending();
      await store.createIfAbsent(subscription);
      const { quantity: _seats, ...flat } = subscription;

      await store.save({ ...flat, planId: 'basic' }, 1);

      expect((await store.get(subscription.id))?.quantity).toBeUndefined();
    });

    it('lets exactly one of concurrent saves of the same version win', async () => {
      const subscription = aPending();
      await store.createIfAbsent(subscription);

      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((planId) => store.save({ ...subscription, planId }, 1)),
      );

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'rejected').map((result) => result.reason)).toEqual(
        Array(3).fill(expect.any(ConflictError)),
      );
    });

    it('lists by status, oldest first, with a createdBefore bound and pages', async () => {
      const marker = randomUUID();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const subscription = aPending({ id: `${marker}-${i}` });
        ids.push(subscription.id);
        await store.createIfAbsent(subscription);
      }
      const moved = aPending({ id: `${marker}-moved` });
      await store.createIfAbsent(moved);
      await store.save({ ...moved, status: 'Subscribed' }, 1);

      const pending: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listByStatus('PendingFulfillmentStart', { limit: 2, ...(cursor ? { cursor } : {}) });
        pending.push(...page.subscriptions.map((stored) => stored.subscription.id));
        cursor = page.nextCursor;
      } while (cursor);
      const subscribed = await store.listByStatus('Subscribed');
      const beforeAll = await store.listByStatus('PendingFulfillmentStart', { createdBefore: new Date(0) });

      expect(pending.filter((id) => id.startsWith(marker))).toEqual(ids);
      expect(subscribed.subscriptions.map((stored) => stored.subscription.id)).toContain(moved.id);
      expect(pending).not.toContain(moved.id);
      expect(beforeAll.subscriptions).toEqual([]);
      await expect(store.listByStatus('Subscribed', { cursor: 'forged' })).rejects.toThrow(ValidationError);
    });
  });

  describe('operation records (webhook idempotency)', () => {
    const event: LifecycleEvent = {
      type: 'PlanChanged',
      subscriptionId: 'x',
      offerId: 'contoso-analytics',
      planId: 'pro',
      at: AT.toISOString(),
      operationId: 'op',
    };

    it('goes received → decided → applied, with the first decision standing', async () => {
      const subscription = aPending({ status: 'Subscribed' });
      await store.createIfAbsent(subscription);
      const operationId = randomUUID();
      const ids = { subscriptionId: subscription.id, operationId };

      const received = await store.startOperation({ ...ids, action: 'ChangePlan', at: AT });
      const again = await store.startOperation({ ...ids, action: 'ChangePlan', at: new Date() });
      const decided = await store.decideOperation({ ...ids, decision: 'Success', at: AT });
      const late = await store.decideOperation({ ...ids, decision: 'Failure', reason: 'late', at: AT });
      await store.markAcknowledged(subscription.id, operationId, AT);
      const applied = await store.applyChange({
        subscription: { ...subscription, planId: 'pro' },
        expectedVersion: 1,
        operationId,
        action: 'ChangePlan',
        at: AT,
        event,
      });
      const replayed = await store.applyChange({
        subscription: { ...subscription, planId: 'evil' },
        expectedVersion: 2,
        operationId,
        action: 'ChangePlan',
        at: AT,
      });
      await store.markEventPublished(subscription.id, operationId, AT);

      expect(received).toMatchObject({ state: 'received', action: 'ChangePlan', receivedAt: AT.toISOString() });
      expect(again).toEqual(received);
      expect(decided).toMatchObject({ state: 'decided', decision: 'Success' });
      expect(late).toMatchObject({ state: 'decided', decision: 'Success' });
      expect([applied, replayed]).toEqual(['applied', 'alreadyApplied']);
      expect(await store.read(subscription.id)).toMatchObject({ version: 2, subscription: { planId: 'pro' } });
      expect(await store.getOperation(subscription.id, operationId)).toEqual({
        ...ids,
        action: 'ChangePlan',
        state: 'applied',
        decision: 'Success',
        acknowledgedAt: AT.toISOString(),
        outcome: 'applied',
        receivedAt: AT.toISOString(),
        completedAt: AT.toISOString(),
        event,
        eventPublishedAt: AT.toISOString(),
      });
    });

    it('grants a side effect to one of 100 concurrent claims, none after it is done, and the next after a lease expires', async () => {
      const subscription = aPending({ status: 'Subscribed' });
      await store.createIfAbsent(subscription);
      const operationId = randomUUID();
      const ids = { subscriptionId: subscription.id, operationId };
      await store.startOperation({ ...ids, action: 'ChangePlan', at: AT });
      const claim = (effect: 'answer' | 'patch' | 'event', at: Date) =>
        store.claimSideEffect({ ...ids, effect, at, leaseMs: 30_000 });

      const concurrent = await Promise.all(Array.from({ length: 100 }, () => claim('patch', AT)));
      const withinLease = await claim('patch', new Date(AT.getTime() + 29_999));
      // The holder died: its lease runs out and a later delivery takes the claim over.
      const afterLease = await claim('patch', new Date(AT.getTime() + 30_000));
      await store.markAcknowledged(subscription.id, operationId, AT);
      const afterDone = await claim('patch', new Date(AT.getTime() + 120_000));
      const otherEffect = await claim('event', AT);
      await store.releaseSideEffect(subscription.id, operationId, 'event');
      const afterRelease = await claim('event', AT);
      await store.markAnswerQueued(subscription.id, operationId, AT);
      const answerDone = await claim('answer', AT);
      const unknownOperation = await store.claimSideEffect({
        ...ids,
        operationId: randomUUID(),
        effect: 'event',
        at: AT,
        leaseMs: 1,
      });

      expect(concurrent.filter(Boolean)).toHaveLength(1);
      expect([withinLease, afterLease, afterDone]).toEqual([false, true, false]);
      expect([otherEffect, afterRelease, answerDone, unknownOperation]).toEqual([true, true, false, false]);
      expect(await store.getOperation(subscription.id, operationId)).toMatchObject({
        acknowledgedAt: AT.toISOString(),
        answerQueuedAt: AT.toISOString(),
      });
    });

    it('writes neither the subscription nor the record when the version moved (all or nothing)', async () => {
      const subscription = aPending({ status: 'Subscribed' });
      await store.createIfAbsent(subscription);
      await store.put({ ...subscription, planId: 'concurrent' });
      const operationId = randomUUID();

      await expect(
        store.applyChange({
          subscription: { ...subscription, planId: 'pro' },
          expectedVersion: 1,
          operationId,
          action: 'ChangePlan',
          at: AT,
        }),
      ).rejects.toThrow(ConflictError);

      expect((await store.get(subscription.id))?.planId).toBe('concurrent');
      expect(await store.getOperation(subscription.id, operationId)).toBeUndefined();
    });

    it('completes an operation without a change once, keeping the first outcome', async () => {
      const subscription = aPending();
      await store.createIfAbsent(subscription);
      const operationId = randomUUID();
      const ids = { subscriptionId: subscription.id, operationId, action: 'ChangeQuantity' };

      await store.completeOperation({ ...ids, outcome: 'rejected', reason: 'too many seats', at: AT });
      await store.completeOperation({ ...ids, outcome: 'notApplied', at: new Date() });

      expect(await store.getOperation(subscription.id, operationId)).toMatchObject({
        state: 'applied',
        outcome: 'rejected',
        reason: 'too many seats',
      });
      expect(await store.get(subscription.id)).toEqual(subscription);
    });
  });

  describe('audit trail', () => {
    it('keeps every entry, even two at the same instant, and lists them newest first in pages', async () => {
      const subscriptionId = randomUUID();
      const entry = { subscriptionId, kind: 'webhook' as const, what: 'Suspend', result: 'applied' };
      await auditLog.record({ ...entry, at: AT, requestId: 'r1', correlationId: 'c1' });
      await auditLog.record({ ...entry, at: AT, what: 'Suspend again' });
      await auditLog.record({
        ...entry,
        at: new Date('2026-01-21T00:00:00Z'),
        kind: 'marketplaceCall',
        what: 'getOperation',
      });

      const first = await auditLog.list(subscriptionId, { limit: 2 });
      const second = await auditLog.list(subscriptionId, {
        limit: 2,
        ...(first.nextCursor ? { cursor: first.nextCursor } : {}),
      });

      expect(first.entries[0]).toMatchObject({ kind: 'marketplaceCall', what: 'getOperation' });
      expect([...first.entries, ...second.entries]).toHaveLength(3);
      expect([...first.entries, ...second.entries].find((found) => found.requestId === 'r1')).toEqual({
        ...entry,
        at: AT,
        requestId: 'r1',
        correlationId: 'c1',
      });
      expect((await auditLog.list(randomUUID())).entries).toEqual([]);
    });
  });
});

describe('SNS lifecycle publisher on fauxqs', () => {
  it('publishes the event as JSON with attributes a subscriber can filter on', async () => {
    const { sns, sqs } = localClients();
    const env = await provisionIsolatedResources();
    const topicArn = env[LIFECYCLE_TOPIC.envVar] ?? '';
    const everything = await subscribeLifecycleQueue({ sns, sqs }, topicArn);
    const activationsOnly = await subscribeLifecycleQueue({ sns, sqs }, topicArn, {
      eventType: ['SubscriptionActivated'],
    });
    const publisher = new SnsLifecyclePublisher(sns, topicArn);
    const activated: LifecycleEvent = {
      type: 'SubscriptionActivated',
      subscriptionId: randomUUID(),
      offerId: 'contoso-analytics',
      planId: 'team',
      quantity: 3,
      at: AT.toISOString(),
      operationId: 'activate',
    };

    await publisher.publish(activated);
    await publisher.publish({ ...activated, type: 'Suspended', operationId: 'op-2' });

    const all = await everything.drain();
    expect(all.map((received) => received.event)).toEqual([
      activated,
      { ...activated, type: 'Suspended', operationId: 'op-2' },
    ]);
    expect(all[0]?.attributes).toEqual({
      eventType: 'SubscriptionActivated',
      subscriptionId: activated.subscriptionId,
      offerId: 'contoso-analytics',
      planId: 'team',
    });
    expect((await activationsOnly.drain()).map((received) => received.event.type)).toEqual(['SubscriptionActivated']);
  });
});
