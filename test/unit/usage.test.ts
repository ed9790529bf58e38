import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec } from '#shared/domain/money.ts';
import { type Subscription, withPeriod } from '#shared/domain/subscription.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import { validateUsageEvent } from '#shared/domain/usage/ingest-validation.ts';
import { markerMaterial } from '#shared/domain/usage/message-marker.ts';
import { aggregateIntoSlots } from '#shared/domain/usage/slot-aggregation.ts';
import { packSlots, transactionItemCount } from '#shared/domain/usage/transaction-packing.ts';
import type { AcceptedUsageEvent, UsageEventInput, UsageEventVerdict } from '#shared/domain/usage/usage-event.ts';
import { assertApplicableMessage, InvalidUsageMessageError } from '#shared/domain/usage/usage-message.ts';
import { parseQuantity } from '#shared/domain/usage/usage-quantity.ts';
import { totalsDeltasOf } from '#shared/domain/usage/usage-totals.ts';
import { aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageEvent, aUsageMessage } from '#test/builders/usage.ts';

const NOW = new Date('2026-01-15T10:00:00.000Z');
const HOUR = 3_600_000;
const catalog = aCatalog({
  offers: [
    anOffer({
      dimensions: [aDimension({ id: 'api-calls' }), aDimension({ id: 'storage', displayName: 'Storage' })],
      plans: [
        aPlan({ id: 'basic' }),
        aPlan({ id: 'gold', meteredDimensions: [aDimensionPrice({ dimensionId: 'storage' })] }),
        aPlan({ id: 'seats', pricingModel: 'perUser' }),
      ],
    }),
  ],
});
// Subscribed on basic from Jan 6, gold from Jan 15 09:00, suspended from Jan 15 09:45.
const subscription = withPeriod(
  withPeriod(
    withPeriod(aSubscription({ id: 'sub-1', timeline: [] }), {
      from: '2026-01-06T00:00:00.000Z',
      status: 'Subscribed',
      planId: 'basic',
    }),
    { from: '2026-01-15T09:00:00.000Z', status: 'Subscribed', planId: 'gold' },
  ),
  { from: '2026-01-15T09:45:00.000Z', status: 'Suspended', planId: 'gold' },
);

/** `null` stands for "no such subscription" (an explicit `undefined` would take the default). */
const validate = (overrides: Partial<UsageEventInput>, sub: Subscription | null = subscription): UsageEventVerdict =>
  validateUsageEvent(aUsageEvent({ dimension: 'api-calls', timestamp: '2026-01-14T12:00:00Z', ...overrides }), {
    now: NOW,
    maxLatenessMs: 168 * HOUR,
    catalog,
    subscription: sub ?? undefined,
  });

const reasonOf = (verdict: UsageEventVerdict) => (verdict.status === 'rejected' ? verdict.reason : 'accepted');

const accepted = (overrides: Partial<AcceptedUsageEvent> = {}): AcceptedUsageEvent => ({
  subscriptionId: 'sub-1',
  offerId: 'contoso-analytics',
  dimension: 'api-calls',
  hour: '2026-01-15T09:00:00.000Z',
  quantity: new Dec('1'),
  ...overrides,
});

describe('usage event quantity', () => {
  it('accepts a JSON number or a decimal string with up to 6 decimal places, exactly', () => {
    expect(parseQuantity(0.25)).toEqual({ ok: true, value: new Dec('0.25') });
    expect(parseQuantity('0.000001')).toEqual({ ok: true, value: new Dec('0.000001') });
    expect(parseQuantity('999999999.999999')).toEqual({ ok: true, value: new Dec('999999999.999999') });
    expect(parseQuantity(123456789.123456)).toEqual({ ok: true, value: new Dec('123456789.123456') });
  });

  it.each([
    [0, /greater than 0/],
    [-1, /greater than 0/],
    ['-1', /greater than 0/],
    ['0.0', /greater than 0/],
    [1.1234567, /7 decimal places.*round it to 1.123457/],
    ['1.1234567', /7 decimal places/],
    [1e-7, /decimal places/],
    [1e9, /too large/],
    ['1e3', /plain notation/],
    ['abc', /plain notation/],
    ['1,5', /plain notation/],
    [Number.POSITIVE_INFINITY, /finite/],
  ])('refuses %s with a message saying what to fix', (raw, message) => {
    const result = parseQuantity(raw);

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(message);
  });
});

describe('usage event validation', () => {
  it('accepts an event on a dimension of the plan in force and buckets it into its UTC hour', () => {
    const verdict = validate({ timestamp: '2026-01-14T19:59:59.999+09:00', quantity: '2.5', id: 'e1' });

    expect(verdict).toEqual({
      status: 'accepted',
      event: {
        subscriptionId: 'sub-1',
        offerId: 'contoso-analytics',
        dimension: 'api-calls',
        hour: '2026-01-14T10:00:00.000Z',
        quantity: new Dec('2.5'),
        id: 'e1',
      },
    });
  });

  it('checks the dimension against the plan in force at the event time, not the current plan', () => {
    const beforeChange = validate({ dimension: 'storage', timestamp: '2026-01-15T08:59:59Z' });
    const afterChange = validate({ dimension: 'storage', timestamp: '2026-01-15T09:00:00Z' });
    const oldDimensionAfterChange = validate({ dimension: 'api-calls', timestamp: '2026-01-15T09:10:00Z' });

    expect(reasonOf(beforeChange)).toBe('unknownDimension');
    expect(reasonOf(afterChange)).toBe('accepted');
    expect(oldDimensionAfterChange).toMatchObject({
      reason: 'unknownDimension',
      message: expect.stringContaining('valid dimensions: "storage"'),
    });
  });

  it('names the valid dimensions, and says so when the plan meters none', () => {
    const onSeats = withPeriod(subscription, {
      from: '2026-01-01T00:00:00.000Z',
      status: 'Subscribed',
      planId: 'seats',
    });
    const seatsOnly = { ...onSeats, timeline: onSeats.timeline?.slice(0, 1) };

    expect(validate({ dimension: 'API-CALLS' })).toMatchObject({
      reason: 'unknownDimension',
      message: expect.stringMatching(/"API-CALLS".*plan "basic".*valid dimensions: "api-calls".*case-sensitive/),
    });
    expect(validate({}, seatsOnly)).toMatchObject({ message: expect.stringContaining('no metered dimensions') });
  });

  it('refuses usage of a subscription whose plan is missing from the catalog as an unknown dimension', () => {
    const unknownPlan = aSubscription({ id: 'sub-x', planId: 'platinum' });

    expect(validate({}, unknownPlan)).toMatchObject({
      reason: 'unknownDimension',
      message: expect.stringContaining('not in the plan catalog'),
    });
  });

  it('refuses usage of an unknown subscription', () => {
    expect(validate({}, null)).toMatchObject({
      reason: 'unknownSubscription',
      message: expect.stringContaining('SaaS subscription id'),
    });
  });

  it('refuses usage stamped while the subscription was not Subscribed, and before it existed', () => {
    expect(validate({ dimension: 'storage', timestamp: '2026-01-15T09:45:00Z' })).toMatchObject({
      reason: 'notSubscribed',
      message: expect.stringContaining('was Suspended'),
    });
    const startedYesterday = withPeriod(aSubscription({ timeline: [] }), {
      from: '2026-01-14T12:00:00.000Z',
      status: 'Subscribed',
      planId: 'basic',
    });
    expect(validate({ timestamp: '2026-01-14T11:59:59Z' }, startedYesterday)).toMatchObject({
      reason: 'notSubscribed',
      message: expect.stringContaining('did not exist yet'),
    });
  });

  it('allows 5 minutes of clock skew into the future and no more', () => {
    expect(
      reasonOf(validate({ dimension: 'storage', timestamp: '2026-01-15T10:05:00Z' }, withStatus('Subscribed'))),
    ).toBe('accepted');
    expect(validate({ timestamp: '2026-01-15T10:05:00.001Z' })).toMatchObject({
      reason: 'timestampInFuture',
      message: expect.stringContaining('ahead of the server clock'),
    });
  });

  it('refuses usage older than the maximum lateness and accepts it up to that age', () => {
    const edge = new Date(NOW.getTime() - 168 * HOUR).toISOString();
    const tooOld = new Date(NOW.getTime() - 168 * HOUR - 1).toISOString();

    expect(reasonOf(validate({ timestamp: edge }))).toBe('accepted');
    expect(validate({ timestamp: tooOld })).toMatchObject({
      reason: 'timestampTooOld',
      message: expect.stringContaining('older than 168 hours'),
    });
  });

  it('checks the quantity first, then the time, then the subscription and dimension', () => {
    expect(reasonOf(validate({ quantity: 0, timestamp: '2030-01-01T00:00:00Z', dimension: 'nope' }))).toBe(
      'invalidQuantity',
    );
    expect(reasonOf(validate({ timestamp: '2030-01-01T00:00:00Z', dimension: 'nope' }, null))).toBe(
      'timestampInFuture',
    );
  });

  it('throws for a timestamp that is no instant at all (the edge refuses those as 400)', () => {
    expect(() => validate({ timestamp: 'yesterday' })).toThrow(ValidationError);
  });

  function withStatus(status: 'Subscribed') {
    return withPeriod(subscription, { from: '2026-01-15T09:50:00.000Z', status, planId: 'gold' });
  }
});

describe('slots', () => {
  it('sums quantities per subscription, dimension and hour exactly, without float drift', () => {
    const slots = aggregateIntoSlots([
      accepted({ quantity: new Dec('0.1'), id: 'a' }),
      accepted({ quantity: new Dec('0.2'), id: 'b' }),
      accepted({ dimension: 'storage', quantity: new Dec('3') }),
      accepted({ hour: '2026-01-15T08:00:00.000Z', quantity: new Dec('5') }),
    ]);

    expect(slots).toEqual([
      expect.objectContaining({
        hour: '2026-01-15T08:00:00.000Z',
        dimension: 'api-calls',
        quantity: '5',
        eventCount: 1,
      }),
      expect.objectContaining({
        hour: '2026-01-15T09:00:00.000Z',
        dimension: 'api-calls',
        quantity: '0.3',
        eventCount: 2,
      }),
      expect.objectContaining({ hour: '2026-01-15T09:00:00.000Z', dimension: 'storage', quantity: '3', eventCount: 1 }),
    ]);
    expect(slots[1]?.eventIds).toEqual(['a', 'b']);
  });

  it('counts the transaction items of a message: marker, slots, and one daily and monthly total per subscription', () => {
    const slots = [
      aSlot(),
      aSlot({ dimension: 'storage' }),
      aSlot({ hour: '2026-01-16T00:00:00.000Z' }),
      aSlot({ subscriptionId: 'sub-2', hour: '2026-02-01T00:00:00.000Z' }),
    ];

    // 1 marker + 4 slots + 3 days (sub-1 ×2, sub-2) + 2 months (sub-1 Jan, sub-2 Feb)
    expect(transactionItemCount(slots)).toBe(10);
  });

  it('packs slots into messages that stay within the item budget', () => {
    const slots = aggregateIntoSlots(
      Array.from({ length: 200 }, (_, index) =>
        accepted({ hour: new Date(Date.UTC(2026, 0, 1) + index * HOUR).toISOString() }),
      ),
    );

    const groups = packSlots(slots, 90);

    expect(groups.map((group) => transactionItemCount(group.slots)).every((items) => items <= 90)).toBe(true);
    expect(groups.flatMap((group) => group.slots)).toHaveLength(200);
  });

  it('refuses a budget that cannot hold a single slot', () => {
    expect(() => packSlots([], 3)).toThrow(RangeError);
    expect(() => packSlots([], MAX_TRANSACTION_ITEMS + 1)).toThrow(RangeError);
  });

  it('adds up daily and monthly totals per subscription and dimension', () => {
    const slots = [
      aSlot({ quantity: '1.5', eventCount: 2 }),
      aSlot({ hour: '2026-01-15T10:00:00.000Z', quantity: '2', eventCount: 1 }),
      aSlot({ dimension: 'storage', hour: '2026-01-16T10:00:00.000Z', quantity: '4', eventCount: 1 }),
    ];

    const days = totalsDeltasOf(slots, 'day');
    const months = totalsDeltasOf(slots, 'month');

    expect(days.map((day) => [day.period, Object.fromEntries(day.quantities), day.eventCount])).toEqual([
      ['2026-01-15', { 'api-calls': new Dec('3.5') }, 3],
      ['2026-01-16', { storage: new Dec('4') }, 1],
    ]);
    expect(months.map((month) => [month.period, month.quantities.size, month.eventCount])).toEqual([['2026-01', 2, 4]]);
  });

  it('splits each daily total by UTC hour, adding up slots of the same hour, and keeps no split for months', () => {
    const slots = [
      aSlot({ hour: '2026-01-15T09:00:00.000Z', quantity: '1.5' }),
      aSlot({ hour: '2026-01-15T09:00:00.000Z', quantity: '0.25' }),
      aSlot({ hour: '2026-01-15T23:00:00.000Z', quantity: '2' }),
      aSlot({ dimension: 'storage', hour: '2026-01-15T00:00:00.000Z', quantity: '4' }),
    ];

    const [day] = totalsDeltasOf(slots, 'day');
    const [month] = totalsDeltasOf(slots, 'month');

    expect([...(day?.hourly ?? [])].map(([dimension, hours]) => [dimension, Object.fromEntries(hours)])).toEqual([
      ['api-calls', { '09': new Dec('1.75'), '23': new Dec('2') }],
      ['storage', { '00': new Dec('4') }],
    ]);
    expect(month?.hourly.size).toBe(0);
  });
});

describe('message markers', () => {
  const group = { slots: [aSlot()], eventIds: ['b', 'a'] };

  it('derive from the Idempotency-Key and the content when a key is given', () => {
    const material = markerMaterial(group, { idempotencyKey: 'k1', everyEventHasId: true });

    expect(material).toContain('k1');
    expect(markerMaterial(group, { idempotencyKey: 'k2', everyEventHasId: true })).not.toBe(material);
    expect(
      markerMaterial({ ...group, slots: [aSlot({ quantity: '2' })] }, { idempotencyKey: 'k1', everyEventHasId: true }),
    ).not.toBe(material);
  });

  it('derive from the sorted event ids and the content when every event has an id', () => {
    const material = markerMaterial(group, { everyEventHasId: true });

    expect(markerMaterial({ ...group, eventIds: ['a', 'b'] }, { everyEventHasId: true })).toBe(material);
    expect(markerMaterial({ ...group, eventIds: ['a', 'c'] }, { everyEventHasId: true })).not.toBe(material);
  });

  it('cannot be derived without a key or ids on every event', () => {
    expect(markerMaterial(group, { everyEventHasId: false })).toBeUndefined();
  });
});

describe('applicable messages', () => {
  it('accepts a well-formed message', () => {
    expect(() => assertApplicableMessage(aUsageMessage())).not.toThrow();
  });

  it.each([
    ['no slots', { slots: [] }, /no slots/],
    ['a slot twice', { slots: [aSlot(), aSlot({ quantity: '2' })] }, /twice/],
    ['an hour not at an hour start', { slots: [aSlot({ hour: '2026-01-15T09:30:00.000Z' })] }, /start of a UTC hour/],
    ['a zero quantity', { slots: [aSlot({ quantity: '0' })] }, /greater than 0/],
    ['a zero event count', { slots: [aSlot({ eventCount: 0 })] }, /event count/],
    [
      'more than 100 transaction items',
      { slots: Array.from({ length: 98 }, (_, index) => aSlot({ dimension: `d${index}` })) },
      /101 transaction items/,
    ],
  ])('refuses a message with %s', (_case, overrides, message) => {
    expect(() => assertApplicableMessage(aUsageMessage(overrides))).toThrow(InvalidUsageMessageError);
    expect(() => assertApplicableMessage(aUsageMessage(overrides))).toThrow(message);
  });
});
