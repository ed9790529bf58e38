import { describe, expect, it } from 'vitest';
import { isSubscribedAt, periodAt, withPeriod } from '#shared/domain/subscription.ts';
import { aSubscription } from '#test/builders/subscription.ts';

const at = (iso: string) => new Date(iso);

describe('subscription timeline', () => {
  const subscribed = withPeriod(aSubscription({ status: 'PendingFulfillmentStart', timeline: [] }), {
    from: '2026-01-06T10:00:00.000Z',
    status: 'Subscribed',
    planId: 'basic',
  });
  const upgraded = withPeriod(subscribed, { from: '2026-01-20T00:30:00.000Z', status: 'Subscribed', planId: 'pro' });
  const cancelled = withPeriod(upgraded, { from: '2026-02-01T12:00:00.000Z', status: 'Unsubscribed', planId: 'pro' });

  it('knows no state before the first period', () => {
    expect(periodAt(cancelled, at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(isSubscribedAt(cancelled, at('2026-01-01T00:00:00Z'))).toBe(false);
  });

  it('gives the plan in force at each instant', () => {
    expect(periodAt(cancelled, at('2026-01-10T00:00:00Z'))?.planId).toBe('basic');
    expect(periodAt(cancelled, at('2026-01-20T00:29:59Z'))?.planId).toBe('basic');
    expect(periodAt(cancelled, at('2026-01-20T00:30:00Z'))?.planId).toBe('pro');
  });

  it('keeps usage before a cancellation acceptable and refuses it after', () => {
    expect(isSubscribedAt(cancelled, at('2026-02-01T11:59:59Z'))).toBe(true);
    expect(isSubscribedAt(cancelled, at('2026-02-01T12:00:00Z'))).toBe(false);
  });

  it('keeps the current status and plan equal to the last period', () => {
    expect(cancelled.status).toBe('Unsubscribed');
    expect(cancelled.planId).toBe('pro');
  });

  it('inserts a change learnt late at its place in time', () => {
    const suspendedLate = withPeriod(upgraded, {
      from: '2026-01-15T00:00:00.000Z',
      status: 'Suspended',
      planId: 'basic',
    });

    expect(suspendedLate.timeline?.map((period) => period.from)).toEqual([
      '2026-01-06T10:00:00.000Z',
      '2026-01-15T00:00:00.000Z',
      '2026-01-20T00:30:00.000Z',
    ]);
    expect(isSubscribedAt(suspendedLate, at('2026-01-16T00:00:00Z'))).toBe(false);
  });

  it('treats a record without a timeline as always in its current state', () => {
    const legacy = aSubscription({ timeline: undefined, planId: 'basic', status: 'Subscribed' });

    expect(periodAt(legacy, at('2020-01-01T00:00:00Z'))?.planId).toBe('basic');
  });
});
