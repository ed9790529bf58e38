import { describe, expect, it } from 'vitest';
import { periodAt, type Subscription } from '#shared/domain/subscription.ts';
import { catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import { subscriptionFromMarketplace } from '#shared/use-cases/fulfillment/marketplace-subscription.ts';
import {
  type RequestSubscriptionChangeDeps,
  requestSubscriptionChange,
} from '#shared/use-cases/fulfillment/request-subscription-change.ts';
import {
  PENDING_PURCHASE_NOTICE_ID,
  type SyncSubscriptionsDeps,
  syncSubscriptions,
} from '#shared/use-cases/fulfillment/sync-subscriptions.ts';
import type { MarketplaceSubscription } from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
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
const quiet = { info: () => undefined, warn: () => undefined };
const TERM = { termUnit: 'P1M', startDate: '2026-01-06T00:00:00Z', endDate: '2026-02-05T00:00:00Z' } as const;

function setup() {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const clock = new FixedClock('2026-01-20T12:00:00.000Z');
  const deps: SyncSubscriptionsDeps = {
    marketplace,
    subscriptions,
    lifecycle,
    clock,
    catalog,
    logger: quiet,
    pendingPurchaseAlertMinutes: 60,
  };
  const sync = () => syncSubscriptions(deps);
  /** Subscribed on `team` with 5 seats since Jan 6, at Microsoft and in our store. */
  const anActiveSubscription = async (overrides: Partial<MarketplaceSubscription> = {}) => {
    const remote = marketplace.addSubscription({
      planId: 'team',
      quantity: 5,
      saasSubscriptionStatus: 'Subscribed',
      term: TERM,
      created: '2026-01-06T09:00:00Z',
      lastModified: '2026-01-06T10:00:00Z',
      ...overrides,
    });
    await subscriptions.createIfAbsent(subscriptionFromMarketplace(remote, new Date('2026-01-06T10:00:00Z')));
    return remote;
  };
  /** Microsoft changes the subscription without telling us (the webhook never arrived). */
  const microsoftChanges = (remote: MarketplaceSubscription, change: Partial<MarketplaceSubscription>) =>
    marketplace.subscriptions.set(remote.id, { ...remote, lastModified: '2026-01-19T08:00:00Z', ...change });
  const events = () => lifecycle.published.map((event) => `${event.type} ${event.subscriptionId}`);
  return { deps, marketplace, subscriptions, lifecycle, clock, sync, anActiveSubscription, microsoftChanges, events };
}

describe('syncSubscriptions: purchases never opened on the landing page', () => {
  it('stores a purchase it never saw and reports it once, when it is older than the alert age', async () => {
    const { marketplace, subscriptions, lifecycle, sync } = setup();
    const purchase = marketplace.addSubscription({ created: '2026-01-20T10:30:00Z' });

    const first = await sync();
    const second = await sync();

    expect(first).toMatchObject({ listed: 1, created: 1, pendingReported: 1, failed: 0 });
    expect(second).toMatchObject({ listed: 1, created: 0, pendingReported: 0 });
    expect(await subscriptions.get(purchase.id)).toMatchObject({ status: 'PendingFulfillmentStart', planId: 'basic' });
    expect(lifecycle.published).toEqual([
      expect.objectContaining({
        type: 'PendingPurchaseNotOpened',
        subscriptionId: purchase.id,
        planId: 'basic',
        at: '2026-01-20T10:30:00.000Z',
        operationId: PENDING_PURCHASE_NOTICE_ID,
      }),
    ]);
  });

  it('waits until the purchase is older than the alert age', async () => {
    const { marketplace, clock, sync, events } = setup();
    const purchase = marketplace.addSubscription({ created: '2026-01-20T11:30:00Z' });

    const early = await sync();
    clock.advanceMinutes(31);
    const later = await sync();

    expect(early).toMatchObject({ created: 1, pendingReported: 0 });
    expect(later).toMatchObject({ created: 0, pendingReported: 1 });
    expect(events()).toEqual([`PendingPurchaseNotOpened ${purchase.id}`]);
  });

  it('publishes a notice whose first publish failed on the next run, and only once', async () => {
    const { marketplace, lifecycle, sync, events } = setup();
    const purchase = marketplace.addSubscription({ created: '2026-01-20T08:00:00Z' });
    lifecycle.failNext();

    const failed = await sync();
    await sync();
    await sync();

    expect(failed.failed).toBe(1);
    expect(events()).toEqual([`PendingPurchaseNotOpened ${purchase.id}`]);
  });

  it('does not report a purchase that the landing page stored and activated meanwhile', async () => {
    const { marketplace, sync, events, anActiveSubscription } = setup();
    await anActiveSubscription({ created: '2026-01-01T00:00:00Z' });
    marketplace.addSubscription({ offerId: 'another-offer', created: '2026-01-01T00:00:00Z' });
    marketplace.addSubscription({ saasSubscriptionStatus: 'Unsubscribed', created: '2026-01-01T00:00:00Z' });

    const summary = await sync();

    expect(summary).toMatchObject({ listed: 2, otherOffers: 1, created: 0, pendingReported: 0, changesApplied: 0 });
    expect(events()).toEqual([]);
  });
});

describe('syncSubscriptions: changes no webhook brought', () => {
  it('applies a missed suspension at Microsoft’s lastModified, with its event, and nothing the second time', async () => {
    const { subscriptions, sync, lifecycle, anActiveSubscription, microsoftChanges } = setup();
    const remote = await anActiveSubscription();
    microsoftChanges(remote, { saasSubscriptionStatus: 'Suspended' });

    const first = await sync();
    const second = await sync();

    const stored = await subscriptions.get(remote.id);
    expect(first.changesApplied).toBe(1);
    expect(second.changesApplied).toBe(0);
    expect(stored?.status).toBe('Suspended');
    // Usage before the suspension stays reportable; after it, it is not (DESIGN invariant 2).
    expect(periodAt(stored as Subscription, new Date('2026-01-19T07:59:00Z'))?.status).toBe('Subscribed');
    expect(periodAt(stored as Subscription, new Date('2026-01-19T08:00:00Z'))?.status).toBe('Suspended');
    expect(lifecycle.published).toEqual([
      expect.objectContaining({ type: 'Suspended', subscriptionId: remote.id, at: '2026-01-19T08:00:00.000Z' }),
    ]);
  });

  it('reads a lastModified without a zone as UTC, whatever the host time zone', async () => {
    const { subscriptions, sync, anActiveSubscription, microsoftChanges } = setup();
    const remote = await anActiveSubscription();
    microsoftChanges(remote, { saasSubscriptionStatus: 'Suspended', lastModified: '2026-01-19T08:00:00' });
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      await sync();
    } finally {
      process.env.TZ = zone;
      if (zone === undefined) delete process.env.TZ;
    }

    const stored = await subscriptions.get(remote.id);
    expect(periodAt(stored as Subscription, new Date('2026-01-19T07:59:00Z'))?.status).toBe('Subscribed');
    expect(periodAt(stored as Subscription, new Date('2026-01-19T08:00:00Z'))?.status).toBe('Suspended');
  });

  it.each([
    [
      'a reinstatement',
      { saasSubscriptionStatus: 'Suspended' },
      { saasSubscriptionStatus: 'Subscribed' },
      'Reinstated',
      { status: 'Subscribed' },
    ],
    ['a cancellation', {}, { saasSubscriptionStatus: 'Unsubscribed' }, 'Unsubscribed', { status: 'Unsubscribed' }],
    ['a seat change', {}, { quantity: 12 }, 'QuantityChanged', { quantity: 12 }],
    [
      'a plan change (with the seats Microsoft gives the new plan)',
      {},
      { planId: 'pro', quantity: undefined },
      'PlanChanged',
      { planId: 'pro' },
    ],
    [
      'a renewal (the term moved)',
      {},
      { term: { termUnit: 'P1M', startDate: '2026-02-06T00:00:00Z', endDate: '2026-03-05T00:00:00Z' } },
      'Renewed',
      { term: { termUnit: 'P1M', startDate: '2026-02-06T00:00:00Z', endDate: '2026-03-05T00:00:00Z' } },
    ],
  ] as const)('applies %s once', async (_case, before, after, eventType, expected) => {
    const { subscriptions, sync, events, anActiveSubscription, microsoftChanges } = setup();
    const remote = await anActiveSubscription(before as Partial<MarketplaceSubscription>);
    microsoftChanges(remote, after as Partial<MarketplaceSubscription>);

    await sync();
    await sync();

    expect(await subscriptions.get(remote.id)).toMatchObject(expected);
    expect(events()).toEqual([`${eventType} ${remote.id}`]);
  });

  it('drops the seats of a plan change to a flat-rate plan', async () => {
    const { subscriptions, sync, anActiveSubscription, microsoftChanges } = setup();
    const remote = await anActiveSubscription();
    microsoftChanges(remote, { planId: 'basic', quantity: undefined });

    await sync();

    const stored = await subscriptions.get(remote.id);
    expect(stored).toMatchObject({ planId: 'basic' });
    expect(stored?.quantity).toBeUndefined();
  });

  it('records an activation done without the landing page under the activation’s own operation, then a suspension after it', async () => {
    const { marketplace, subscriptions, sync, events } = setup();
    const remote = marketplace.addSubscription({
      created: '2026-01-20T11:50:00Z',
      lastModified: '2026-01-20T11:50:00Z',
    });
    await sync();
    marketplace.subscriptions.set(remote.id, {
      ...remote,
      saasSubscriptionStatus: 'Suspended',
      term: TERM,
      lastModified: '2026-01-20T11:55:00Z',
    });

    await sync();

    const stored = await subscriptions.get(remote.id);
    expect(stored).toMatchObject({ status: 'Suspended', term: TERM });
    expect(stored?.timeline?.map((period) => period.status)).toEqual([
      'PendingFulfillmentStart',
      'Subscribed',
      'Suspended',
    ]);
    expect(events()).toEqual([`SubscriptionActivated ${remote.id}`, `Suspended ${remote.id}`]);
    expect(await subscriptions.getOperation(remote.id, 'activate')).toMatchObject({
      state: 'applied',
      outcome: 'applied',
    });
  });

  it('never undoes a change a webhook applied after List answered: it decides on a fresh Get Subscription', async () => {
    const { marketplace, subscriptions, sync, events, anActiveSubscription } = setup();
    const remote = await anActiveSubscription();
    // The webhook applied a seat change at Microsoft and in our store; the List page is older than that.
    const stale = { ...remote };
    marketplace.subscriptions.set(remote.id, { ...remote, quantity: 9 });
    const stored = await subscriptions.read(remote.id);
    await subscriptions.save({ ...(stored?.subscription as Subscription), quantity: 9 }, stored?.version);
    marketplace.listSubscriptionsPage = async () => ({ subscriptions: [stale] });

    const summary = await sync();

    expect(summary.changesApplied).toBe(0);
    expect(await subscriptions.get(remote.id)).toMatchObject({ quantity: 9 });
    expect(events()).toEqual([]);
  });

  it('never re-dates a publisher change applied at its operation’s time stamp: the sync finds nothing to do', async () => {
    const { deps, marketplace, subscriptions, clock, sync, events, anActiveSubscription } = setup();
    const remote = await anActiveSubscription();
    const publisherDeps: RequestSubscriptionChangeDeps = {
      ...deps,
      policy: catalogChangePolicy(catalog),
      sleep: async () => {
        // Microsoft finishes the change at 11:59:58 and its subscription shows the new seats from then on.
        for (const [id, operation] of marketplace.operations) {
          marketplace.operations.set(id, { ...operation, status: 'Succeeded', timeStamp: '2026-01-20T11:59:58Z' });
        }
        marketplace.subscriptions.set(remote.id, { ...remote, quantity: 12, lastModified: '2026-01-20T11:59:58Z' });
      },
    };
    await requestSubscriptionChange(publisherDeps, aPublisher(), {
      subscriptionId: remote.id,
      request: { kind: 'quantity', quantity: 12 },
    });
    const applied = await subscriptions.get(remote.id);
    clock.advanceMinutes(60);

    const summary = await sync();

    expect(applied?.timeline?.at(-1)).toMatchObject({ from: '2026-01-20T11:59:58.000Z', quantity: 12 });
    expect(summary.changesApplied).toBe(0);
    expect(await subscriptions.get(remote.id)).toEqual(applied);
    expect(periodAt(applied as Subscription, new Date('2026-01-20T11:59:59Z'))).toMatchObject({ quantity: 12 });
    expect(events()).toEqual([`QuantityChanged ${remote.id}`]);
  });

  it('leaves a subscription alone when it changes under the sync, and applies nothing twice', async () => {
    const { subscriptions, sync, events, anActiveSubscription, microsoftChanges } = setup();
    const remote = await anActiveSubscription();
    microsoftChanges(remote, { quantity: 12 });
    let raced = false;
    subscriptions.beforeApply = async (change) => {
      if (raced) return;
      raced = true;
      const current = await subscriptions.read(change.subscription.id);
      await subscriptions.save({ ...(current?.subscription as Subscription), quantity: 20 }, current?.version);
    };

    const summary = await sync();

    expect(summary.changesApplied).toBe(0);
    expect(await subscriptions.get(remote.id)).toMatchObject({ quantity: 20 });
    expect(events()).toEqual([]);
  });

  it('reads every page, and keeps going when one subscription fails', async () => {
    const { marketplace, subscriptions, sync, anActiveSubscription, microsoftChanges } = setup();
    marketplace.pageSize = 2;
    const remotes = [];
    for (let index = 0; index < 5; index++) remotes.push(await anActiveSubscription());
    for (const remote of remotes) microsoftChanges(remote, { saasSubscriptionStatus: 'Suspended' });
    marketplace.failNext(
      'getSubscription',
      new MarketplaceUnavailableError('down', { operation: 'getSubscription', status: 503, attempts: 4 }),
    );

    const first = await sync();
    const second = await sync();

    expect(marketplace.callsOf('listSubscriptionsPage').length).toBe(6);
    expect(first).toMatchObject({ listed: 5, changesApplied: 4, failed: 1 });
    expect(second).toMatchObject({ listed: 5, changesApplied: 1, failed: 0 });
    for (const remote of remotes) expect((await subscriptions.get(remote.id))?.status).toBe('Suspended');
  });

  it('throws when List Subscriptions cannot be read at all', async () => {
    const { marketplace, sync } = setup();
    marketplace.failNext(
      'listSubscriptionsPage',
      new MarketplaceUnavailableError('down', { operation: 'listSubscriptions', status: 503, attempts: 4 }),
    );

    await expect(sync()).rejects.toThrow(MarketplaceUnavailableError);
  });
});
