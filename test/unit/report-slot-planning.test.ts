import { describe, expect, it } from 'vitest';
import { hourContext } from '#shared/domain/allowance.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { type AnswerKind, decideAnswer } from '#shared/domain/reporting/metering-answers.ts';
import { usageEventOf } from '#shared/domain/reporting/metering-event.ts';
import { isWithinSendWindow, lastClosedHour, lastFlushHour } from '#shared/domain/reporting/report-schedule.ts';
import { carryTarget, planSlot } from '#shared/domain/reporting/slot-planning.ts';
import {
  emptyMeter,
  type MeterState,
  type ReportingSlot,
  type SlotSubmission,
} from '#shared/domain/reporting/slots.ts';
import { aMeteredSubscription, aMeteringCatalog } from '#test/builders/reporting.ts';

const at = (iso: string) => new Date(iso);

const aPendingSubmission = (overrides: Partial<SlotSubmission> = {}): SlotSubmission => ({
  state: 'pending',
  quantity: '15.5',
  planId: 'small',
  effectiveStartTime: '2026-01-15T09:00:00.000Z',
  attempts: 0,
  preparedAt: '2026-01-15T10:10:00.000Z',
  ...overrides,
});

const aReportingSlot = (overrides: Partial<ReportingSlot> = {}): ReportingSlot => ({
  subscriptionId: 'sub-1',
  offerId: 'contoso-analytics',
  dimension: 'api-calls',
  hour: '2026-01-15T09:00:00.000Z',
  quantity: new Dec(25),
  accountedQuantity: new Dec(0),
  lateQuantity: new Dec(0),
  unreportableQuantity: new Dec(0),
  indexed: true,
  reportVersion: 0,
  ...overrides,
});

describe('closed hours', () => {
  it.each([
    ['2026-01-15T10:10:00.000Z', 10, '2026-01-15T09:00:00.000Z'],
    ['2026-01-15T10:09:59.999Z', 10, '2026-01-15T08:00:00.000Z'],
    ['2026-01-15T10:00:00.000Z', 0, '2026-01-15T09:00:00.000Z'],
    ['2026-01-16T00:30:00.000Z', 45, '2026-01-15T22:00:00.000Z'],
  ])('at %s with %i minutes of grace the last closed hour is %s', (now, grace, expected) => {
    expect(lastClosedHour(at(now), grace).toISOString()).toBe(expected);
  });

  it.each([
    ['2026-01-15T10:30:00.000Z', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T10:00:00.000Z', '2026-01-15T09:00:00.000Z'],
    ['2026-01-15T18:00:00.000Z', '2026-01-15T10:00:00.000Z'],
  ])('a flush until %s (now 10:35) reports up to the hour %s', (until, expected) => {
    expect(lastFlushHour(at(until), at('2026-01-15T10:35:00.000Z')).toISOString()).toBe(expected);
  });

  it('keeps 10 minutes of margin inside Microsoft’s 24 h window', () => {
    const now = at('2026-01-16T09:00:00.000Z');
    expect(isWithinSendWindow(at('2026-01-15T09:00:00.000Z'), now)).toBe(false);
    expect(isWithinSendWindow(at('2026-01-15T10:00:00.000Z'), now)).toBe(true);
    expect(isWithinSendWindow(at('2026-01-16T10:00:00.000Z'), now)).toBe(false);
  });
});

describe('plan history of a subscription', () => {
  const catalog = aMeteringCatalog();

  it('recovers the original anniversary from a term start clamped to a short month', () => {
    // Activated Jan 31; after one renewal Microsoft's term.startDate is Feb 28. The next term starts Mar 31, not Mar 28.
    const subscription = aMeteredSubscription({
      term: { startDate: '2026-02-28', endDate: '2026-03-30', termUnit: 'P1M' },
      timeline: [{ from: '2026-01-31T09:15:00.000Z', status: 'Subscribed', planId: 'small' }],
    });
    const history = planHistoryOf(subscription, catalog)?.resolved ?? [];

    expect(hourContext(history, 'api-calls', at('2026-03-30T10:00:00.000Z')).termStart.toISOString()).toBe(
      '2026-02-28T00:00:00.000Z',
    );
    expect(hourContext(history, 'api-calls', at('2026-03-31T10:00:00.000Z')).termStart.toISOString()).toBe(
      '2026-03-31T00:00:00.000Z',
    );
  });

  it('starts at activation and keeps the last of several plan changes within one hour', () => {
    const subscription = aMeteredSubscription({
      timeline: [
        { from: '2026-01-06T09:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'small' },
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T10:05:00.000Z', status: 'Subscribed', planId: 'large' },
        { from: '2026-01-15T10:40:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T10:50:00.000Z', status: 'Subscribed', planId: 'large' },
      ],
    });
    const history = planHistoryOf(subscription, catalog)?.resolved ?? [];

    expect(history.map((entry) => [entry.effectiveFrom.toISOString(), entry.plan.id])).toEqual([
      ['2026-01-06T10:00:00.000Z', 'small'],
      ['2026-01-15T10:00:00.000Z', 'large'],
    ]);
    expect(history.every((entry) => entry.anchor.toISOString() === '2026-01-06T00:00:00.000Z')).toBe(true);
  });

  it('is undefined for a subscription never Subscribed', () => {
    const pending = aMeteredSubscription({
      timeline: [{ from: '2026-01-06T09:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'small' }],
    });
    expect(planHistoryOf(pending, catalog)).toBeUndefined();
  });
});

describe('planning a slot', () => {
  const subscription = aMeteredSubscription({ id: 'sub-1' });
  const history = planHistoryOf(subscription, aMeteringCatalog())?.resolved;
  const context = { now: at('2026-01-15T10:10:00.000Z'), subscription, history };
  const rated: MeterState = {
    ...emptyMeter('sub-1', 'api-calls'),
    version: 3,
    tally: { termStart: at('2026-01-06T00:00:00Z'), usageInTerm: new Dec(4), lastHour: at('2026-01-15T09:00:00Z') },
  };

  it('rates a new slot with the carried usage and overage and owes one event', () => {
    const meter = { ...rated, tally: undefined, carryUsage: new Dec(2), carryOverage: new Dec('1.5') };
    const plan = planSlot(meter, aReportingSlot(), context);

    expect(plan).toMatchObject({
      kind: 'rated',
      submission: { state: 'pending', quantity: '18.5', overage: '17', consumedIncluded: '10', ratedUsage: '27' },
    });
    expect(plan.kind === 'rated' && plan.meter.carryUsage.isZero() && plan.meter.carryOverage.isZero()).toBe(true);
  });

  it('rates the delta of an hour already rated in that hour’s term and carries only its overage', () => {
    const plan = planSlot(
      rated,
      aReportingSlot({
        quantity: new Dec(30),
        accountedQuantity: new Dec(25),
        indexed: true,
        submission: aPendingSubmission({ state: 'accepted' }),
      }),
      context,
    );

    // 4 of the term's 10 were used: the delta of 5 fits in the 6 left, nothing is carried, 1 is left.
    expect(plan).toMatchObject({ kind: 'late', carried: 'overage', clearIndex: true });
    expect(plan.kind === 'late' && plan.overage.toString()).toBe('0');
    expect(plan.kind === 'late' && plan.meter.carryUsage.isZero() && plan.meter.carryOverage.isZero()).toBe(true);
    expect(plan.kind === 'late' && plan.meter.tally?.usageInTerm.toString()).toBe('9');
  });

  it('carries as overage the part of a late delta above its term’s remaining allowance', () => {
    const plan = planSlot(
      rated,
      aReportingSlot({
        quantity: new Dec(33),
        accountedQuantity: new Dec(25),
        submission: aPendingSubmission({ state: 'accepted' }),
      }),
      context,
    );

    expect(plan).toMatchObject({ kind: 'late', carried: 'overage' });
    expect(plan.kind === 'late' && plan.meter.carryOverage.toString()).toBe('2');
    expect(plan.kind === 'late' && plan.meter.carrySince).toBe('2026-01-15T09:00:00.000Z');
  });

  it('keeps a late slot in the index while its own event is still pending', () => {
    const plan = planSlot(
      rated,
      aReportingSlot({ quantity: new Dec(30), accountedQuantity: new Dec(25), submission: aPendingSubmission() }),
      context,
    );
    expect(plan).toMatchObject({ kind: 'late', clearIndex: false });
  });

  it('rates late usage of the previous term in that term, leaving the current term’s allowance alone', () => {
    // Term 1 (Jan 6 – Feb 5) used 12 of its 10; term 2 has used 3 so far. 2 more arrive for Feb 5 22:00.
    const meter: MeterState = {
      ...emptyMeter('sub-1', 'api-calls'),
      tally: { termStart: at('2026-02-06T00:00:00Z'), usageInTerm: new Dec(3), lastHour: at('2026-02-06T01:00:00Z') },
      terms: [
        { termStart: at('2026-01-06T00:00:00Z'), segments: [{ from: at('2026-01-06T10:00:00Z'), usage: new Dec(12) }] },
        { termStart: at('2026-02-06T00:00:00Z'), segments: [{ from: at('2026-02-06T00:00:00Z'), usage: new Dec(3) }] },
      ],
    };
    const plan = planSlot(
      meter,
      aReportingSlot({
        hour: '2026-02-05T22:00:00.000Z',
        quantity: new Dec(14),
        accountedQuantity: new Dec(12),
        submission: aPendingSubmission({ state: 'accepted', effectiveStartTime: '2026-02-05T22:00:00.000Z' }),
      }),
      { ...context, now: at('2026-02-06T02:11:00.000Z') },
    );

    expect(plan).toMatchObject({ kind: 'late', carried: 'overage' });
    if (plan.kind !== 'late') return;
    expect(plan.overage.toString()).toBe('2');
    expect(plan.meter.carryOverage.toString()).toBe('2');
    expect(plan.meter.tally?.usageInTerm.toString()).toBe('3');
    expect(plan.meter.terms?.map((term) => term.segments[0]?.usage.toString())).toEqual(['14', '3']);
  });

  it('carries late usage as usage for a term a meter stored before the term records has no record of', () => {
    const stored: MeterState = {
      ...emptyMeter('sub-1', 'api-calls'),
      tally: { termStart: at('2026-02-06T00:00:00Z'), usageInTerm: new Dec(3), lastHour: at('2026-02-06T01:00:00Z') },
    };
    const plan = planSlot(
      stored,
      aReportingSlot({
        hour: '2026-02-05T22:00:00.000Z',
        quantity: new Dec(14),
        accountedQuantity: new Dec(12),
        submission: aPendingSubmission({ state: 'accepted' }),
      }),
      { ...context, now: at('2026-02-06T02:11:00.000Z') },
    );

    expect(plan).toMatchObject({ kind: 'late', carried: 'usage' });
    expect(plan.kind === 'late' && plan.meter.carryUsage.toString()).toBe('2');
  });

  it('records late usage of an hour that was never Subscribed as unreportable, consuming no allowance', () => {
    const suspended = aMeteredSubscription({
      id: 'sub-1',
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T08:30:00.000Z', status: 'Suspended', planId: 'small' },
      ],
    });
    const plan = planSlot(rated, aReportingSlot({ quantity: new Dec(5), accountedQuantity: new Dec(0) }), {
      ...context,
      subscription: suspended,
    });

    expect(plan).toMatchObject({
      kind: 'unreportable',
      submission: { state: 'unreportable', reason: 'notSubscribed' },
    });
  });

  it('drops the record of a term late usage can no longer reach', () => {
    const meter: MeterState = {
      ...rated,
      terms: [
        { termStart: at('2025-11-06T00:00:00Z'), segments: [{ from: at('2025-11-06T00:00:00Z'), usage: new Dec(1) }] },
        { termStart: at('2025-12-06T00:00:00Z'), segments: [{ from: at('2025-12-06T00:00:00Z'), usage: new Dec(1) }] },
        { termStart: at('2026-01-06T00:00:00Z'), segments: [{ from: at('2026-01-06T10:00:00Z'), usage: new Dec(4) }] },
      ],
    };
    const plan = planSlot(meter, aReportingSlot({ hour: '2026-01-15T10:00:00.000Z' }), {
      ...context,
      now: at('2026-01-15T11:10:00.000Z'),
    });

    // Nov 6 – Dec 5 ended more than the horizon (744 + 48 h) before Jan 15 10:00; Dec 6 – Jan 5 did not.
    expect(plan.kind === 'rated' && plan.meter.terms?.map((term) => term.termStart.toISOString())).toEqual([
      '2025-12-06T00:00:00.000Z',
      '2026-01-06T00:00:00.000Z',
    ]);
    expect(plan.kind === 'rated' && plan.meter.termsKnownFrom).toEqual(at('2025-12-06T00:00:00Z'));
  });

  it('only drops a fully accounted final slot from the index', () => {
    const done = aReportingSlot({
      accountedQuantity: new Dec(25),
      submission: aPendingSubmission({ state: 'accepted' }),
    });
    expect(planSlot(rated, done, context)).toEqual({ kind: 'clearIndex' });
    expect(planSlot(rated, { ...done, submission: aPendingSubmission() }, context)).toEqual({ kind: 'none' });
  });

  it('blocks a dimension the plan does not meter instead of inventing overage', () => {
    expect(planSlot(emptyMeter('sub-1', 'storage'), aReportingSlot({ dimension: 'storage' }), context)).toMatchObject({
      kind: 'blocked',
    });
  });
});

describe('answers', () => {
  const now = at('2026-01-15T10:11:00.000Z');
  it.each<[string, Record<string, unknown>, AnswerKind, Partial<SlotSubmission>]>([
    [
      'Accepted',
      { usageEventId: 'e1' },
      'accepted',
      { state: 'accepted', usageEventId: 'e1', acceptedQuantity: '15.5' },
    ],
    [
      'Duplicate',
      { acceptedMessage: { usageEventId: 'e0', quantity: 15.5 } },
      'accepted',
      { state: 'accepted', usageEventId: 'e0' },
    ],
    [
      'Duplicate',
      { acceptedMessage: { usageEventId: 'e0', quantity: 12 } },
      'duplicateMismatch',
      { state: 'duplicateMismatch', acceptedQuantity: '12' },
    ],
    ['Expired', {}, 'expiredFolded', { state: 'expiredFolded' }],
    ['ResourceNotActive', {}, 'unreportable', { state: 'unreportable', reason: 'ResourceNotActive' }],
    ['ResourceNotFound', {}, 'unreportable', { state: 'unreportable', reason: 'ResourceNotFound' }],
    ['InvalidDimension', {}, 'rejected', { state: 'rejected' }],
    ['InvalidQuantity', {}, 'rejected', { state: 'rejected' }],
    ['BadArgument', {}, 'rejected', { state: 'rejected' }],
    ['Error', {}, 'retry', { state: 'pending', attempts: 1 }],
    ['SomethingNew', {}, 'retry', { state: 'pending', attempts: 1 }],
  ])('%s %j → %s', (status, extra, kind, submission) => {
    const decision = decideAnswer(aPendingSubmission(), { status, ...extra }, now);
    expect(decision.kind).toBe(kind);
    expect(decision.submission).toMatchObject(submission);
    // What was sent never changes with the answer.
    expect(decision.submission).toMatchObject({ quantity: '15.5', planId: 'small' });
  });

  it('retries when the call failed as a whole', () => {
    expect(decideAnswer(aPendingSubmission({ attempts: 2 }), undefined, now)).toMatchObject({
      kind: 'retry',
      submission: { state: 'pending', attempts: 3 },
    });
  });

  it('never builds an event for a slot with nothing to send', () => {
    expect(() => usageEventOf('sub-1', 'api-calls', aPendingSubmission({ state: 'included', quantity: '0' }))).toThrow(
      RangeError,
    );
  });
});

describe('where carry goes', () => {
  const meter: MeterState = {
    ...emptyMeter('sub-1', 'api-calls'),
    tally: { termStart: at('2026-01-06T00:00:00Z'), usageInTerm: new Dec(4), lastHour: at('2026-01-15T07:00:00Z') },
    carryOverage: new Dec(3),
  };
  const now = at('2026-01-15T11:10:00Z');
  const lastHour = at('2026-01-15T10:00:00Z');

  it('goes into the latest closed hour that was Subscribed', () => {
    const suspended = aMeteredSubscription({
      timeline: [
        { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
        { from: '2026-01-15T09:30:00.000Z', status: 'Suspended', planId: 'small' },
      ],
    });
    expect(carryTarget(meter, suspended, lastHour, now)).toEqual({ kind: 'hour', hour: at('2026-01-15T09:00:00Z') });
  });

  it('waits while no such hour exists yet, and is unreportable once the subscription has ended', () => {
    const timeline = (status: 'Suspended' | 'Unsubscribed') =>
      aMeteredSubscription({
        timeline: [
          { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
          { from: '2026-01-15T07:30:00.000Z', status, planId: 'small' },
        ],
      });
    expect(carryTarget(meter, timeline('Suspended'), lastHour, now)).toEqual({ kind: 'wait' });
    expect(carryTarget(meter, timeline('Unsubscribed'), lastHour, now)).toEqual({ kind: 'unreportable' });
  });
});
