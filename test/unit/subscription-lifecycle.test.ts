import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Subscription } from '#shared/domain/subscription.ts';
import { periodAt } from '#shared/domain/subscription.ts';
import {
  applyChange,
  notBeforeActivation,
  type SubscriptionChange,
  withRenewedTerm,
} from '#shared/domain/subscription-lifecycle.ts';
import { aSubscription } from '#test/builders/subscription.ts';

const at = (iso: string) => new Date(iso);

/** Activated on plan `team` with 5 seats on Jan 6. */
function activated(): Subscription {
  return aSubscription({
    planId: 'team',
    quantity: 5,
    status: 'Subscribed',
    timeline: [
      { from: '2026-01-05T09:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'team', quantity: 5 },
      { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'team', quantity: 5 },
    ],
  });
}

function apply(subscription: Subscription, ...changes: SubscriptionChange[]): Subscription {
  return changes.reduce((current, change) => {
    const result = applyChange(current, change);
    return result.applied ? result.subscription : current;
  }, subscription);
}

describe('applying lifecycle changes to the timeline', () => {
  it('records a change at its own instant and makes the last period current', () => {
    const result = applyChange(activated(), { at: at('2026-01-20T00:00:00Z'), quantity: 8 });

    expect(result.applied).toBe(true);
    const subscription = result.applied ? result.subscription : activated();
    expect(subscription.quantity).toBe(8);
    expect(periodAt(subscription, at('2026-01-19T23:59:59Z'))?.quantity).toBe(5);
    expect(periodAt(subscription, at('2026-01-20T00:00:00Z'))?.quantity).toBe(8);
  });

  it('keeps the hours before a suspension Subscribed, and the hours after it not', () => {
    const suspended = apply(activated(), { at: at('2026-02-01T08:00:00Z'), status: 'Suspended' });

    expect(suspended.status).toBe('Suspended');
    expect(periodAt(suspended, at('2026-02-01T07:59:59Z'))?.status).toBe('Subscribed');
    expect(periodAt(suspended, at('2026-02-01T08:00:00Z'))?.status).toBe('Suspended');
  });

  it('places a Suspend that arrives after a later plan change at its time, without undoing the plan change', () => {
    const planChanged = apply(activated(), { at: at('2026-01-20T00:00:00Z'), planId: 'pro', quantity: null });

    const late = apply(planChanged, { at: at('2026-01-15T00:00:00Z'), status: 'Suspended' });

    expect(periodAt(late, at('2026-01-16T00:00:00Z'))).toMatchObject({ status: 'Suspended', planId: 'team' });
    expect(periodAt(late, at('2026-01-21T00:00:00Z'))).toMatchObject({ status: 'Suspended', planId: 'pro' });
    expect(late).toMatchObject({ status: 'Suspended', planId: 'pro' });
    expect(late.quantity).toBeUndefined();
  });

  it('does not let a Suspend delivered after its Reinstate override the reinstatement', () => {
    const reinstatedFirst = apply(activated(), { at: at('2026-02-03T00:00:00Z'), status: 'Subscribed' });

    const thenSuspend = apply(reinstatedFirst, { at: at('2026-02-01T00:00:00Z'), status: 'Suspended' });

    expect(thenSuspend.status).toBe('Subscribed');
    expect(periodAt(thenSuspend, at('2026-02-02T00:00:00Z'))?.status).toBe('Suspended');
    expect(periodAt(thenSuspend, at('2026-02-03T00:00:00Z'))?.status).toBe('Subscribed');
  });

  it('never leaves Unsubscribed: changes at or after the cancellation are refused as terminal', () => {
    const cancelled = apply(activated(), { at: at('2026-02-10T00:00:00Z'), status: 'Unsubscribed' });

    expect(applyChange(cancelled, { at: at('2026-02-11T00:00:00Z'), status: 'Subscribed' })).toEqual({
      applied: false,
      reason: 'terminal',
    });
    expect(applyChange(cancelled, { at: at('2026-02-10T00:00:00Z'), status: 'Unsubscribed' })).toMatchObject({
      reason: 'terminal',
    });
  });

  it('ends later changes when a cancellation arrives after them', () => {
    const reinstatedLater = apply(activated(), { at: at('2026-02-20T00:00:00Z'), status: 'Subscribed' });

    const cancelledEarlier = apply(reinstatedLater, { at: at('2026-02-10T00:00:00Z'), status: 'Unsubscribed' });

    expect(cancelledEarlier.status).toBe('Unsubscribed');
    expect(periodAt(cancelledEarlier, at('2026-02-21T00:00:00Z'))?.status).toBe('Unsubscribed');
    expect(periodAt(cancelledEarlier, at('2026-02-09T00:00:00Z'))?.status).toBe('Subscribed');
  });

  it('changes nothing for the same change again', () => {
    const once = apply(activated(), { at: at('2026-01-20T00:00:00Z'), planId: 'pro' });

    expect(applyChange(once, { at: at('2026-01-20T00:00:00Z'), planId: 'pro' })).toEqual({
      applied: false,
      reason: 'noChange',
    });
  });

  it('starts a timeline for a record stored before timelines existed', () => {
    const legacy = aSubscription({ planId: 'basic', status: 'Subscribed' });

    const suspended = apply(legacy, { at: at('2026-03-01T00:00:00Z'), status: 'Suspended' });

    expect(periodAt(suspended, at('2026-02-01T00:00:00Z'))?.status).toBe('Subscribed');
    expect(suspended.status).toBe('Suspended');
  });

  it('gives the same state at every instant whatever order the changes arrive in', () => {
    const statuses = ['Subscribed', 'Suspended', 'Unsubscribed'] as const;
    const changeArbitrary = fc.record({
      minute: fc.integer({ min: 1, max: 60 * 24 * 60 }),
      field: fc.constantFrom('status', 'planId', 'quantity'),
      status: fc.constantFrom(...statuses),
      planId: fc.constantFrom('team', 'pro', 'basic'),
      quantity: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
    });
    const base = Date.parse('2026-01-06T10:00:00Z');
    fc.assert(
      fc.property(
        fc.uniqueArray(changeArbitrary, { minLength: 1, maxLength: 12, selector: (change) => change.minute }),
        fc.func(fc.integer()),
        (drafts, shuffleKey) => {
          const changes: SubscriptionChange[] = drafts.map((draft) => ({
            at: new Date(base + draft.minute * 60_000),
            ...(draft.field === 'status' ? { status: draft.status } : {}),
            ...(draft.field === 'planId' ? { planId: draft.planId } : {}),
            ...(draft.field === 'quantity' ? { quantity: draft.quantity } : {}),
          }));
          const inOrder = apply(activated(), ...[...changes].sort((a, b) => a.at.getTime() - b.at.getTime()));
          const shuffled = apply(
            activated(),
            ...changes
              .map((change, index) => ({ change, key: shuffleKey(index) }))
              .sort((a, b) => a.key - b.key)
              .map(({ change }) => change),
          );
          // Every instant where something may change, and the minute before it.
          const instants = changes.flatMap((change) => [change.at.getTime() - 60_000, change.at.getTime()]);
          for (const instant of [base - 60_000, ...instants]) {
            const expected = periodAt(inOrder, new Date(instant));
            const actual = periodAt(shuffled, new Date(instant));
            expect({ status: actual?.status, planId: actual?.planId, quantity: actual?.quantity }).toEqual({
              status: expected?.status,
              planId: expected?.planId,
              quantity: expected?.quantity,
            });
          }
          expect([shuffled.status, shuffled.planId, shuffled.quantity]).toEqual([
            inOrder.status,
            inOrder.planId,
            inOrder.quantity,
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('placing a change Microsoft made after the activation (clock skew)', () => {
  it('keeps a time stamp at or after the activation as it is', () => {
    expect(notBeforeActivation(activated(), at('2026-01-06T10:00:00.000Z'))).toEqual(at('2026-01-06T10:00:00.000Z'));
    expect(notBeforeActivation(activated(), at('2026-01-09T00:00:00.000Z'))).toEqual(at('2026-01-09T00:00:00.000Z'));
  });

  it('moves a time stamp that reads before the activation to the activation instant, so the change is not hidden', () => {
    // Our clock 50 ms ahead of Microsoft's: the seat change made right after the activation reads as older.
    const stamp = at('2026-01-06T09:59:59.950Z');
    const hidden = apply(activated(), { at: stamp, quantity: 14 });
    expect(hidden.quantity).toBe(5);

    const placed = apply(activated(), { at: notBeforeActivation(activated(), stamp), quantity: 14 });
    expect(placed.quantity).toBe(14);
    expect(periodAt(placed, at('2026-01-06T10:00:00.000Z'))?.quantity).toBe(14);
    expect(periodAt(placed, at('2026-01-06T09:59:59.999Z'))?.status).toBe('PendingFulfillmentStart');
  });

  it('recognises a change the activation already carries as already in force', () => {
    const stamp = notBeforeActivation(activated(), at('2026-01-06T09:59:00.000Z'));
    expect(applyChange(activated(), { at: stamp, quantity: 5 })).toEqual({ applied: false, reason: 'noChange' });
  });

  it('leaves a subscription not activated yet, without a timeline, or first stored active, to the time stamp', () => {
    const pending = aSubscription({
      status: 'PendingFulfillmentStart',
      timeline: [{ from: '2026-01-05T09:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'team' }],
    });
    expect(notBeforeActivation(pending, at('2026-01-01T00:00:00.000Z'))).toEqual(at('2026-01-01T00:00:00.000Z'));
    const legacy = aSubscription({ status: 'Subscribed', timeline: undefined });
    expect(notBeforeActivation(legacy, at('2026-01-01T00:00:00.000Z'))).toEqual(at('2026-01-01T00:00:00.000Z'));
    // First stored from Get Subscription as already active (a webhook for a subscription we never saw): its first
    // period is Microsoft's state when we read it, not an activation on our clock.
    const storedActive = aSubscription({
      status: 'Suspended',
      timeline: [{ from: '2026-01-05T09:00:00.000Z', status: 'Suspended', planId: 'team' }],
    });
    expect(notBeforeActivation(storedActive, at('2026-01-05T08:59:00.000Z'))).toEqual(at('2026-01-05T08:59:00.000Z'));
  });

  it('makes the last change Microsoft reports the one in force, whatever the skew', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -60_000, max: 60_000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom<'quantity' | 'suspend'>('quantity', 'suspend'),
        (skewMs, seats, kind) => {
          const stamp = new Date(Date.parse('2026-01-06T10:00:00.000Z') + skewMs);
          const change: SubscriptionChange =
            kind === 'quantity'
              ? { at: notBeforeActivation(activated(), stamp), quantity: seats }
              : { at: notBeforeActivation(activated(), stamp), status: 'Suspended' };
          const after = apply(activated(), change);
          if (kind === 'quantity') expect(after.quantity).toBe(seats);
          else expect(after.status).toBe('Suspended');
          expect(periodAt(after, at('2026-01-06T09:59:59.999Z'))?.status).toBe('PendingFulfillmentStart');
        },
      ),
    );
  });
});

describe('renewals', () => {
  const term = { startDate: '2026-02-06', endDate: '2026-03-05', termUnit: 'P1M' as const };

  it('moves the term to the new one', () => {
    expect(withRenewedTerm(aSubscription(), term)?.term).toEqual(term);
  });

  it('ignores a term older than the stored one, the same term again, and cancelled subscriptions', () => {
    const renewed = aSubscription({ term });

    expect(
      withRenewedTerm(renewed, { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' }),
    ).toBeUndefined();
    expect(withRenewedTerm(renewed, term)).toBeUndefined();
    expect(withRenewedTerm(aSubscription({ status: 'Unsubscribed' }), term)).toBeUndefined();
  });

  it('never takes a term whose end is not after its start as the current term', () => {
    const stored = aSubscription({ term });

    for (const bad of [
      { startDate: '2026-03-06', endDate: '2026-03-06', termUnit: 'P1M' as const },
      { startDate: '2026-04-06', endDate: '2026-03-06', termUnit: 'P1M' as const },
      { startDate: 'soon', endDate: '2026-03-06', termUnit: 'P1M' as const },
    ]) {
      expect(withRenewedTerm(stored, bad)).toBeUndefined();
      expect(withRenewedTerm(aSubscription(), bad)).toBeUndefined();
    }
  });
});
