import { beforeEach, describe, expect, it } from 'vitest';
import { validateCatalog } from '#shared/domain/catalog-rules.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { flushSubscriptionUsage } from '#shared/use-cases/metering/flush-subscription-usage.ts';
import { reconcileUsage } from '#shared/use-cases/metering/reconcile-usage.ts';
import { type ReportUsageDeps, reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import type { UsageEvent } from '#shared/use-cases/ports/marketplace.ts';
import { aMeteredSubscription, aMeteringCatalog, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { FakeMeteringMarketplace } from '#test/helpers/fake-metering-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryReportingLedger } from '#test/helpers/in-memory-reporting-ledger.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const H09 = '2026-01-15T09:00:00.000Z';
const H10 = '2026-01-15T10:00:00.000Z';
const H11 = '2026-01-15T11:00:00.000Z';
/** The first instant the 09:00 hour is reportable with the default 10-minute grace. */
const AFTER_H09 = '2026-01-15T10:10:00.000Z';
const AFTER_H10 = '2026-01-15T11:10:00.000Z';
const AFTER_H11 = '2026-01-15T12:10:00.000Z';

describe('reporting usage to the Metering API', () => {
  let clock: FixedClock;
  let ledger: InMemoryReportingLedger;
  let subscriptions: InMemorySubscriptionStore;
  let marketplace: FakeMeteringMarketplace;
  let alerts: RecordingMeteringAlerts;
  let deps: ReportUsageDeps;
  let subscription: Subscription;

  beforeEach(async () => {
    clock = new FixedClock(AFTER_H09);
    ledger = new InMemoryReportingLedger();
    subscriptions = new InMemorySubscriptionStore();
    marketplace = new FakeMeteringMarketplace(clock);
    alerts = new RecordingMeteringAlerts();
    deps = {
      ledger,
      subscriptions,
      catalog: aMeteringCatalog(),
      marketplace,
      alerts,
      clock,
      graceMinutes: 10,
    };
    subscription = aMeteredSubscription();
    await subscriptions.put(subscription);
  });

  const use = (hour: string, quantity: string, dimension = 'api-calls', of: Subscription = subscription) =>
    ledger.addUsage(of.id, dimension, hour, quantity);
  const sentFor = (hour: string, dimension = 'api-calls', of: Subscription = subscription) =>
    marketplace.sent.filter(
      (event) => event.resourceId === of.id && event.dimension === dimension && event.effectiveStartTime === hour,
    );
  const accepted = (hour: string, dimension = 'api-calls', of: Subscription = subscription) =>
    marketplace.accepted.get(FakeMeteringMarketplace.key(of.id, dimension, hour));
  const slot = (hour: string, dimension = 'api-calls', of: Subscription = subscription) =>
    ledger.slot(of.id, dimension, hour);

  it('uses a valid catalog', () => {
    expect(validateCatalog(aMeteringCatalog())).toEqual([]);
  });

  it('reports the overage of a closed hour once, with the plan in force, and drops the slot from the index', async () => {
    use(H09, '25');

    const summary = await reportUsage(deps);
    await reportUsage(deps);

    expect(marketplace.sent).toEqual<UsageEvent[]>([
      { resourceId: subscription.id, dimension: 'api-calls', quantity: 15, effectiveStartTime: H09, planId: 'small' },
    ]);
    expect(summary.answers.accepted).toBe(1);
    expect(slot(H09)).toMatchObject({
      indexed: false,
      submission: {
        state: 'accepted',
        quantity: '15',
        usageEventId: accepted(H09)?.usageEventId,
        consumedIncluded: '10',
        ratedUsage: '25',
      },
    });
    expect(await ledger.readReportedTotals('2026-01-15', '2026-01-15')).toEqual([
      { day: '2026-01-15', subscriptionId: subscription.id, dimension: 'api-calls', quantity: '15', eventCount: 1 },
    ]);
  });

  it('waits until the hour has closed and the grace has passed', async () => {
    use(H09, '25');
    clock.set('2026-01-15T10:09:59.000Z');

    await reportUsage(deps);
    expect(marketplace.sent).toEqual([]);

    clock.set(AFTER_H09);
    await reportUsage(deps);
    expect(sentFor(H09)).toHaveLength(1);
  });

  it('sends nothing for usage covered by the included quantity or on an unlimited dimension', async () => {
    use(H09, '4');
    use(H09, '1000000', 'reports');

    const summary = await reportUsage(deps);

    expect(marketplace.sent).toEqual([]);
    expect(summary.slotsIncluded).toBe(2);
    expect(slot(H09)).toMatchObject({ indexed: false, submission: { state: 'included', consumedIncluded: '4' } });
    expect(slot(H09, 'reports')?.submission).toMatchObject({ state: 'included', quantity: '0' });
  });

  it('counts a Duplicate carrying our quantity as accepted', async () => {
    use(H09, '25');
    const original = marketplace.preAccept({
      resourceId: subscription.id,
      dimension: 'api-calls',
      effectiveStartTime: H09,
      quantity: 15,
      planId: 'small',
    });

    const summary = await reportUsage(deps);

    expect(summary.answers).toMatchObject({ accepted: 1, duplicateMismatch: 0 });
    expect(slot(H09)?.submission).toMatchObject({
      state: 'accepted',
      answer: 'Duplicate',
      usageEventId: original.usageEventId,
    });
  });

  it('alarms on a Duplicate with another quantity and keeps the quantity Microsoft holds', async () => {
    use(H09, '25');
    marketplace.preAccept({
      resourceId: subscription.id,
      dimension: 'api-calls',
      effectiveStartTime: H09,
      quantity: 12,
      planId: 'small',
    });

    const summary = await reportUsage(deps);

    expect(summary.answers.duplicateMismatch).toBe(1);
    expect(slot(H09)).toMatchObject({
      indexed: false,
      submission: { state: 'duplicateMismatch', quantity: '15', acceptedQuantity: '12' },
    });
    expect((await ledger.readReportedTotals('2026-01-15', '2026-01-15'))[0]?.quantity).toBe('12');
  });

  it('folds an Expired answer into the next reportable hour’s event', async () => {
    use(H09, '25');
    marketplace.answerOnce(subscription.id, 'api-calls', H09, 'Expired');
    await reportUsage(deps);
    expect(slot(H09)?.submission).toMatchObject({ state: 'expiredFolded', quantity: '15' });
    expect((await ledger.readMeter(subscription.id, 'api-calls')).carryOverage.toString()).toBe('15');

    use(H10, '3');
    clock.set(AFTER_H10);
    await reportUsage(deps);

    // 10:00's own overage (3: the allowance is spent) plus the 15 folded from 09:00.
    expect(sentFor(H10)).toEqual([expect.objectContaining({ quantity: 18 })]);
    expect(slot(H10)?.submission).toMatchObject({ state: 'accepted', overage: '3', carriedOverage: '15' });
    expect((await ledger.readMeter(subscription.id, 'api-calls')).carryOverage.toString()).toBe('0');
  });

  it('puts a carry with no later usage into a slot of the latest closed hour', async () => {
    use(H09, '25');
    marketplace.answerOnce(subscription.id, 'api-calls', H09, 'Expired');
    await reportUsage(deps);

    clock.set(AFTER_H10);
    const summary = await reportUsage(deps);

    expect(summary.carryPlaced).toBe(1);
    expect(sentFor(H10)).toEqual([expect.objectContaining({ quantity: 15, planId: 'small' })]);
    expect(slot(H10)).toMatchObject({ indexed: false, submission: { state: 'accepted', carriedOverage: '15' } });
    expect(await ledger.findUnreported(new Date(AFTER_H11))).toEqual([]);
  });

  it('marks ResourceNotActive unreportable, flags the subscription and alerts the publisher once', async () => {
    use(H09, '25');
    use(H09, '30', 'gb-processed');
    marketplace.answerOnce(subscription.id, 'api-calls', H09, 'ResourceNotActive');
    marketplace.answerOnce(subscription.id, 'gb-processed', H09, 'ResourceNotActive');

    const summary = await reportUsage(deps);

    expect(summary.answers.unreportable).toBe(2);
    expect(slot(H09)).toMatchObject({
      indexed: false,
      submission: { state: 'unreportable', reason: 'ResourceNotActive' },
    });
    expect(ledger.flags.get(subscription.id)).toMatchObject({ status: 'ResourceNotActive', count: 2 });
    expect(alerts.published).toEqual([
      expect.objectContaining({
        type: 'MeteringRejected',
        subscriptionId: subscription.id,
        status: 'ResourceNotActive',
      }),
    ]);
  });

  it('rejects an InvalidDimension answer as a configuration bug, without sending it again', async () => {
    use(H09, '25');
    marketplace.answerOnce(subscription.id, 'api-calls', H09, 'InvalidDimension');

    const summary = await reportUsage(deps);
    clock.set(AFTER_H10);
    await reportUsage(deps);

    expect(summary.answers.rejected).toBe(1);
    expect(slot(H09)).toMatchObject({ indexed: false, submission: { state: 'rejected', reason: 'InvalidDimension' } });
    expect(sentFor(H09)).toHaveLength(1);
  });

  it.each([
    ['an Error answer', (fake: FakeMeteringMarketplace, id: string) => fake.answerOnce(id, 'api-calls', H09, 'Error')],
    ['429/5xx until the client gave up', (fake: FakeMeteringMarketplace) => fake.failCalls(1)],
  ])('keeps the event pending after %s and resends the same event on the next run', async (_case, script) => {
    use(H09, '25');
    script(marketplace, subscription.id);

    const first = await reportUsage(deps);
    expect(first.answers.accepted).toBe(0);
    expect(slot(H09)).toMatchObject({ indexed: true, submission: { state: 'pending', quantity: '15' } });

    // Usage of the next hour and the resend travel in the same run; the pending event is not rated again.
    use(H10, '1');
    clock.set(AFTER_H10);
    const second = await reportUsage(deps);

    expect(second.answers.accepted).toBe(2);
    expect(accepted(H09)).toMatchObject({ quantity: 15, planId: 'small' });
    expect(slot(H09)).toMatchObject({ indexed: false, submission: { state: 'accepted' } });
  });

  it('heals a crash after the submission: the resent event is answered Duplicate and recorded accepted', async () => {
    use(H09, '25');
    marketplace.loseAnswers(1);

    await reportUsage(deps);
    expect(slot(H09)?.submission?.state).toBe('pending');
    expect(marketplace.accepted.size).toBe(1);

    const next = await reportUsage(deps);

    expect(next.answers.accepted).toBe(1);
    expect(sentFor(H09)).toHaveLength(2);
    expect(new Set(sentFor(H09).map((event) => JSON.stringify(event))).size).toBe(1);
    expect(slot(H09)?.submission).toMatchObject({
      state: 'accepted',
      answer: 'Duplicate',
      usageEventId: accepted(H09)?.usageEventId,
    });
    expect(marketplace.accepted.size).toBe(1);
  });

  it('rates late usage for a reported hour in that hour’s term and adds its overage to the next event, never sending that hour again', async () => {
    use(H09, '25');
    await reportUsage(deps);
    use(H09, '7'); // arrives after 09:00 was reported
    use(H10, '3');
    clock.set(AFTER_H10);

    const summary = await reportUsage(deps);

    expect(summary.lateFolds).toBe(1);
    expect(sentFor(H09)).toHaveLength(1);
    expect(sentFor(H10)).toEqual([expect.objectContaining({ quantity: 10 })]);
    expect(slot(H09)).toMatchObject({ indexed: false, submission: { state: 'accepted', quantity: '15' } });
    expect(slot(H09)?.lateQuantity.toString()).toBe('7');
    // The 7 were rated in 09:00's term (allowance used up: all overage) and only that overage was carried.
    expect(slot(H10)?.submission).toMatchObject({
      ratedUsage: '3',
      overage: '3',
      carriedUsage: '0',
      carriedOverage: '7',
    });
  });

  it('bills late usage still inside its term’s allowance nothing, and leaves that allowance smaller', async () => {
    use(H09, '4'); // 10 included per term on small: 6 left
    await reportUsage(deps);
    use(H09, '5'); // late: 1 left
    use(H10, '3'); // 2 of it are overage
    clock.set(AFTER_H10);

    await reportUsage(deps);

    expect(sentFor(H09)).toHaveLength(0);
    expect(sentFor(H10)).toEqual([expect.objectContaining({ quantity: 2 })]);
    expect(slot(H10)?.submission).toMatchObject({ consumedIncluded: '1', overage: '2', carriedOverage: '0' });
  });

  it('reports nothing for hours in which the subscription was not Subscribed, and the hours before it', async () => {
    subscription = aMeteredSubscription({
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T10:30:00.000Z', status: 'Suspended', planId: 'small' },
      ],
    });
    await subscriptions.put(subscription);
    use(H09, '25');
    use(H10, '4'); // Subscribed until 10:30: reportable
    use(H11, '9'); // Suspended all hour
    clock.set(AFTER_H11);

    const summary = await reportUsage(deps);

    expect(marketplace.sent.map((event) => [event.effectiveStartTime, event.quantity])).toEqual([
      [H09, 15],
      [H10, 4],
    ]);
    expect(summary.unreportableSlots).toBe(1);
    expect(slot(H11)).toMatchObject({ indexed: false, submission: { state: 'unreportable', reason: 'notSubscribed' } });
    expect(slot(H11)?.unreportableQuantity.toString()).toBe('9');
    // The suspended hour consumed no allowance.
    expect((await ledger.readMeter(subscription.id, 'api-calls')).tally?.usageInTerm.toString()).toBe('29');
  });

  it('flushes a cancelled subscription at once, without the grace, and only that subscription', async () => {
    subscription = aMeteredSubscription({
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T10:30:00.000Z', status: 'Unsubscribed', planId: 'small' },
      ],
    });
    await subscriptions.put(subscription);
    const other = aMeteredSubscription();
    await subscriptions.put(other);
    use(H09, '25');
    use(H10, '4');
    use(H09, '40', 'api-calls', other);
    clock.set('2026-01-15T10:31:00.000Z');

    await flushSubscriptionUsage(deps, { subscriptionId: subscription.id, until: new Date('2026-01-15T10:30:00Z') });

    expect(marketplace.sent.map((event) => [event.resourceId, event.effectiveStartTime, event.quantity])).toEqual([
      [subscription.id, H09, 15],
      [subscription.id, H10, 4],
    ]);
  });

  it('resets the included quantity at the term anniversary, never at the calendar month', async () => {
    const hours = [
      '2026-01-31T23:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-02-05T23:00:00.000Z',
      '2026-02-06T00:00:00.000Z',
    ];
    for (const hour of hours) {
      use(hour, '8');
      clock.set(new Date(Date.parse(hour) + 70 * 60_000).toISOString());
      await reportUsage(deps);
    }

    // Term Jan 6 – Feb 5 includes 10: 8 + 2 included then 6 over on Feb 1 (no reset on the 1st), all over on Feb 5;
    // Feb 6 starts a new term with 10 included again.
    expect(marketplace.sent.map((event) => [event.effectiveStartTime, event.quantity])).toEqual([
      [hours[1], 6],
      [hours[2], 8],
    ]);
    expect(slot(hours[3] as string)?.submission).toMatchObject({
      state: 'included',
      termStart: '2026-02-06T00:00:00.000Z',
    });
  });

  it('sends the plan in force in each hour, and counts usage so far against the new plan’s allowance', async () => {
    subscription = aMeteredSubscription({
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T10:20:00.000Z', status: 'Subscribed', planId: 'large' },
      ],
    });
    await subscriptions.put(subscription);
    use(H09, '25');
    use(H10, '40');
    clock.set(AFTER_H10);

    await reportUsage(deps);

    // 09:00 on small: 10 included, 15 over. 10:00 on large (50 included): 25 used already, so 25 of 40 included.
    expect(marketplace.sent.map((event) => [event.effectiveStartTime, event.planId, event.quantity])).toEqual([
      [H09, 'small', 15],
      [H10, 'large', 15],
    ]);
  });

  it('rates a slot once when usage lands between its read and its write', async () => {
    use(H09, '25');
    let raced = false;
    ledger.beforeAccount = (step) => {
      if (!raced && step.slot.hour === H09) {
        raced = true;
        ledger.addUsage(subscription.id, 'api-calls', H09, '5');
      }
    };

    const summary = await reportUsage(deps);

    expect(summary.conflicts).toBe(1);
    expect(marketplace.sent).toEqual([expect.objectContaining({ effectiveStartTime: H09, quantity: 20 })]);
    expect(slot(H09)?.accountedQuantity.toString()).toBe('30');
  });

  it('sends each hour with one quantity when two runs overlap', async () => {
    for (const hour of [H09, H10]) {
      use(hour, '12');
      use(hour, '9', 'gb-processed');
    }
    clock.set(AFTER_H10);

    await Promise.all([
      reportUsage(deps),
      reportUsage(deps),
      flushSubscriptionUsage(deps, { subscriptionId: subscription.id, until: new Date(AFTER_H10) }),
    ]);

    const byKey = new Map<string, Set<number>>();
    for (const event of marketplace.sent) {
      const key = `${event.dimension}|${event.effectiveStartTime}`;
      byKey.set(key, (byKey.get(key) ?? new Set()).add(event.quantity));
    }
    expect([...byKey.values()].every((quantities) => quantities.size === 1)).toBe(true);
    expect(
      [...marketplace.accepted.values()]
        .map((event) => [event.dimension, event.effectiveStartTime, event.quantity])
        .sort(),
    ).toEqual(
      [
        ['api-calls', H09, 2],
        ['api-calls', H10, 12],
        ['gb-processed', H09, 4],
        ['gb-processed', H10, 9],
      ].sort(),
    );
  });

  it('folds the overage of an hour already outside the 24 h window without calling Microsoft', async () => {
    use('2026-01-14T09:00:00.000Z', '25');

    const summary = await reportUsage(deps);

    expect(summary.slotsFoldedOutsideWindow).toBe(1);
    expect(sentFor('2026-01-14T09:00:00.000Z')).toEqual([]);
    expect(sentFor(H09)).toEqual([expect.objectContaining({ quantity: 15 })]);
  });

  it('leaves usage of a plan missing from the catalog in the index, where its age raises the alarm', async () => {
    subscription = aMeteredSubscription({
      timeline: [{ from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'gone' }],
    });
    await subscriptions.put(subscription);
    use(H09, '25');
    clock.set('2026-01-16T06:00:00.000Z');

    const summary = await reportUsage(deps);

    expect(summary.blockedGroups).toBe(1);
    expect(marketplace.sent).toEqual([]);
    expect(summary.oldestUnreportedAgeHours).toBe(21);
  });

  describe('reconciliation', () => {
    it('finds no difference when the ledger matches Microsoft', async () => {
      use(H09, '25');
      use(H10, '3', 'gb-processed');
      await reportUsage(deps);

      const result = await reconcileUsage({ ledger, marketplace }, { from: '2026-01-15', to: '2026-01-15' });

      expect(result).toMatchObject({ compared: 1, matched: 1, differences: [] });
    });

    it('lists usage Microsoft holds that the ledger does not know', async () => {
      use(H09, '25');
      await reportUsage(deps);
      marketplace.preAccept({
        resourceId: subscription.id,
        dimension: 'gb-processed',
        effectiveStartTime: H10,
        quantity: 2.5,
        planId: 'small',
      });

      const result = await reconcileUsage({ ledger, marketplace }, { from: '2026-01-15', to: '2026-01-15' });

      expect(result.differences).toEqual([
        {
          day: '2026-01-15',
          subscriptionId: subscription.id,
          dimension: 'gb-processed',
          kind: 'missingInLedger',
          ledgerQuantity: '0',
          marketplaceQuantity: '2.5',
          difference: '2.5',
        },
      ]);
    });

    it('refuses a range that is not a range of days', async () => {
      await expect(reconcileUsage({ ledger, marketplace }, { from: '2026-01-15', to: '2026-01-14' })).rejects.toThrow(
        /after/,
      );
      await expect(reconcileUsage({ ledger, marketplace }, { from: '15/01/2026', to: '2026-01-14' })).rejects.toThrow(
        /YYYY-MM-DD/,
      );
    });
  });
});
