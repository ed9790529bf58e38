import { describe, expect, it } from 'vitest';
import {
  EXPIRING_OPERATIONS_NOTICE_ID,
  expiringNoticeId,
  PENDING_PURCHASE_EXPIRED_ID,
  type SyncSubscriptionsDeps,
  syncSubscriptions,
} from '#shared/use-cases/fulfillment/sync-subscriptions.ts';
import type { OperationsNotice } from '#shared/use-cases/ports/operations-notifier.ts';
import { aCatalog } from '#test/builders/catalog.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemoryLifecyclePublisher } from '#test/helpers/in-memory-lifecycle-publisher.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const PURCHASED = '2026-03-01T10:00:00.000Z';
const DAY = 86_400_000;
const quiet = { info: () => undefined, warn: () => undefined };
const onDay = (day: number, extraMs = 0) => new Date(Date.parse(PURCHASED) + day * DAY + extraMs).toISOString();

function setup() {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const audit = new InMemoryAuditLog();
  const notices: OperationsNotice[] = [];
  const clock = new FixedClock(PURCHASED);
  const deps: SyncSubscriptionsDeps = {
    marketplace,
    subscriptions,
    lifecycle,
    clock,
    catalog: aCatalog(),
    logger: quiet,
    pendingPurchaseAlertMinutes: 60,
    operations: { notify: async (notice) => void notices.push(notice) },
    audit,
  };
  const purchase = marketplace.addSubscription({ created: PURCHASED });
  const expiring = () => lifecycle.published.filter((event) => event.type === 'PendingPurchaseExpiring');
  return { deps, marketplace, subscriptions, lifecycle, audit, notices, clock, purchase, expiring };
}

describe('the 30-day deadline of a purchase never activated', () => {
  it('warns at days 7, 21 and 28 only, once each across repeated runs, with the days left', async () => {
    const { deps, clock, purchase, expiring, notices } = setup();
    const raisedOn: Record<string, number[]> = {};

    for (const day of [0, 6, 7, 20, 21, 27, 28, 29]) {
      for (const hour of [0, 1, 2]) {
        clock.set(onDay(day, hour * 3_600_000 + 60_000));
        const before = expiring().length;
        await syncSubscriptions(deps);
        for (const event of expiring().slice(before)) {
          raisedOn[day] = [...(raisedOn[day] ?? []), event.daysLeft ?? -1];
        }
      }
    }

    expect(raisedOn).toEqual({ 7: [23], 21: [9], 28: [2] });
    expect(expiring()).toEqual([
      expect.objectContaining({ subscriptionId: purchase.id, at: onDay(7), operationId: expiringNoticeId(7) }),
      expect.objectContaining({ at: onDay(21), operationId: expiringNoticeId(21) }),
      expect.objectContaining({ at: onDay(28), operationId: expiringNoticeId(28), deadline: onDay(30) }),
    ]);
    expect(notices).toEqual([
      expect.objectContaining({ kind: 'PendingPurchaseExpiring', subscriptionId: purchase.id }),
    ]);
    expect(notices[0]?.message).toContain(onDay(30));
  });

  it('raises only the latest day reached when the sync first sees the purchase late', async () => {
    const { deps, clock, expiring } = setup();
    clock.set(onDay(22));

    const summary = await syncSubscriptions(deps);

    expect(summary.expiringReported).toBe(1);
    expect(expiring().map((event) => event.daysLeft)).toEqual([9]);
  });

  it('stops warning once the purchase is activated', async () => {
    const { deps, clock, marketplace, purchase, expiring } = setup();
    clock.set(onDay(7, 60_000));
    await syncSubscriptions(deps);
    marketplace.subscriptions.set(purchase.id, {
      ...purchase,
      saasSubscriptionStatus: 'Subscribed',
      term: { termUnit: 'P1M', startDate: onDay(8), endDate: '2026-04-08' },
    });
    clock.set(onDay(8));
    await syncSubscriptions(deps);
    clock.set(onDay(21, 60_000));

    await syncSubscriptions(deps);

    expect(expiring().map((event) => event.daysLeft)).toEqual([23]);
  });

  it('publishes a warning whose publish failed on the next run, still once', async () => {
    const { deps, clock, lifecycle, expiring } = setup();
    clock.set(onDay(7, 60_000));
    await syncSubscriptions(deps); // stores it and reports PendingPurchaseNotOpened; day 7 claimed and published
    const claimed = expiring().length;
    lifecycle.failNext();
    clock.set(onDay(21, 60_000));
    const failed = await syncSubscriptions(deps);
    clock.set(onDay(21, 3_660_000));
    await syncSubscriptions(deps);
    await syncSubscriptions(deps);

    expect(claimed).toBe(1);
    expect(failed.failed).toBe(1);
    expect(expiring().map((event) => event.daysLeft)).toEqual([23, 9]);
  });

  it('records a purchase Microsoft deleted at day 30 as Unsubscribed (expiredUnfulfilled), with an audit entry, once', async () => {
    const { deps, clock, marketplace, subscriptions, lifecycle, audit, purchase } = setup();
    clock.set(onDay(29));
    await syncSubscriptions(deps);
    marketplace.subscriptions.delete(purchase.id); // day 30: Get Subscription 404, absent from List
    clock.set(onDay(30, 60_000));

    const first = await syncSubscriptions(deps);
    const second = await syncSubscriptions(deps);

    expect(first.expiredRecorded).toBe(1);
    expect(second.expiredRecorded).toBe(0);
    expect(await subscriptions.get(purchase.id)).toMatchObject({ status: 'Unsubscribed' });
    expect(lifecycle.published.filter((event) => event.type === 'Unsubscribed')).toEqual([
      expect.objectContaining({
        subscriptionId: purchase.id,
        reason: 'expiredUnfulfilled',
        operationId: PENDING_PURCHASE_EXPIRED_ID,
      }),
    ]);
    expect((await subscriptions.getOperation(purchase.id, PENDING_PURCHASE_EXPIRED_ID))?.action).toBe(
      'PendingPurchaseExpired',
    );
    expect((await audit.list(purchase.id)).entries).toEqual([
      expect.objectContaining({ kind: 'sync', what: 'PendingPurchaseExpired' }),
    ]);
  });

  it('leaves a stored pending purchase alone while Microsoft still has it, even when List left it out', async () => {
    const { deps, clock, marketplace, subscriptions, purchase } = setup();
    clock.set(onDay(1));
    await syncSubscriptions(deps);
    const listSubscriptions = marketplace.listSubscriptions.bind(marketplace);
    marketplace.listSubscriptions = async function* (options) {
      for await (const remote of listSubscriptions(options)) if (remote.id !== purchase.id) yield remote;
    };

    const summary = await syncSubscriptions(deps);

    expect(summary.expiredRecorded).toBe(0);
    expect(await subscriptions.get(purchase.id)).toMatchObject({ status: 'PendingFulfillmentStart' });
    expect(await subscriptions.getOperation(purchase.id, EXPIRING_OPERATIONS_NOTICE_ID)).toBeUndefined();
  });
});
