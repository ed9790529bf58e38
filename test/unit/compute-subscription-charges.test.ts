import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { computeSubscriptionCharges } from '#shared/use-cases/billing/compute-subscription-charges.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { ALERT_CATALOG, anActiveSubscription, callsAt } from '#test/builders/alert-evaluation.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

const text = (money: { toString(): string }) => money.toString();

async function ledgerWith(subscriptionId: string, usage: readonly (readonly [string, string])[]) {
  const ledger = new InMemoryUsageLedger();
  for (const [hour, calls] of usage) await applyUsageMessage({ ledger: ledger }, callsAt(subscriptionId, hour, calls));
  return ledger;
}

describe('computeSubscriptionCharges', () => {
  // Standard: ¥10,000 a month due on the anniversary (the 15th), 100 calls included per term, ¥1 per call above.
  const subscription = anActiveSubscription({ activatedAt: '2025-04-15T00:00:00.000Z', planId: 'standard' });
  const usage = [
    ['2025-04-20T09:00:00Z', '90'], // term 1 (4/15–5/15): 90 of 100 included
    ['2025-05-10T09:00:00Z', '30'], // term 1: 10 included, 20 overage → ¥20 in May
    ['2025-05-20T09:00:00Z', '150'], // term 2 (5/15–6/15): 100 included, 50 overage → ¥50 in May
    ['2025-06-01T09:00:00Z', '10'], // term 2: all overage → ¥10 in June
  ] as const;

  it('gives calendar months with their flat fees and overage, counting the allowance from the anniversary', async () => {
    const ledger = await ledgerWith(subscription.id, usage);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-06-03T00:00:00Z'), closedMonths: 2 },
    );

    expect(charges.closedMonths.map((m) => [m.month, text(m.flatFees), text(m.usageCharges), text(m.total)])).toEqual([
      ['2025-04', '10000 JPY', '0 JPY', '10000 JPY'],
      ['2025-05', '10000 JPY', '70 JPY', '10070 JPY'],
    ]);
    expect(charges.monthlyHistory.map((m) => [m.month, text(m.amount)])).toEqual([
      ['2025-04', '10000 JPY'],
      ['2025-05', '10070 JPY'],
    ]);
    expect(charges.closedMonths[1]?.dimensions).toEqual([
      { dimensionId: 'calls', quantity: '180', overageQuantity: '70', amount: expect.anything() },
    ]);
    expect(text(charges.monthToDate)).toBe('10 JPY');
  });

  it('gives the usage charges (never the flat fee) of the last local days, today so far included', async () => {
    const ledger = await ledgerWith(subscription.id, usage);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-05-16T12:00:00Z'), days: 4 },
    );

    // 5/15 is the day the second month's ¥10,000 falls due: not a spike, so not in the daily amounts.
    expect(charges.dailyUsageCharges.map((d) => [d.day, text(d.amount)])).toEqual([
      ['2025-05-13', '0 JPY'],
      ['2025-05-14', '0 JPY'],
      ['2025-05-15', '0 JPY'],
      ['2025-05-16', '0 JPY'],
    ]);
    expect(text(charges.monthToDate)).toBe('10020 JPY');
  });

  it('leaves out the days before the activation (no data, not zero)', async () => {
    const ledger = await ledgerWith(subscription.id, usage);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-04-16T12:00:00Z'), closedMonths: 6 },
    );

    expect(charges.dailyUsageCharges.map((d) => d.day)).toEqual(['2025-04-15', '2025-04-16']);
    expect(charges.closedMonths).toEqual([]);
  });

  it('forecasts the month end with the flat fee still to fall due', async () => {
    const ledger = await ledgerWith(subscription.id, usage);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-06-03T00:00:00Z'), forecast: true },
    );

    // ¥10,000 due on 6/15, plus the ¥10 of overage in two days run on to thirty (charges.ts FORECAST METHOD).
    expect(text(charges.forecast ?? '')).toBe('10150 JPY');
    // Based on the month so far: 6/1 00:00 to just after now.
    expect(charges.forecastBasis).toEqual({
      start: new Date('2025-06-01T00:00:00Z'),
      end: new Date('2025-06-03T00:00:00.001Z'),
    });
  });

  it('bases the forecast of the activation month on the time since the activation, not since the month start', async () => {
    const ledger = await ledgerWith(subscription.id, [['2025-04-15T00:00:00Z', '500']]);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-04-15T00:01:00Z'), forecast: true },
    );

    expect(charges.forecastBasis).toEqual({
      start: new Date('2025-04-15T00:00:00Z'),
      end: new Date('2025-04-15T00:01:00.001Z'),
    });
  });

  it('groups days and months in the given time zone', async () => {
    const metered = anActiveSubscription({ activatedAt: '2025-05-01T00:00:00.000Z', planId: 'metered' });
    // 2025-05-31T16:00Z is 6/1 01:00 in Tokyo.
    const ledger = await ledgerWith(metered.id, [['2025-05-31T16:00:00Z', '700']]);

    const tokyo = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription: metered, timeZone: 'Asia/Tokyo', currency: 'JPY', now: new Date('2025-06-01T03:00:00Z') },
    );
    const utc = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      { subscription: metered, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-06-01T03:00:00Z') },
    );

    expect(text(tokyo.monthToDate)).toBe('700 JPY');
    expect(tokyo.dailyUsageCharges.at(-1)).toMatchObject({ day: '2025-06-01' });
    expect(text(tokyo.dailyUsageCharges.at(-1)?.amount ?? '')).toBe('700 JPY');
    expect(text(utc.monthToDate)).toBe('0 JPY');
    expect(utc.monthlyHistory.map((m) => [m.month, text(m.amount)])).toEqual([['2025-05', '700 JPY']]);
  });

  it('reads the daily items once, from the term start of the oldest window, and no slot', async () => {
    const ranges: string[] = [];
    let slotReads = 0;
    const ledger = await ledgerWith(subscription.id, usage);
    const counting = {
      readDailyUsage: async (id: string, fromDay: string, toDay: string) => {
        ranges.push(`${fromDay} ${toDay}`);
        return ledger.readDailyUsage(id, fromDay, toDay);
      },
      readSlotQuantities: async (id: string, dimension: string, from: Date, to: Date) => {
        slotReads++;
        return ledger.readSlotQuantities(id, dimension, from, to);
      },
    };

    await computeSubscriptionCharges(
      { ledger: counting, catalog: ALERT_CATALOG },
      { subscription, timeZone: 'UTC', currency: 'JPY', now: new Date('2025-06-03T00:00:00Z'), closedMonths: 1 },
    );

    // The oldest window is May; the term in force on 5/1 started on 4/15: its allowance is counted from there. The
    // 50 days are read in 4 ranges side by side.
    expect(ranges).toEqual([
      '2025-04-15 2025-04-27',
      '2025-04-28 2025-05-10',
      '2025-05-11 2025-05-23',
      '2025-05-24 2025-06-03',
    ]);
    expect(slotReads).toBe(0);
  });

  it('charges the same from a day stored before the daily items carried hours: its hours come from its slots', async () => {
    const now = new Date('2025-06-03T00:00:00Z');
    const input = { subscription, timeZone: 'Asia/Tokyo', currency: 'JPY' as const, now, closedMonths: 1, days: 4 };
    const split = await ledgerWith(subscription.id, usage);
    const legacy = await ledgerWith(subscription.id, usage);
    for (const slot of legacy.slots.values()) legacy.forgetHourlySplit(slot.subscriptionId, slot.hour);

    const expected = await computeSubscriptionCharges({ ledger: split, catalog: ALERT_CATALOG }, input);
    const fromSlots = await computeSubscriptionCharges({ ledger: legacy, catalog: ALERT_CATALOG }, input);

    expect(fromSlots).toEqual(expected);
    expect(expected.closedMonths.length + expected.dailyUsageCharges.length).toBeGreaterThan(0);
  });

  it('charges nothing after the cancellation', async () => {
    const cancelled = {
      ...subscription,
      status: 'Unsubscribed' as const,
      timeline: [
        ...(subscription.timeline ?? []),
        { from: '2025-05-25T00:00:00.000Z', status: 'Unsubscribed' as const, planId: 'standard' },
      ],
    };
    const ledger = await ledgerWith(cancelled.id, usage);

    const charges = await computeSubscriptionCharges(
      { ledger, catalog: ALERT_CATALOG },
      {
        subscription: cancelled,
        timeZone: 'UTC',
        currency: 'JPY',
        now: new Date('2025-06-20T00:00:00Z'),
        forecast: true,
      },
    );

    expect(text(charges.monthToDate)).toBe('0 JPY');
    expect(text(charges.forecast ?? '')).toBe('0 JPY');
    expect(charges.closedMonths.at(-1)).toMatchObject({ month: '2025-05', complete: false });
  });

  it('refuses a currency the plan is not priced in', async () => {
    const ledger = await ledgerWith(subscription.id, usage);

    await expect(
      computeSubscriptionCharges(
        { ledger, catalog: ALERT_CATALOG },
        { subscription, timeZone: 'UTC', currency: 'EUR', now: new Date('2025-06-03T00:00:00Z') },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('planHistoryOf', () => {
  it('starts at the activation, follows plan and seat changes, and ends at the cancellation', () => {
    const subscription = {
      ...anActiveSubscription({ activatedAt: '2025-04-15T10:20:00.000Z', planId: 'seats', quantity: 5 }),
      timeline: [
        { from: '2025-04-15T10:00:00.000Z', status: 'PendingFulfillmentStart' as const, planId: 'seats', quantity: 5 },
        { from: '2025-04-15T10:20:00.000Z', status: 'Subscribed' as const, planId: 'seats', quantity: 5 },
        { from: '2025-05-01T00:00:00.000Z', status: 'Suspended' as const, planId: 'seats', quantity: 5 },
        { from: '2025-05-02T00:00:00.000Z', status: 'Subscribed' as const, planId: 'seats', quantity: 8 },
        { from: '2025-06-01T00:00:00.000Z', status: 'Unsubscribed' as const, planId: 'seats', quantity: 8 },
      ],
    };

    const planHistory = planHistoryOf(subscription, ALERT_CATALOG);

    expect(planHistory?.history.map((e) => [e.from.toISOString(), e.plan.id, e.quantity])).toEqual([
      ['2025-04-15T10:20:00.000Z', 'seats', 5],
      ['2025-05-02T00:00:00.000Z', 'seats', 8],
    ]);
    expect(planHistory?.history[0]?.termAnchor?.toISOString()).toBe('2025-04-15T00:00:00.000Z');
    expect(planHistory?.endsAt?.toISOString()).toBe('2025-06-01T00:00:00.000Z');
  });

  it('is undefined for a purchase never activated', () => {
    const pending = {
      ...anActiveSubscription({ activatedAt: '2025-04-15T10:20:00.000Z' }),
      timeline: [{ from: '2025-04-15T10:00:00.000Z', status: 'PendingFulfillmentStart' as const, planId: 'metered' }],
    };

    expect(planHistoryOf(pending, ALERT_CATALOG)).toBeUndefined();
  });
});
