import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import type {
  OverridableChangePolicy,
  OverridableChangeRequest,
} from '#shared/use-cases/fulfillment/ports/change-policy.ts';
import {
  getPublisherOperation,
  type RequestSubscriptionChangeDeps,
  requestSubscriptionChange,
} from '#shared/use-cases/fulfillment/request-subscription-change.ts';
import { MarketplaceBadRequestError, MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { aBillingTerm, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aCustomer, aPartner, aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemoryLifecyclePublisher } from '#test/helpers/in-memory-lifecycle-publisher.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [
        aPlan({ id: 'basic' }),
        aPlan({ id: 'pro', displayName: 'Pro' }),
        aPlan({ id: 'team', displayName: 'Team', pricingModel: 'perUser', minQuantity: 1, maxQuantity: 50 }),
      ],
    }),
  ],
});

/** When Microsoft made the change: written without a zone, as Microsoft's APIs sometimes do (UTC). */
const OPERATION_TIME = '2026-01-20T12:00:01.5';

function setup(stored: Partial<Subscription> = { planId: 'team', quantity: 5 }) {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const clock = new FixedClock('2026-01-20T12:00:00.000Z');
  /** Microsoft finishes the operation after this many polls (with this status). */
  const finish = { afterPolls: 1, status: 'Succeeded' };
  let polls = 0;
  const deps: RequestSubscriptionChangeDeps = {
    subscriptions,
    marketplace,
    lifecycle,
    policy: catalogChangePolicy(catalog),
    clock,
    operationPollMs: 2_000,
    operationWaitMs: 12_000,
    sleep: async (ms) => {
      clock.advanceMinutes(ms / 60_000);
      polls += 1;
      if (polls >= finish.afterPolls) {
        for (const [id, operation] of marketplace.operations) {
          marketplace.operations.set(id, { ...operation, status: finish.status, timeStamp: OPERATION_TIME });
        }
      }
    },
  };
  const subscription = aSubscription({ offerId: 'contoso-analytics', ...stored });
  const ready = subscriptions.put(subscription);
  marketplace.addSubscription({
    id: subscription.id,
    planId: subscription.planId,
    saasSubscriptionStatus: 'Subscribed',
  });
  return { deps, marketplace, subscriptions, lifecycle, subscription, finish, ready };
}

describe('requestSubscriptionChange (publisher-initiated change plan, change quantity, cancel)', () => {
  it('asks Microsoft for the new seat count, follows the operation to Succeeded and applies it at its time stamp', async () => {
    const { deps, marketplace, subscriptions, lifecycle, subscription, ready } = setup();
    await ready;

    const view = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 10 },
    });

    expect(view).toMatchObject({
      subscriptionId: subscription.id,
      action: 'ChangeQuantity',
      status: 'Succeeded',
      done: true,
    });
    expect(marketplace.callsOf('changeQuantity').map((call) => call.args)).toEqual([[subscription.id, 10]]);
    expect(marketplace.callsOf('getOperation')).toHaveLength(2);
    // One correlation id ties the request and its polls together in the audit trail.
    const correlationIds = new Set(marketplace.calls.map((call) => call.options?.correlationId));
    expect(correlationIds.size).toBe(1);
    expect(view.appliedBy).toBe('operation');
    const stored = await subscriptions.read(subscription.id);
    expect(stored?.subscription.quantity).toBe(10);
    // At Microsoft's instant (read as UTC), not at our clock's 12:00:02 after the poll.
    expect(stored?.subscription.timeline?.at(-1)).toMatchObject({ from: '2026-01-20T12:00:01.500Z', quantity: 10 });
    expect(lifecycle.published).toEqual([
      expect.objectContaining({ type: 'QuantityChanged', quantity: 10, operationId: view.operationId }),
    ]);
    // Recorded under Microsoft's operation id: the webhook for this operation finds it applied (a duplicate).
    expect(await subscriptions.getOperation(subscription.id, view.operationId)).toMatchObject({ state: 'applied' });
  });

  it("applies a change whose time stamp reads before the activation we recorded (our clock ahead of Microsoft's)", async () => {
    const activatedAt = '2026-01-20T12:00:01.600Z';
    const { deps, subscriptions, subscription, ready } = setup({
      planId: 'team',
      quantity: 5,
      timeline: [
        { from: '2026-01-20T11:58:00.000Z', status: 'PendingFulfillmentStart', planId: 'team', quantity: 5 },
        { from: activatedAt, status: 'Subscribed', planId: 'team', quantity: 5 },
      ],
    });
    await ready;

    await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 10 },
    });

    const stored = await subscriptions.read(subscription.id);
    expect(stored?.subscription.quantity).toBe(10);
    expect(stored?.subscription.timeline?.at(-1)).toEqual(
      expect.objectContaining({ from: activatedAt, status: 'Subscribed', quantity: 10 }),
    );
    expect(stored?.subscription.timeline).toHaveLength(2);
  });

  it('applies a succeeded change once: reading the operation again changes nothing and publishes nothing', async () => {
    const { deps, subscriptions, lifecycle, subscription, ready } = setup();
    await ready;
    const view = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 10 },
    });
    const after = await subscriptions.read(subscription.id);

    const again = await getPublisherOperation(deps, aPublisher(), {
      subscriptionId: subscription.id,
      operationId: view.operationId,
    });

    expect(again).toMatchObject({ status: 'Succeeded', appliedBy: 'operation' });
    expect(await subscriptions.read(subscription.id)).toEqual(after);
    expect(lifecycle.published).toHaveLength(1);
  });

  it('applies a change that finished after the answer when the operation is read again', async () => {
    const { deps, marketplace, subscriptions, lifecycle, subscription, finish, ready } = setup();
    await ready;
    finish.afterPolls = 100;
    const running = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 7 },
    });
    expect(running).toMatchObject({ done: false, appliedBy: 'webhook' });
    expect((await subscriptions.get(subscription.id))?.quantity).toBe(5);
    const operation = marketplace.operations.get(running.operationId);
    if (!operation) throw new Error('the fake lost the operation');
    marketplace.operations.set(running.operationId, {
      ...operation,
      status: 'Succeeded',
      timeStamp: '2026-01-20T12:00:30Z',
    });

    const done = await getPublisherOperation(deps, aPublisher(), {
      subscriptionId: subscription.id,
      operationId: running.operationId,
    });

    expect(done).toMatchObject({ done: true, appliedBy: 'operation' });
    const stored = await subscriptions.get(subscription.id);
    expect(stored?.timeline?.at(-1)).toMatchObject({ from: '2026-01-20T12:00:30.000Z', quantity: 7 });
    expect(lifecycle.published.map((event) => event.type)).toEqual(['QuantityChanged']);
  });

  it('changes the plan (applied, with the seats Microsoft reports) and cancels (left to the webhook)', async () => {
    const { deps, marketplace, subscriptions, lifecycle, subscription, ready } = setup({ planId: 'basic' });
    await ready;

    const plan = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'plan', planId: 'pro' },
    });
    const cancel = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'cancel' },
    });

    expect([plan.action, cancel.action]).toEqual(['ChangePlan', 'Unsubscribe']);
    expect(marketplace.callsOf('changePlan').map((call) => call.args)).toEqual([[subscription.id, 'pro']]);
    expect(marketplace.callsOf('deleteSubscription')).toHaveLength(1);
    expect([plan.appliedBy, cancel.appliedBy]).toEqual(['operation', 'webhook']);
    expect(await subscriptions.get(subscription.id)).toMatchObject({ planId: 'pro', status: 'Subscribed' });
    expect(lifecycle.published.map((event) => event.type)).toEqual(['PlanChanged']);
  });

  it('answers "still running" with the last status when the bounded wait runs out', async () => {
    const { deps, subscription, finish, ready } = setup();
    await ready;
    finish.afterPolls = 100;

    const view = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 7 },
    });

    expect(view).toMatchObject({ status: 'InProgress', done: false });
    expect(view.operationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers "still running" when Microsoft took the request but cannot be asked how it stands', async () => {
    const { deps, marketplace, subscription, ready } = setup();
    await ready;
    marketplace.failNext(
      'getOperation',
      new MarketplaceUnavailableError('down', { operation: 'getOperation', status: 503, attempts: 3 }),
    );

    const view = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 7 },
    });

    expect(view).toMatchObject({ status: 'Unknown', done: false });
    expect(marketplace.operations.has(view.operationId)).toBe(true);
  });

  it('reports a Failed operation as final, and the same when it is read again', async () => {
    const { deps, marketplace, subscription, finish, ready } = setup();
    await ready;
    finish.status = 'Failed';

    const view = await requestSubscriptionChange(deps, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'quantity', quantity: 7 },
    });
    const again = await getPublisherOperation(deps, aPublisher(), {
      subscriptionId: subscription.id,
      operationId: view.operationId,
    });

    expect(view).toMatchObject({ status: 'Failed', done: true });
    expect(again).toEqual(view);
    expect(marketplace.callsOf('changeQuantity')).toHaveLength(1);
  });

  it.each([
    ['a plan the catalog does not have', { kind: 'plan', planId: 'platinum' }, /plan "platinum" is not in the catalog/],
    ['more seats than the plan allows', { kind: 'quantity', quantity: 60 }, /outside the seat limits.*1 to 50/],
    ['the current seat count', { kind: 'quantity', quantity: 5 }, /already has 5 seats/],
    ['the current plan', { kind: 'plan', planId: 'team' }, /already on plan "team"/],
  ] as const)(
    'refuses %s with a ValidationError naming the problem, before calling Microsoft',
    async (_case, request, message) => {
      const { deps, marketplace, subscription, ready } = setup();
      await ready;

      const attempt = requestSubscriptionChange(deps, aPublisher(), { subscriptionId: subscription.id, request });

      await expect(attempt).rejects.toThrow(ValidationError);
      await expect(attempt).rejects.toThrow(message);
      expect(marketplace.calls).toEqual([]);
    },
  );

  it('refuses a plan or seat change of a subscription that is not Subscribed, and a second cancellation', async () => {
    const suspended = setup({ status: 'Suspended', planId: 'team', quantity: 5 });
    const cancelled = setup({ status: 'Unsubscribed' });
    await Promise.all([suspended.ready, cancelled.ready]);

    await expect(
      requestSubscriptionChange(suspended.deps, aPublisher(), {
        subscriptionId: suspended.subscription.id,
        request: { kind: 'quantity', quantity: 6 },
      }),
    ).rejects.toThrow(/Suspended: plans and seats change only while it is Subscribed/);
    await expect(
      requestSubscriptionChange(cancelled.deps, aPublisher(), {
        subscriptionId: cancelled.subscription.id,
        request: { kind: 'cancel' },
      }),
    ).rejects.toThrow(ConflictError);
    expect([...suspended.marketplace.calls, ...cancelled.marketplace.calls]).toEqual([]);
  });

  it('asks the reseller’s credit policy after the catalog, and answers its refusal with a Conflict before calling Microsoft', async () => {
    const { deps, marketplace, subscription, ready } = setup();
    await ready;
    const asked: string[] = [];
    const creditPolicy = {
      decide: async (request: { change: { kind: string } }) => {
        asked.push(request.change.kind);
        return {
          accept: false as const,
          reason: 'purchases that raise the price are blocked (month-start credit check)',
        };
      },
    };

    await expect(
      requestSubscriptionChange({ ...deps, creditPolicy }, aPublisher(), {
        subscriptionId: subscription.id,
        request: { kind: 'plan', planId: 'pro' },
      }),
    ).rejects.toThrow(
      new ConflictError(
        "Refused by the reseller's credit levels: purchases that raise the price are blocked (month-start credit check)",
      ),
    );
    // The catalog refuses first; a cancellation is never the credit policy's business.
    await expect(
      requestSubscriptionChange({ ...deps, creditPolicy }, aPublisher(), {
        subscriptionId: subscription.id,
        request: { kind: 'plan', planId: 'no-such-plan' },
      }),
    ).rejects.toThrow(ValidationError);
    await requestSubscriptionChange({ ...deps, creditPolicy }, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'cancel' },
    });

    expect(asked).toEqual(['plan']);
    expect(marketplace.callsOf('changePlan')).toEqual([]);
  });

  it('answers a plan change that leaves the term unit or billing frequency with a 400 naming the rule, before Microsoft', async () => {
    const yearly = aCatalog({
      offers: [
        anOffer({
          plans: [
            aPlan({ id: 'basic' }),
            aPlan({ id: 'annual', billingTerms: [aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'upfront' })] }),
          ],
        }),
      ],
    });
    const { deps, marketplace, subscription, ready } = setup({ planId: 'basic' });
    await ready;

    const refused = requestSubscriptionChange({ ...deps, policy: catalogChangePolicy(yearly) }, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'plan', planId: 'annual' },
    });

    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toThrow(
      /same-term rule: plan "annual" does not sell the subscription's term P1M billed monthly/,
    );
    expect(marketplace.callsOf('changePlan')).toEqual([]);
  });

  it('lets the publisher override an approval-required refusal only explicitly, and records it in the audit trail', async () => {
    const { deps, marketplace, subscription, ready } = setup({ planId: 'basic' });
    await ready;
    const audit = new InMemoryAuditLog();
    const asked: unknown[] = [];
    const creditPolicy: OverridableChangePolicy = {
      decide: async (request: OverridableChangeRequest) => {
        asked.push(request.publisherOverride);
        return request.publisherOverride
          ? { accept: true, overridden: 'needs the partner’s approval' }
          : { accept: false, reason: 'needs the partner’s approval' };
      },
    };
    const withCredit = { ...deps, creditPolicy, audit };

    await expect(
      requestSubscriptionChange(withCredit, aPublisher(), {
        subscriptionId: subscription.id,
        request: { kind: 'plan', planId: 'pro' },
      }),
    ).rejects.toThrow(ConflictError);
    const view = await requestSubscriptionChange(withCredit, aPublisher(), {
      subscriptionId: subscription.id,
      request: { kind: 'plan', planId: 'pro', overrideCreditLevel: { reason: 'agreed by phone with the partner' } },
    });

    expect(asked).toEqual([undefined, { reason: 'agreed by phone with the partner' }]);
    expect(view).toMatchObject({ status: 'Succeeded', appliedBy: 'operation' });
    expect(marketplace.callsOf('changePlan')).toHaveLength(1);
    expect((await audit.list(subscription.id)).entries).toEqual([
      expect.objectContaining({
        kind: 'publisherOperation',
        what: 'credit level overridden by the publisher for plan pro: agreed by phone with the partner',
        result: 'would have been refused: needs the partner’s approval',
      }),
    ]);
  });

  it('lets only a publisher key ask, and answers NotFound for a subscription that is not stored', async () => {
    const { deps, marketplace, subscription, ready } = setup();
    await ready;
    const request = { kind: 'cancel' } as const;

    for (const caller of [aPartner(), aCustomer({ subscriptionIds: [subscription.id] })]) {
      await expect(
        requestSubscriptionChange(deps, caller, { subscriptionId: subscription.id, request }),
      ).rejects.toThrow(ForbiddenError);
    }
    await expect(
      requestSubscriptionChange(deps, aPublisher(), { subscriptionId: 'no-such-subscription', request }),
    ).rejects.toThrow(NotFoundError);
    expect(marketplace.calls).toEqual([]);
  });

  it('turns Microsoft’s refusal into a Conflict that says why, and an outage into a 503 that says retrying is safe', async () => {
    const { deps, marketplace, subscription, ready } = setup();
    await ready;
    marketplace.failNext(
      'changeQuantity',
      new MarketplaceBadRequestError('The subscription is locked due to pending operations.', {
        operation: 'changeQuantity',
        status: 400,
      }),
    );
    marketplace.failNext(
      'changeQuantity',
      new MarketplaceUnavailableError('down', { operation: 'changeQuantity', status: 503, attempts: 3 }),
    );
    const request = { kind: 'quantity', quantity: 8 } as const;

    const locked = requestSubscriptionChange(deps, aPublisher(), { subscriptionId: subscription.id, request });
    await expect(locked).rejects.toThrow(ConflictError);
    await expect(locked).rejects.toThrow(/locked due to pending operations/);
    await expect(
      requestSubscriptionChange(deps, aPublisher(), { subscriptionId: subscription.id, request }),
    ).rejects.toThrow(ServiceUnavailableError);
  });
});
