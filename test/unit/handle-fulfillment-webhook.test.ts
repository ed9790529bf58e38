import { describe, expect, it } from 'vitest';
import { periodAt } from '#shared/domain/subscription.ts';
import { getEntitlement } from '#shared/use-cases/billing/get-entitlement.ts';
import {
  AnswerInProgressError,
  type AnswerOperationResult,
  answerOperation,
  PATCH_CLAIM_LEASE_MS,
} from '#shared/use-cases/fulfillment/answer-operation.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import {
  type FulfillmentNotification,
  type HandleFulfillmentWebhookDeps,
  handleFulfillmentWebhook,
} from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';
import { subscriptionFromMarketplace } from '#shared/use-cases/fulfillment/marketplace-subscription.ts';
import type { OperationAnswer } from '#shared/use-cases/fulfillment/ports/operation-answer-queue.ts';
import type { MarketplaceSubscription, SaasOperation } from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { aBillingTerm, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemoryLifecyclePublisher } from '#test/helpers/in-memory-lifecycle-publisher.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [
        aPlan({ id: 'basic' }),
        aPlan({ id: 'pro', displayName: 'Pro' }),
        aPlan({ id: 'team', displayName: 'Team', pricingModel: 'perUser', minQuantity: 1, maxQuantity: 50 }),
        aPlan({ id: 'yearly', displayName: 'Yearly', billingTerms: [aBillingTerm({ termUnit: 'P1Y' })] }),
      ],
    }),
  ],
});
const quiet = { info: () => undefined, warn: () => undefined };
const unavailable = () => new MarketplaceUnavailableError('down', { operation: 'x', status: 503, attempts: 3 });

function setup() {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const audit = new InMemoryAuditLog();
  const clock = new FixedClock('2026-01-20T12:00:00.000Z');
  /** The operation-answers queue: what the webhook queued, not yet answered by the consumer. */
  const queued: OperationAnswer[] = [];
  const deps: HandleFulfillmentWebhookDeps = {
    subscriptions,
    marketplace,
    policy: catalogChangePolicy(catalog),
    lifecycle,
    audit,
    answers: { queue: async (answer) => void queued.push(structuredClone(answer)) },
    clock,
    logger: quiet,
  };
  /**
   * The operation-answers consumer, run on every queued answer (as SQS would deliver them after the webhook's 200).
   * An answer that fails stays queued, as SQS would deliver it again; the first error is thrown after the others ran.
   */
  const answerQueued = async (): Promise<AnswerOperationResult[]> => {
    const results: AnswerOperationResult[] = [];
    const failed: OperationAnswer[] = [];
    let firstError: unknown;
    for (const answer of queued.splice(0)) {
      try {
        results.push(await answerOperation({ ...deps, sleep: async () => undefined }, answer));
      } catch (error) {
        failed.push(answer);
        firstError ??= error;
      }
    }
    queued.push(...failed);
    if (firstError) throw firstError;
    return results;
  };
  /** A subscription active since Jan 6 on `team` with 5 seats, known to Microsoft and to us. */
  const anActiveSubscription = async (overrides: Partial<MarketplaceSubscription> = {}) => {
    const remote = marketplace.addSubscription({
      planId: 'team',
      quantity: 5,
      saasSubscriptionStatus: 'Subscribed',
      term: { termUnit: 'P1M', startDate: '2026-01-06T00:00:00Z', endDate: '2026-02-05T00:00:00Z' },
      ...overrides,
    });
    await subscriptions.createIfAbsent(subscriptionFromMarketplace(remote, new Date('2026-01-06T10:00:00Z')));
    return remote;
  };
  const deliver = (operation: SaasOperation, overrides: Partial<FulfillmentNotification> = {}) =>
    handleFulfillmentWebhook(deps, {
      notification: { ...notificationOf(operation), ...overrides },
      requestId: 'req-1',
    });
  const snapshot = async (subscriptionId: string) => ({
    stored: await subscriptions.read(subscriptionId),
    operations: subscriptions.operationsOf(subscriptionId),
    events: [...lifecycle.published],
  });
  return {
    marketplace,
    subscriptions,
    lifecycle,
    audit,
    clock,
    deps,
    queued,
    anActiveSubscription,
    deliver,
    answerQueued,
    snapshot,
  };
}

async function storedOrFail(subscriptions: InMemorySubscriptionStore, id: string) {
  const stored = await subscriptions.get(id);
  if (!stored) throw new Error(`subscription ${id} is not stored`);
  return stored;
}

function notificationOf(operation: SaasOperation): FulfillmentNotification {
  return {
    operationId: operation.id,
    subscriptionId: operation.subscriptionId,
    action: operation.action,
    status: operation.status,
    ...(operation.planId === undefined ? {} : { planId: operation.planId }),
    ...(operation.quantity === undefined ? {} : { quantity: operation.quantity }),
    ...(operation.timeStamp === undefined ? {} : { timeStamp: operation.timeStamp }),
  };
}

describe('handling a ChangePlan / ChangeQuantity webhook', () => {
  it('accepts a change the policy allows: PATCH Success, store the new plan, publish PlanChanged', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangePlan', planId: 'pro' });

    const answered = await deliver(operation);
    const [result] = await answerQueued();

    expect(answered).toEqual({ outcome: 'decided', detail: 'PATCH Success follows' });
    expect(result?.outcome).toBe('applied');
    expect(marketplace.callsOf('updateOperation').map((call) => call.args[2])).toEqual(['Success']);
    expect((await subscriptions.get(remote.id))?.planId).toBe('pro');
    expect(lifecycle.published).toEqual([
      expect.objectContaining({
        type: 'PlanChanged',
        subscriptionId: remote.id,
        planId: 'pro',
        operationId: operation.id,
      }),
    ]);
    expect(subscriptions.operationsOf(remote.id)).toEqual([
      expect.objectContaining({ state: 'applied', outcome: 'applied', decision: 'Success' }),
    ]);
  });

  it('rejects a plan of another term (the same-term rule): answered 200, then PATCH Failure, the rule in the audit trail', async () => {
    const { marketplace, subscriptions, lifecycle, audit, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangePlan', planId: 'yearly' });

    const answered = await deliver(operation);
    const [result] = await answerQueued();

    expect(answered).toMatchObject({ outcome: 'decided', detail: expect.stringContaining('same-term rule') });
    expect(result).toMatchObject({ outcome: 'rejected', detail: expect.stringContaining('same-term rule') });
    expect(marketplace.callsOf('updateOperation').map((call) => call.args[2])).toEqual(['Failure']);
    expect((await subscriptions.get(remote.id))?.planId).toBe('team');
    expect(lifecycle.published).toEqual([]);
    expect(audit.entries).toContainEqual(
      expect.objectContaining({
        subscriptionId: remote.id,
        result: expect.stringMatching(/same-term rule: plan "yearly" does not sell the subscription's term P1M/),
      }),
    );
  });

  it('rejects seats beyond the plan maximum: answered 200, then PATCH Failure, nothing changes, no event', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 51 });

    const answered = await deliver(operation);
    const [result] = await answerQueued();

    expect(answered).toMatchObject({ outcome: 'decided', detail: expect.stringContaining('PATCH Failure follows') });
    expect(result).toMatchObject({ outcome: 'rejected', detail: expect.stringContaining('seat limits') });
    expect(marketplace.callsOf('updateOperation').map((call) => call.args[2])).toEqual(['Failure']);
    expect((await subscriptions.get(remote.id))?.quantity).toBe(5);
    expect(lifecycle.published).toEqual([]);
    expect(subscriptions.operationsOf(remote.id)).toEqual([
      expect.objectContaining({ state: 'applied', outcome: 'rejected', decision: 'Failure' }),
    ]);
  });

  it('calls the marketplace with the operation id as correlation id, and a deadline before answering', async () => {
    const { marketplace, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 7 });

    await deliver(operation);
    await answerQueued();

    const [confirm] = marketplace.callsOf('getOperation');
    expect(confirm?.options).toMatchObject({ correlationId: operation.id, signal: expect.any(AbortSignal) });
    expect(marketplace.callsOf('updateOperation')[0]?.options?.correlationId).toBe(operation.id);
  });

  it('answers the webhook before the operation is PATCHed: the PATCH is queued with the time of the call', async () => {
    const { marketplace, queued, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 7 });

    await deliver(operation);

    expect(marketplace.callsOf('updateOperation')).toEqual([]);
    expect(marketplace.operations.get(operation.id)?.status).toBe('InProgress');
    expect(queued).toEqual([
      {
        subscriptionId: remote.id,
        operationId: operation.id,
        action: 'ChangeQuantity',
        receivedAt: '2026-01-20T12:00:00.000Z',
      },
    ]);
    const [answered] = await answerQueued();
    expect(answered).toMatchObject({ outcome: 'applied', patchedAfterMs: 0, late: false });
    expect(marketplace.callsOf('updateOperation').map((call) => call.args[2])).toEqual(['Success']);
  });

  it('counts a PATCH sent after the 8 s deadline as late', async () => {
    const { marketplace, clock, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 7 });
    await deliver(operation);
    clock.set('2026-01-20T12:00:08.001Z');

    const [answered] = await answerQueued();

    expect(answered).toMatchObject({ patchedAfterMs: 8_001, late: true });
  });

  it('queues one PATCH, sends one and publishes one event for concurrent deliveries of one change', async () => {
    const { marketplace, lifecycle, queued, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 8 });

    const answers = await Promise.all(Array.from({ length: 20 }, () => deliver(operation)));
    queued.push(...queued.map((answer) => ({ ...answer })));
    await Promise.all([answerQueued(), answerQueued()]).catch(() => undefined);
    await answerQueued();
    await Promise.all(Array.from({ length: 5 }, () => deliver(operation)));

    expect(answers.every((answer) => answer.outcome === 'decided')).toBe(true);
    expect(marketplace.callsOf('updateOperation')).toHaveLength(1);
    expect(lifecycle.published.map((event) => event.type)).toEqual(['QuantityChanged']);
  });

  it('lets a later delivery take over a PATCH claimed by a consumer that died, once its lease ran out', async () => {
    const { marketplace, subscriptions, clock, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 8 });
    await deliver(operation);
    // A consumer claimed the PATCH, then died before sending it.
    await subscriptions.claimSideEffect({
      subscriptionId: remote.id,
      operationId: operation.id,
      effect: 'patch',
      at: clock.now(),
      leaseMs: PATCH_CLAIM_LEASE_MS,
    });

    await expect(answerQueued()).rejects.toThrow(AnswerInProgressError);
    expect(marketplace.callsOf('updateOperation')).toEqual([]);
    clock.set(new Date(clock.now().getTime() + PATCH_CLAIM_LEASE_MS).toISOString());
    const [answered] = await answerQueued();

    expect(answered?.outcome).toBe('applied');
    expect(marketplace.callsOf('updateOperation')).toHaveLength(1);
  });

  it('applies a change Microsoft accepted meanwhile (PATCH 409 after the 10 s auto-accept)', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 9 });
    await deliver(operation);
    // Auto-accepted between the webhook's answer and the consumer's PATCH.
    marketplace.operations.set(operation.id, { ...operation, status: 'Succeeded' });

    const [result] = await answerQueued();

    expect(result?.outcome).toBe('applied');
    expect((await subscriptions.get(remote.id))?.quantity).toBe(9);
  });

  it("applies a change stamped a little before the activation we recorded (our clock ahead of Microsoft's)", async () => {
    const { marketplace, subscriptions, lifecycle, deliver } = setup();
    const remote = marketplace.addSubscription({ planId: 'team', quantity: 5, saasSubscriptionStatus: 'Subscribed' });
    // The landing page stored the purchase at 09:00 and recorded its activation at 10:00:00.000 on our clock;
    // Microsoft's clock reads 40 ms earlier when the customer changes the seats right after.
    const pending = subscriptionFromMarketplace(
      { ...remote, saasSubscriptionStatus: 'PendingFulfillmentStart' },
      new Date('2026-01-06T09:00:00Z'),
    );
    await subscriptions.put({
      ...pending,
      status: 'Subscribed',
      timeline: [
        ...(pending.timeline ?? []),
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'team', quantity: 5 },
      ],
    });
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'ChangeQuantity',
      quantity: 14,
      status: 'Succeeded',
      timeStamp: '2026-01-06T09:59:59.960Z',
    });

    await deliver(operation);

    expect((await subscriptions.get(remote.id))?.quantity).toBe(14);
    expect(lifecycle.published.map((event) => [event.type, event.quantity])).toEqual([['QuantityChanged', 14]]);
  });

  it('does not apply a change Microsoft reports Failed', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'ChangePlan',
      planId: 'pro',
      status: 'Failed',
    });

    expect((await deliver(operation)).outcome).toBe('notApplied');
    expect((await subscriptions.get(remote.id))?.planId).toBe('team');
    expect(lifecycle.published).toEqual([]);
  });
});

describe('idempotency and confirmation', () => {
  it('changes nothing when the same webhook is delivered again', async () => {
    const { marketplace, anActiveSubscription, deliver, answerQueued, snapshot } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangePlan', planId: 'pro' });
    await deliver(operation);
    await answerQueued();
    const before = await snapshot(remote.id);
    const callsBefore = marketplace.calls.length;

    const replay = await deliver(operation);

    expect(replay.outcome).toBe('duplicate');
    expect(await snapshot(remote.id)).toEqual(before);
    expect(marketplace.calls.length).toBe(callsBefore);
  });

  it('does not apply a payload that disagrees with Get Operation, and answers normally', async () => {
    const { marketplace, anActiveSubscription, deliver, snapshot } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 6 });
    const before = await snapshot(remote.id);

    const forgedQuantity = await deliver(operation, { quantity: 50 });
    const forgedAction = await deliver(operation, { action: 'Unsubscribe' });

    expect(forgedQuantity).toMatchObject({ outcome: 'mismatch', detail: expect.stringContaining('quantity 50') });
    expect(forgedAction.outcome).toBe('mismatch');
    expect(await snapshot(remote.id)).toEqual(before);
    expect(marketplace.callsOf('updateOperation')).toEqual([]);
  });

  it('does not apply an operation Microsoft does not know', async () => {
    const { anActiveSubscription, deliver, snapshot } = setup();
    const remote = await anActiveSubscription();
    const before = await snapshot(remote.id);

    const result = await deliver({
      id: 'made-up',
      subscriptionId: remote.id,
      action: 'Unsubscribe',
      status: 'Succeeded',
    });

    expect(result.outcome).toBe('mismatch');
    expect(await snapshot(remote.id)).toEqual(before);
  });

  it('fails without applying anything when Microsoft is unavailable, and applies on redelivery', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver, snapshot } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Suspend',
      status: 'Succeeded',
      timeStamp: '2026-01-20T11:00:00.000Z',
    });
    const before = await snapshot(remote.id);
    marketplace.failNext('getOperation', unavailable());

    await expect(deliver(operation)).rejects.toThrow(MarketplaceUnavailableError);
    expect(await snapshot(remote.id)).toEqual(before);

    expect((await deliver(operation)).outcome).toBe('applied');
    expect((await subscriptions.get(remote.id))?.status).toBe('Suspended');
  });

  it('PATCHes the decision recorded by an interrupted delivery, even if the policy would now decide otherwise', async () => {
    const { deps, marketplace, subscriptions, queued, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 20 });
    await deliver(operation);
    marketplace.failNext('updateOperation', unavailable());
    await expect(answerQueued()).rejects.toThrow(MarketplaceUnavailableError);
    const refuseNow = { decide: async () => ({ accept: false as const, reason: 'changed my mind' }) };

    const redelivered = await handleFulfillmentWebhook(
      { ...deps, policy: refuseNow },
      { notification: notificationOf(operation) },
    );
    const [result] = await answerQueued();

    expect(redelivered).toEqual({ outcome: 'decided', detail: 'PATCH Success follows' });
    expect(queued).toEqual([]);
    expect(result?.outcome).toBe('applied');
    expect(marketplace.callsOf('updateOperation').map((call) => call.args[2])).toEqual(['Success', 'Success']);
    expect((await subscriptions.get(remote.id))?.quantity).toBe(20);
  });

  it('publishes on redelivery an event whose first publish failed, once', async () => {
    const { marketplace, lifecycle, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Unsubscribe',
      status: 'Succeeded',
      timeStamp: '2026-01-20T11:00:00.000Z',
    });
    lifecycle.failNext();
    await expect(deliver(operation)).rejects.toThrow('topic unavailable');

    expect((await deliver(operation)).outcome).toBe('duplicate');
    await deliver(operation);

    expect(lifecycle.published.map((event) => event.type)).toEqual(['Unsubscribed']);
  });

  it('stores a subscription it has never seen from Get Subscription, then applies the change', async () => {
    const { marketplace, subscriptions, deliver, answerQueued } = setup();
    const remote = marketplace.addSubscription({ planId: 'basic', saasSubscriptionStatus: 'Subscribed' });
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangePlan', planId: 'pro' });

    expect((await deliver(operation)).outcome).toBe('decided');
    expect((await answerQueued())[0]?.outcome).toBe('applied');
    expect((await subscriptions.get(remote.id))?.planId).toBe('pro');
  });

  it('records every webhook in the audit trail with its request and correlation ids', async () => {
    const { marketplace, audit, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangePlan', planId: 'pro' });

    await deliver(operation);
    await answerQueued();
    await deliver(operation);

    expect(audit.ofKind('webhook')).toEqual([
      expect.objectContaining({
        result: 'decided: PATCH Success follows',
        requestId: 'req-1',
        correlationId: operation.id,
      }),
      expect.objectContaining({ result: 'applied: PlanChanged', correlationId: operation.id }),
      expect.objectContaining({ result: expect.stringMatching(/^duplicate/), subscriptionId: remote.id }),
    ]);
  });
});

describe('suspension, reinstatement, renewal and cancellation', () => {
  it('suspends from the operation time stamp, keeping earlier hours Subscribed', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Suspend',
      status: 'Succeeded',
      timeStamp: '2026-01-18T08:00:00.000Z',
    });

    await deliver(operation);

    const stored = await storedOrFail(subscriptions, remote.id);
    expect(stored.status).toBe('Suspended');
    expect(periodAt(stored, new Date('2026-01-18T07:59:59Z'))?.status).toBe('Subscribed');
    expect(periodAt(stored, new Date('2026-01-18T08:00:00Z'))?.status).toBe('Suspended');
    expect(lifecycle.published.map((event) => [event.type, event.at])).toEqual([
      ['Suspended', '2026-01-18T08:00:00.000Z'],
    ]);
  });

  it('makes a reinstated subscription operational before PATCHing Success, after the answer', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription({ saasSubscriptionStatus: 'Suspended' });
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'Reinstate' });
    let statusWhenPatched: string | undefined;
    const update = marketplace.updateOperation.bind(marketplace);
    marketplace.updateOperation = async (...args) => {
      statusWhenPatched = (await subscriptions.get(remote.id))?.status;
      return update(...args);
    };

    const result = await deliver(operation);
    expect(marketplace.callsOf('updateOperation')).toEqual([]);
    await answerQueued();

    expect(result.outcome).toBe('applied');
    expect(statusWhenPatched).toBe('Subscribed');
    expect(marketplace.operations.get(operation.id)?.status).toBe('Succeeded');
    expect(lifecycle.published.map((event) => event.type)).toEqual(['Reinstated']);
  });

  it('PATCHes a reinstatement whose PATCH failed when it is answered again, without a second event', async () => {
    const { marketplace, lifecycle, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription({ saasSubscriptionStatus: 'Suspended' });
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'Reinstate' });
    await deliver(operation);
    marketplace.failNext('updateOperation', unavailable());
    await expect(answerQueued()).rejects.toThrow(MarketplaceUnavailableError);

    expect((await deliver(operation)).outcome).toBe('duplicate');
    await answerQueued();

    expect(marketplace.operations.get(operation.id)?.status).toBe('Succeeded');
    expect(lifecycle.published.map((event) => event.type)).toEqual(['Reinstated']);
  });

  it('takes the new term from Get Subscription on Renew', async () => {
    const { marketplace, subscriptions, lifecycle, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const next = { termUnit: 'P1M', startDate: '2026-02-06T00:00:00Z', endDate: '2026-03-05T00:00:00Z' };
    marketplace.subscriptions.set(remote.id, { ...remote, term: next });
    const operation = marketplace.addOperation({ subscriptionId: remote.id, action: 'Renew', status: 'Succeeded' });

    await deliver(operation);

    expect((await subscriptions.get(remote.id))?.term).toEqual(next);
    expect(lifecycle.published.map((event) => event.type)).toEqual(['Renewed']);
  });

  it('keeps an Unsubscribed subscription Unsubscribed whatever comes later', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const cancel = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Unsubscribe',
      status: 'Succeeded',
      timeStamp: '2026-01-19T00:00:00.000Z',
    });
    const plan = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'ChangePlan',
      planId: 'pro',
      status: 'Succeeded',
      timeStamp: '2026-01-19T06:00:00.000Z',
    });
    await deliver(cancel);

    const later = await deliver(plan);

    expect(later.outcome).toBe('ignored');
    expect(await subscriptions.get(remote.id)).toMatchObject({ status: 'Unsubscribed', planId: 'team' });
  });

  it('flushes the remaining usage once a cancellation is stored, and only then', async () => {
    const { marketplace, anActiveSubscription, deliver, deps } = setup();
    const flushed: string[] = [];
    Object.assign(deps, { flushUsage: async (id: string) => void flushed.push(id) });
    const remote = await anActiveSubscription();
    const suspend = marketplace.addOperation({ subscriptionId: remote.id, action: 'Suspend', status: 'Succeeded' });
    const cancel = marketplace.addOperation({ subscriptionId: remote.id, action: 'Unsubscribe', status: 'Succeeded' });

    await deliver(suspend);
    await deliver(cancel);
    await deliver(cancel);

    expect(flushed).toEqual([remote.id]);
  });

  it('answers a cancellation normally when the usage flush fails (the scheduled reporter catches up)', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver, deps } = setup();
    Object.assign(deps, {
      flushUsage: async () => {
        throw new Error('metering down');
      },
    });
    const remote = await anActiveSubscription();
    const cancel = marketplace.addOperation({ subscriptionId: remote.id, action: 'Unsubscribe', status: 'Succeeded' });

    const result = await deliver(cancel);

    expect(result.outcome).toBe('applied');
    expect((await subscriptions.get(remote.id))?.status).toBe('Unsubscribed');
  });

  it('ends up Subscribed when a Suspend is delivered after the Reinstate that ended it', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver, clock } = setup();
    const remote = await anActiveSubscription();
    const suspend = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Suspend',
      status: 'Succeeded',
      timeStamp: '2026-01-15T00:00:00.000Z',
    });
    const reinstate = marketplace.addOperation({ subscriptionId: remote.id, action: 'Reinstate' });
    clock.set('2026-01-17T00:00:00.000Z');
    await deliver(reinstate);

    await deliver(suspend);

    const stored = await storedOrFail(subscriptions, remote.id);
    expect(stored.status).toBe('Subscribed');
    expect(periodAt(stored, new Date('2026-01-16T00:00:00Z'))?.status).toBe('Suspended');
  });

  it('retries on a concurrent write and keeps both changes (no last-writer-wins)', async () => {
    const { marketplace, subscriptions, anActiveSubscription, deliver, answerQueued } = setup();
    const remote = await anActiveSubscription();
    const plan = marketplace.addOperation({ subscriptionId: remote.id, action: 'ChangeQuantity', quantity: 12 });
    const suspend = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Suspend',
      status: 'Succeeded',
      timeStamp: '2026-01-20T13:00:00.000Z',
    });
    // The Suspend lands between our read and our write of the quantity change.
    let interfered = false;
    subscriptions.beforeApply = async (change) => {
      if (interfered || change.operationId !== plan.id) return;
      interfered = true;
      await deliver(suspend);
    };

    await deliver(plan);
    await answerQueued();

    expect(subscriptions.conflicts).toBe(1);
    expect(await subscriptions.get(remote.id)).toMatchObject({ status: 'Suspended', quantity: 12 });
  });
});

describe('handling a Subscribe webhook (auto-activation, marketplace-2026.md)', () => {
  const PURCHASE = '2026-01-20T09:15:00.000Z';

  /** A purchase Microsoft auto-activated at PURCHASE, which we have never seen, and its Subscribe operation. */
  function anAutoActivatedPurchase(marketplace: FakeMarketplace, overrides: Partial<MarketplaceSubscription> = {}) {
    const remote = marketplace.addSubscription({
      planId: 'team',
      quantity: 3,
      saasSubscriptionStatus: 'Subscribed',
      term: { termUnit: 'P1M', startDate: '2026-01-20', endDate: '2026-02-19' },
      ...overrides,
    });
    const operation = marketplace.addOperation({
      subscriptionId: remote.id,
      action: 'Subscribe',
      status: 'Succeeded',
      planId: 'team',
      quantity: 3,
      timeStamp: PURCHASE,
    });
    return { remote, operation };
  }

  it('stores the subscription Subscribed at the purchase instant with its plan, seats and term, publishes SubscriptionActivated', async () => {
    const { marketplace, subscriptions, lifecycle, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace);

    const result = await deliver(operation);

    expect(result).toEqual({ outcome: 'applied', detail: 'SubscriptionActivated' });
    const stored = await storedOrFail(subscriptions, remote.id);
    expect(stored).toMatchObject({
      status: 'Subscribed',
      planId: 'team',
      quantity: 3,
      term: { startDate: '2026-01-20', endDate: '2026-02-19', termUnit: 'P1M' },
    });
    expect(stored.timeline).toEqual([{ from: PURCHASE, status: 'Subscribed', planId: 'team', quantity: 3 }]);
    expect(periodAt(stored, new Date('2026-01-20T09:14:59.999Z'))).toBeUndefined();
    expect(lifecycle.published).toEqual([
      expect.objectContaining({
        type: 'SubscriptionActivated',
        subscriptionId: remote.id,
        planId: 'team',
        quantity: 3,
        at: PURCHASE,
        operationId: operation.id,
      }),
    ]);
    expect(marketplace.callsOf('updateOperation')).toEqual([]);
    expect(marketplace.callsOf('activate')).toEqual([]);
  });

  it('publishes SubscriptionActivated once however often the webhook is delivered, concurrently or again', async () => {
    const { marketplace, lifecycle, deliver } = setup();
    const { operation } = anAutoActivatedPurchase(marketplace);

    const concurrent = await Promise.all(Array.from({ length: 10 }, () => deliver(operation)));
    const again = await deliver(operation);

    expect(concurrent.filter((result) => result.outcome === 'applied')).toHaveLength(1);
    expect(again.outcome).toBe('duplicate');
    expect(lifecycle.published.map((event) => event.type)).toEqual(['SubscriptionActivated']);
  });

  it('makes the entitlement say entitled: true', async () => {
    const { marketplace, subscriptions, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace);
    await deliver(operation);

    const entitlement = await getEntitlement(
      {
        subscriptions,
        ledger: new InMemoryUsageLedger(),
        catalog,
        clock: new FixedClock('2026-01-20T12:00:00.000Z'),
        dayPacks: { findPrepaidTerm: async () => undefined },
        purchaseBlocks: { purchaseBlockOf: async () => undefined },
      },
      aPublisher(),
      remote.id,
    );

    expect(entitlement).toMatchObject({ entitled: true, planId: 'team' });
  });

  it('moves the activation of a subscription the sync stored first back to the purchase instant', async () => {
    const { marketplace, subscriptions, lifecycle, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace);
    await subscriptions.createIfAbsent(subscriptionFromMarketplace(remote, new Date('2026-01-20T11:00:00.000Z')));

    await deliver(operation);

    const stored = await storedOrFail(subscriptions, remote.id);
    expect(periodAt(stored, new Date('2026-01-20T10:00:00.000Z'))?.status).toBe('Subscribed');
    expect(lifecycle.published.map((event) => event.type)).toEqual(['SubscriptionActivated']);
  });

  it('reads a time stamp without a zone as UTC', async () => {
    const { marketplace, subscriptions, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace);
    marketplace.operations.set(operation.id, { ...operation, timeStamp: '2026-01-20T09:15:00' });

    await deliver({ ...operation, timeStamp: '2026-01-20T09:15:00' });

    expect((await storedOrFail(subscriptions, remote.id)).timeline?.[0]?.from).toBe(PURCHASE);
  });

  it('does not apply a Subscribe whose plan disagrees with Get Operation', async () => {
    const { marketplace, subscriptions, lifecycle, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace);

    const result = await deliver(operation, { planId: 'pro' });

    expect(result.outcome).toBe('mismatch');
    expect(await subscriptions.get(remote.id)).toBeUndefined();
    expect(lifecycle.published).toEqual([]);
  });

  it('keeps a term unit it does not rate raw and stores no term it cannot rate', async () => {
    const { marketplace, subscriptions, deliver } = setup();
    const { remote, operation } = anAutoActivatedPurchase(marketplace, {
      term: { termUnit: 'PAY', startDate: '2026-01-20', endDate: '2026-02-19' },
    });

    await deliver(operation);

    const stored = await storedOrFail(subscriptions, remote.id);
    expect(stored.term).toBeUndefined();
    expect(stored.unratedTermUnit).toBe('PAY');
    expect(stored.status).toBe('Subscribed');
  });

  it('refuses a term whose end is not after its start: stored without it, and logged', async () => {
    const { marketplace, subscriptions, deps } = setup();
    const warnings: string[] = [];
    const logged = { ...deps, logger: { info: () => undefined, warn: (message: string) => warnings.push(message) } };
    const { remote, operation } = anAutoActivatedPurchase(marketplace, {
      term: { termUnit: 'P1M', startDate: '2026-02-19', endDate: '2026-01-20' },
    });

    await handleFulfillmentWebhook(logged, { notification: notificationOf(operation) });

    expect((await storedOrFail(subscriptions, remote.id)).term).toBeUndefined();
    expect(warnings).toContain('Marketplace term refused as bad data; not stored as the current term');
  });
});

describe('a webhook with an action this system does not know', () => {
  it('is acknowledged as unknownAction, audited, and changes nothing (the sync brings the state)', async () => {
    const { marketplace, subscriptions, lifecycle, audit, anActiveSubscription, deliver } = setup();
    const remote = await anActiveSubscription();
    const before = await subscriptions.get(remote.id);

    const result = await deliver({ id: 'op-new', subscriptionId: remote.id, action: 'Transfer', status: 'Succeeded' });

    expect(result.outcome).toBe('unknownAction');
    expect(await subscriptions.get(remote.id)).toEqual(before);
    expect(lifecycle.published).toEqual([]);
    expect(marketplace.calls).toEqual([]);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        subscriptionId: remote.id,
        kind: 'webhook',
        result: expect.stringMatching(/^unknownAction/),
      }),
    ]);
  });
});
