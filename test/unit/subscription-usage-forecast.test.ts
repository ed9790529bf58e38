import { describe, expect, it } from 'vitest';
import { FORECAST_MIN_BASIS_DAYS } from '#shared/domain/alerts/rules.ts';
import { getSubscriptionUsage } from '#shared/use-cases/billing/get-subscription-usage.ts';
import { anActiveSubscription, anEvaluationWorld } from '#test/builders/alert-evaluation.ts';

const publisher = { role: 'publisher', keyId: 'k' } as const;

/** The usage view (and the portal's "at a glance") follows the forecast alert's evidence rule. */
describe('the forecast of a usage view', () => {
  const usageAt = async (now: string) => {
    const world = anEvaluationWorld(now);
    const subscription = anActiveSubscription({ planId: 'standard', activatedAt: '2026-10-01T00:00:00.000Z' });
    await world.subscriptions.put(subscription);
    return getSubscriptionUsage(world, publisher, { subscriptionId: subscription.id, timeZone: 'UTC' });
  };

  it(`is absent while this month's usage spans less than ${FORECAST_MIN_BASIS_DAYS} days`, async () => {
    const usage = await usageAt('2026-12-07T23:00:00.000Z');

    expect(usage.forecast).toBeUndefined();
    expect(usage.forecastBasis).toBeUndefined();
  });

  it(`is shown with its basis once that usage spans ${FORECAST_MIN_BASIS_DAYS} days`, async () => {
    const usage = await usageAt('2026-12-08T00:00:00.000Z');

    expect(usage.forecast?.currency).toBe(usage.currency);
    expect(usage.forecastBasis?.start).toBe('2026-12-01T00:00:00.000Z');
    // The basis ends just after the instant of the view (its end is exclusive).
    expect(Date.parse(usage.forecastBasis?.end ?? '')).toBeGreaterThanOrEqual(Date.parse('2026-12-08T00:00:00.000Z'));
  });
});
