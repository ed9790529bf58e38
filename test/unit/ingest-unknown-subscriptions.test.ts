import { beforeEach, describe, expect, it } from 'vitest';
import { CachingSubscriptionLookup } from '#shared/adapters/marketplace/caching-subscription-lookup.ts';
import { ServiceUnavailableError } from '#shared/domain/errors.ts';
import {
  type IngestUsageDeps,
  ingestUsage,
  MAX_LOOKUPS_PER_REQUEST,
  subscribedSince,
} from '#shared/use-cases/metering/ingest-usage.ts';
import { MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { aCatalog } from '#test/builders/catalog.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { aUsageEvent } from '#test/builders/usage.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';
import { InMemoryUsageQueue } from '#test/helpers/in-memory-usage-queue.ts';

const NOW = '2026-01-15T10:00:00.000Z';
const PURCHASED = '2026-01-15T09:00:00.000Z';
const unavailable = () =>
  new MarketplaceUnavailableError('Microsoft answered 503 three times', {
    operation: 'getSubscription',
    status: 503,
    attempts: 3,
  });

describe('usage for a subscription the store does not know yet', () => {
  let clock: FixedClock;
  let marketplace: FakeMarketplace;
  let store: InMemorySubscriptionStore;
  let queue: InMemoryUsageQueue;
  let connections: number;
  let lookup: CachingSubscriptionLookup;
  let deps: IngestUsageDeps;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    marketplace = new FakeMarketplace();
    store = new InMemorySubscriptionStore();
    queue = new InMemoryUsageQueue();
    connections = 0;
    lookup = new CachingSubscriptionLookup(async () => {
      connections += 1;
      return marketplace;
    }, clock);
    deps = {
      subscriptions: store,
      catalog: aCatalog(),
      clock,
      usageQueue: queue,
      countedEntries: new InMemoryUsageLedger(),
      maxLatenessHours: 168,
      unknownSubscriptions: { marketplace: lookup, store },
    };
  });

  /** Auto-activated at `PURCHASED`: Subscribed, its term starting at the purchase. */
  const anAutoActivatedPurchase = () =>
    marketplace.addSubscription({
      saasSubscriptionStatus: 'Subscribed',
      created: PURCHASED,
      term: { termUnit: 'P1M', startDate: PURCHASED, endDate: '2026-02-14' },
    });
  const getSubscriptionCalls = () => marketplace.callsOf('getSubscription').length;

  it('accepts usage Microsoft has Subscribed at the event’s time and stores the subscription for rating', async () => {
    const remote = anAutoActivatedPurchase();

    const result = await ingestUsage(deps, aPublisher(), {
      events: [aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T09:30:00Z', id: 'e1' })],
    });

    expect(result).toMatchObject({ accepted: 1, rejected: 0 });
    expect(queue.sent).toHaveLength(1);
    const stored = await store.get(remote.id);
    expect(stored).toMatchObject({ id: remote.id, status: 'Subscribed', planId: 'basic', offerId: remote.offerId });
    expect(stored?.timeline?.[0]).toMatchObject({ from: PURCHASED, status: 'Subscribed' });
  });

  it('rejects usage from before Microsoft had it Subscribed, and accepts the same subscription’s later usage', async () => {
    const remote = anAutoActivatedPurchase();

    const result = await ingestUsage(deps, aPublisher(), {
      events: [
        aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T08:59:59Z', id: 'before' }),
        aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T09:00:00Z', id: 'at' }),
      ],
    });

    expect(result.results.map((event) => [event.id, event.status, event.reason])).toEqual([
      ['before', 'rejected', 'notSubscribed'],
      ['at', 'accepted', undefined],
    ]);
  });

  it('rejects usage of a purchase Microsoft still has PendingFulfillmentStart, storing it as the sync would', async () => {
    const remote = marketplace.addSubscription({
      saasSubscriptionStatus: 'PendingFulfillmentStart',
      created: PURCHASED,
    });

    const result = await ingestUsage(deps, aPublisher(), {
      events: [aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T09:59:00Z' })],
    });

    expect(result.results[0]).toMatchObject({ status: 'rejected', reason: 'notSubscribed' });
    expect((await store.get(remote.id))?.status).toBe('PendingFulfillmentStart');
    expect(queue.sent).toHaveLength(0);
  });

  it('uses what a concurrent webhook or sync stored first, without overwriting it', async () => {
    const remote = anAutoActivatedPurchase();
    const storedByWebhook = aSubscription({
      id: remote.id,
      timeline: [{ from: '2026-01-15T09:10:00.000Z', status: 'Subscribed', planId: 'basic' }],
    });
    // The webhook stores it between our store read and our create.
    const racing = {
      createIfAbsent: async (subscription: Parameters<InMemorySubscriptionStore['createIfAbsent']>[0]) => {
        await store.createIfAbsent(storedByWebhook);
        return store.createIfAbsent(subscription);
      },
    };
    deps = { ...deps, unknownSubscriptions: { marketplace: lookup, store: racing } };

    const result = await ingestUsage(deps, aPublisher(), {
      events: [
        aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T09:05:00Z', id: 'before-webhook-period' }),
        aUsageEvent({ subscriptionId: remote.id, timestamp: '2026-01-15T09:15:00Z', id: 'in-webhook-period' }),
      ],
    });

    expect(result.results.map((event) => event.status)).toEqual(['rejected', 'accepted']);
    expect(await store.get(remote.id)).toEqual(storedByWebhook);
  });

  it('rejects an id Microsoft does not know, and asks Microsoft about it once per 5 minutes however often it comes', async () => {
    const request = { events: [aUsageEvent({ subscriptionId: 'f0e1d2c3-b4a5-4968-8776-655443322110' })] };

    const first = await ingestUsage(deps, aPublisher(), request);
    for (let retry = 0; retry < 20; retry++) await ingestUsage(deps, aPublisher(), request);
    clock.advanceMinutes(4);
    await ingestUsage(deps, aPublisher(), request);
    const callsWithinFiveMinutes = getSubscriptionCalls();
    clock.advanceMinutes(2);
    await ingestUsage(deps, aPublisher(), request);

    expect(first.results[0]).toMatchObject({ status: 'rejected', reason: 'unknownSubscription' });
    expect(callsWithinFiveMinutes).toBe(1);
    expect(getSubscriptionCalls()).toBe(2);
  });

  it('never asks Microsoft about an id that is not a GUID, and builds no client while every id is known', async () => {
    await store.put(aSubscription({ id: 'sub-1' }));

    const result = await ingestUsage(deps, aPublisher(), {
      events: [aUsageEvent({ subscriptionId: 'sub-1' }), aUsageEvent({ subscriptionId: 'tenant-42' })],
    });

    expect(result.results.map((event) => event.reason)).toEqual([undefined, 'unknownSubscription']);
    expect(getSubscriptionCalls()).toBe(0);
    expect(connections).toBe(0);
  });

  it('remembers Microsoft’s answer about a known subscription it did not store (Unsubscribed)', async () => {
    const remote = marketplace.addSubscription({ saasSubscriptionStatus: 'Unsubscribed', created: PURCHASED });
    const request = { events: [aUsageEvent({ subscriptionId: remote.id })] };

    const first = await ingestUsage(deps, aPublisher(), request);
    await ingestUsage(deps, aPublisher(), request);

    expect(first.results[0]).toMatchObject({ status: 'rejected', reason: 'unknownSubscription' });
    expect(await store.get(remote.id)).toBeUndefined();
    expect(getSubscriptionCalls()).toBe(1);
  });

  it('answers 503 during a Microsoft outage, queues nothing, and accepts the retried request once Microsoft is back', async () => {
    await store.put(aSubscription({ id: 'sub-1' }));
    const remote = anAutoActivatedPurchase();
    marketplace.failNext('getSubscription', unavailable());
    const request = {
      events: [
        aUsageEvent({ subscriptionId: 'sub-1', id: 'known' }),
        aUsageEvent({ subscriptionId: remote.id, id: 'new' }),
      ],
    };

    const during = ingestUsage(deps, aPublisher(), request);

    await expect(during).rejects.toThrow(ServiceUnavailableError);
    await expect(during).rejects.toThrow(/Microsoft could not be asked/);
    expect(queue.sent).toHaveLength(0);
    const after = await ingestUsage(deps, aPublisher(), request);
    expect(after).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('answers 503 when the marketplace client cannot be built, and builds it again on the next request', async () => {
    const remote = anAutoActivatedPurchase();
    let failBuild = true;
    const lookup = new CachingSubscriptionLookup(async () => {
      if (failBuild) throw new Error('the Entra secret could not be read');
      return marketplace;
    }, clock);
    deps = { ...deps, unknownSubscriptions: { marketplace: lookup, store } };
    const request = { events: [aUsageEvent({ subscriptionId: remote.id })] };

    await expect(ingestUsage(deps, aPublisher(), request)).rejects.toThrow(ServiceUnavailableError);
    failBuild = false;
    expect(await ingestUsage(deps, aPublisher(), request)).toMatchObject({ accepted: 1 });
  });

  it(`checks at most ${MAX_LOOKUPS_PER_REQUEST} unknown ids per request and converges over retries`, async () => {
    const remotes = Array.from({ length: MAX_LOOKUPS_PER_REQUEST + 5 }, () => anAutoActivatedPurchase());
    const request = { events: remotes.map((remote) => aUsageEvent({ subscriptionId: remote.id })) };

    await expect(ingestUsage(deps, aPublisher(), request)).rejects.toThrow(ServiceUnavailableError);
    const callsOfFirst = getSubscriptionCalls();
    const retried = await ingestUsage(deps, aPublisher(), request);

    expect(callsOfFirst).toBe(MAX_LOOKUPS_PER_REQUEST);
    expect(retried).toMatchObject({ accepted: remotes.length, rejected: 0 });
    expect(getSubscriptionCalls()).toBe(remotes.length);
  });

  it('keeps a bounded number of answers, forgetting the oldest first', async () => {
    const lookup = new CachingSubscriptionLookup(async () => marketplace, clock, { maxEntries: 3 });
    const ids = ['a', 'b', 'c', 'd'].map((letter) => `${letter.repeat(8)}-0000-4000-8000-000000000000`);

    for (const id of ids) await lookup.lookUp(id);
    await lookup.lookUp(ids[3] as string);
    await lookup.lookUp(ids[0] as string);

    expect(lookup.size).toBe(3);
    expect(marketplace.callsOf('getSubscription').map((call) => call.args[0])).toEqual([...ids, ids[0]]);
  });
});

describe('when Microsoft’s view says a subscription became Subscribed', () => {
  const now = new Date(NOW);
  const base = new FakeMarketplace().addSubscription();

  it('is its purchase for an auto-activated one (term starting at the purchase)', () => {
    const remote = {
      ...base,
      saasSubscriptionStatus: 'Subscribed',
      created: PURCHASED,
      term: { startDate: PURCHASED },
    };
    expect(subscribedSince(remote, now).toISOString()).toBe(PURCHASED);
  });

  it('is its term start for one activated after the purchase (a date alone from its midnight UTC)', () => {
    const remote = {
      ...base,
      saasSubscriptionStatus: 'Subscribed',
      created: '2026-01-10T08:00:00Z',
      term: { startDate: '2026-01-12' },
    };
    expect(subscribedSince(remote, now).toISOString()).toBe('2026-01-12T00:00:00.000Z');
  });

  it('is now when Microsoft gives no plausible instant, or the status is not Subscribed', () => {
    const never = { ...base, saasSubscriptionStatus: 'Subscribed', created: '0001-01-01T00:00:00', term: {} };
    const future = { ...base, saasSubscriptionStatus: 'Subscribed', created: '2026-02-01T00:00:00Z', term: {} };
    const pending = { ...base, saasSubscriptionStatus: 'PendingFulfillmentStart', created: PURCHASED };
    expect([never, future, pending].map((remote) => subscribedSince(remote, now).toISOString())).toEqual([
      NOW,
      NOW,
      NOW,
    ]);
  });
});
