import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  TEST_WEBHOOK_ALGORITHM,
  TEST_WEBHOOK_ISSUER,
  TestWebhookAuthenticator,
} from '#shared/adapters/entra/test-webhook-authenticator.ts';
import { UnauthenticatedError, ValidationError } from '#shared/domain/errors.ts';
import { isTestSubscriptionId, TEST_SUBSCRIPTION_PREFIX } from '#shared/domain/test-subscriptions.ts';
import { validateUsageEvent } from '#shared/domain/usage/ingest-validation.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import {
  type FulfillmentNotification,
  type HandleFulfillmentWebhookDeps,
  handleFulfillmentWebhook,
} from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';
import type { OperationAnswer } from '#shared/use-cases/fulfillment/ports/operation-answer-queue.ts';
import type { WebhookCaller } from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';
import { aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemoryLifecyclePublisher } from '#test/helpers/in-memory-lifecycle-publisher.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [aPlan({ id: 'basic' }), aPlan({ id: 'team', pricingModel: 'perUser', minQuantity: 1, maxQuantity: 50 })],
    }),
  ],
});
const quiet = { info: () => undefined, warn: () => undefined };

/**
 * The webhook's use case with every way out to Microsoft recorded: the marketplace (Get Operation, Get Subscription,
 * PATCH, usage), the PATCH queue and the usage flush after a cancellation (the reporter's path).
 */
function setup() {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const queued: OperationAnswer[] = [];
  const flushed: string[] = [];
  const deps: HandleFulfillmentWebhookDeps = {
    subscriptions,
    marketplace,
    policy: catalogChangePolicy(catalog),
    lifecycle,
    audit: new InMemoryAuditLog(),
    answers: { queue: async (answer) => void queued.push(answer) },
    flushUsage: async (subscriptionId) => void flushed.push(subscriptionId),
    clock: new FixedClock('2026-01-20T12:00:00.000Z'),
    logger: quiet,
  };
  const aTestSubscription = async () => {
    const subscription = aSubscription({
      id: `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`,
      planId: 'team',
      quantity: 1,
      timeline: [{ from: '2026-01-20T11:00:00.000Z', status: 'Subscribed', planId: 'team', quantity: 1 }],
    });
    await subscriptions.createIfAbsent(subscription);
    return subscription;
  };
  const testCaller = (testSubscriptionId: string): WebhookCaller => ({
    tenantId: 'tenant',
    appId: 'app',
    tokenVersion: '2.0',
    testSubscriptionId,
  });
  const deliver = (
    notification: Partial<FulfillmentNotification> & { subscriptionId: string },
    caller?: WebhookCaller,
  ) =>
    handleFulfillmentWebhook(deps, {
      notification: {
        operationId: randomUUID(),
        action: 'ChangeQuantity',
        status: 'Succeeded',
        timeStamp: '2026-01-20T11:59:00.000Z',
        ...notification,
      },
      ...(caller ? { caller } : {}),
    });
  return { marketplace, subscriptions, lifecycle, queued, flushed, deps, aTestSubscription, testCaller, deliver };
}

describe('a test webhook (a smoke run signed it for its own test subscription)', () => {
  it('applies a Succeeded ChangeQuantity without a single call to Microsoft, and publishes its event', async () => {
    const { marketplace, subscriptions, lifecycle, queued, aTestSubscription, testCaller, deliver } = setup();
    const test = await aTestSubscription();

    const result = await deliver({ subscriptionId: test.id, quantity: 3 }, testCaller(test.id));

    expect(result.outcome).toBe('applied');
    expect(await subscriptions.get(test.id)).toMatchObject({ quantity: 3, status: 'Subscribed' });
    expect(lifecycle.published.map((event) => event.type)).toEqual(['QuantityChanged']);
    expect(marketplace.calls).toEqual([]);
    expect(queued).toEqual([]);
  });

  it('applies an Unsubscribe, and nothing of it reaches the reporter (no usage flush), unlike a real cancellation', async () => {
    const { marketplace, subscriptions, flushed, aTestSubscription, testCaller, deliver } = setup();
    const test = await aTestSubscription();
    // The same deps flush a real subscription's usage at its cancellation: the test path is what keeps it out.
    const real = aSubscription({ planId: 'team', quantity: 1 });
    await subscriptions.createIfAbsent(real);
    const realCancel = marketplace.addOperation({
      subscriptionId: real.id,
      action: 'Unsubscribe',
      status: 'Succeeded',
    });

    const result = await deliver({ subscriptionId: test.id, action: 'Unsubscribe' }, testCaller(test.id));
    await deliver({ subscriptionId: real.id, action: 'Unsubscribe', operationId: realCancel.id });

    expect(result.outcome).toBe('applied');
    expect((await subscriptions.get(test.id))?.status).toBe('Unsubscribed');
    expect(flushed).toEqual([real.id]);
    expect(marketplace.calls.map((call) => call.args[0])).not.toContain(test.id);
  });

  it('is a replay the second time, like any webhook', async () => {
    const { aTestSubscription, testCaller, deliver } = setup();
    const test = await aTestSubscription();
    const operationId = randomUUID();

    await deliver({ subscriptionId: test.id, action: 'Suspend', operationId }, testCaller(test.id));
    const again = await deliver({ subscriptionId: test.id, action: 'Suspend', operationId }, testCaller(test.id));

    expect(again.outcome).toBe('duplicate');
  });

  it('is refused, touching nothing, for a real subscription, even one the token would name', async () => {
    const { marketplace, subscriptions, lifecycle, deliver, testCaller } = setup();
    const real = aSubscription({ planId: 'team', quantity: 1 });
    await subscriptions.createIfAbsent(real);

    await expect(deliver({ subscriptionId: real.id, action: 'Unsubscribe' }, testCaller(real.id))).rejects.toThrow(
      UnauthenticatedError,
    );
    const otherTest = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
    await expect(deliver({ subscriptionId: real.id, action: 'Unsubscribe' }, testCaller(otherTest))).rejects.toThrow(
      'may touch only the test subscription its token names',
    );

    expect(await subscriptions.get(real.id)).toMatchObject({ status: 'Subscribed', quantity: 1 });
    expect(subscriptions.operationsOf(real.id)).toEqual([]);
    expect(lifecycle.published).toEqual([]);
    expect(marketplace.calls).toEqual([]);
  });

  it("is refused for another test subscription than the token's", async () => {
    const { aTestSubscription, testCaller, deliver, subscriptions } = setup();
    const mine = await aTestSubscription();
    const other = await aTestSubscription();

    await expect(deliver({ subscriptionId: other.id, quantity: 5 }, testCaller(mine.id))).rejects.toThrow(
      UnauthenticatedError,
    );
    expect((await subscriptions.get(other.id))?.quantity).toBe(1);
  });

  it.each([
    ['ChangeQuantity', 'InProgress'],
    ['ChangePlan', 'Succeeded'],
    ['Reinstate', 'InProgress'],
    ['Renew', 'Succeeded'],
    ['Subscribe', 'Succeeded'],
  ])('refuses %s %s: it would owe Microsoft a PATCH or need its view', async (action, status) => {
    const { marketplace, queued, aTestSubscription, testCaller, deliver } = setup();
    const test = await aTestSubscription();

    await expect(deliver({ subscriptionId: test.id, action, status }, testCaller(test.id))).rejects.toThrow(
      ValidationError,
    );
    expect(marketplace.calls).toEqual([]);
    expect(queued).toEqual([]);
  });
});

describe('test subscription ids', () => {
  it('are the reserved prefix and more; no GUID is one', () => {
    expect(isTestSubscriptionId(`${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`)).toBe(true);
    expect(isTestSubscriptionId(TEST_SUBSCRIPTION_PREFIX)).toBe(false);
    expect(isTestSubscriptionId(randomUUID())).toBe(false);
    expect(isTestSubscriptionId(`x${TEST_SUBSCRIPTION_PREFIX}1`)).toBe(false);
  });

  it('never have usage: an event for a stored, Subscribed test subscription is refused as unknown', () => {
    const subscription = aSubscription({
      id: `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`,
      planId: 'basic',
      timeline: [{ from: '2026-01-01T00:00:00.000Z', status: 'Subscribed', planId: 'basic' }],
    });
    const context = { now: new Date('2026-01-20T12:00:00Z'), maxLatenessMs: 86_400_000, catalog, subscription };
    const event = {
      subscriptionId: subscription.id,
      dimension: 'api-calls',
      quantity: 1,
      timestamp: '2026-01-20T11:00:00Z',
    };

    const sameAsReal = { ...subscription, id: randomUUID() };

    expect(validateUsageEvent(event, context)).toMatchObject({ status: 'rejected', reason: 'unknownSubscription' });
    // The same subscription under a marketplace id has its usage counted: only the id makes the difference.
    expect(
      validateUsageEvent({ ...event, subscriptionId: sameAsReal.id }, { ...context, subscription: sameAsReal }),
    ).toMatchObject({ status: 'accepted' });
  });
});

describe('TestWebhookAuthenticator', () => {
  const appId = randomUUID();
  const entraCaller: WebhookCaller = { tenantId: 'tenant', appId, tokenVersion: '2.0' };

  async function setupAuthenticator() {
    const entraCalls: (string | undefined)[] = [];
    const keyReads: string[] = [];
    const keys = new Map<string, JWK>();
    const authenticator = new TestWebhookAuthenticator(
      {
        verify: async (authorization) => {
          entraCalls.push(authorization);
          return entraCaller;
        },
      },
      {
        appId,
        tenantId: 'tenant',
        keys: {
          webhookKeyOf: async (subscriptionId) => {
            keyReads.push(subscriptionId);
            return keys.get(subscriptionId);
          },
        },
      },
    );
    const pair = await generateKeyPair(TEST_WEBHOOK_ALGORITHM);
    const sign = (claims: { iss?: string; sub: string }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: TEST_WEBHOOK_ALGORITHM })
        .setIssuer(claims.iss ?? TEST_WEBHOOK_ISSUER)
        .setSubject(claims.sub)
        .setAudience(appId)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(pair.privateKey);
    const register = async (subscriptionId: string) => keys.set(subscriptionId, await exportJWK(pair.publicKey));
    return { authenticator, entraCalls, keyReads, sign, register };
  }

  it("hands every token that is not a test token to the Entra check, unchanged: Microsoft's webhooks work as before", async () => {
    const { authenticator, entraCalls, keyReads, sign } = await setupAuthenticator();
    const microsoftLike = await sign({ iss: 'https://sts.windows.net/tenant/', sub: randomUUID() });

    expect(await authenticator.verify(`Bearer ${microsoftLike}`, {})).toEqual(entraCaller);
    expect(await authenticator.verify(undefined, {})).toEqual(entraCaller);
    expect(entraCalls).toEqual([`Bearer ${microsoftLike}`, undefined]);
    expect(keyReads).toEqual([]);
  });

  it('names the test subscription of a test token signed with its registered key', async () => {
    const { authenticator, entraCalls, sign, register } = await setupAuthenticator();
    const id = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
    await register(id);

    expect(await authenticator.verify(`Bearer ${await sign({ sub: id })}`, {})).toMatchObject({
      testSubscriptionId: id,
    });
    expect(entraCalls).toEqual([]);
  });

  it('refuses a test token naming a real subscription without reading any key', async () => {
    const { authenticator, keyReads, sign, register } = await setupAuthenticator();
    const real = randomUUID();
    await register(real);

    await expect(authenticator.verify(`Bearer ${await sign({ sub: real })}`, {})).rejects.toThrow(UnauthenticatedError);
    expect(keyReads).toEqual([]);
  });

  it('refuses a test token for a test subscription that has no key registered', async () => {
    const { authenticator, sign, register } = await setupAuthenticator();
    const withKey = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
    const withoutKey = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
    await register(withKey);

    await expect(authenticator.verify(`Bearer ${await sign({ sub: withoutKey })}`, {})).rejects.toThrow(
      'no live test key',
    );
  });
});
