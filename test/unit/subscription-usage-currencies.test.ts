import { describe, expect, it } from 'vitest';
import { getSubscriptionUsage } from '#shared/use-cases/billing/get-subscription-usage.ts';
import { getUsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import { anActiveSubscription, anEvaluationWorld } from '#test/builders/alert-evaluation.ts';
import { aBudget } from '#test/builders/alerts.ts';

const NOW = '2026-12-07T03:00:00.000Z';
const publisher = { role: 'publisher', keyId: 'k' } as const;

describe('the currencies of a usage view', () => {
  it('lists every currency the plan is priced in, even before any budget, and answers in each of them', async () => {
    // The `standard` plan of the alert catalog is priced in JPY and USD; no budget picks one yet.
    const world = anEvaluationWorld(NOW);
    const subscription = anActiveSubscription({ planId: 'standard', activatedAt: '2026-10-01T00:00:00.000Z' });
    await world.subscriptions.put(subscription);

    const usage = await getSubscriptionUsage(world, publisher, { subscriptionId: subscription.id });

    expect([...usage.currencies].sort()).toEqual(['JPY', 'USD']);
    expect(usage.currencies).toContain(usage.currency);
    for (const currency of usage.currencies) {
      const shown = await getSubscriptionUsage(world, publisher, { subscriptionId: subscription.id, currency });
      expect(shown.currency).toBe(currency);
      expect(shown.monthToDate.currency).toBe(currency);
      // The list does not depend on the currency asked for: the form can switch back and forth.
      expect(shown.currencies).toEqual(usage.currencies);
    }
  });

  it("shows the usage in a currency the plans have when the budget's is no longer one of them, and refuses it asked for", async () => {
    // A EUR budget saved under an earlier plan; the `standard` plan is priced in JPY and USD only.
    const world = anEvaluationWorld(NOW);
    const subscription = anActiveSubscription({ planId: 'standard', activatedAt: '2026-10-01T00:00:00.000Z' });
    await world.subscriptions.put(subscription);
    await world.budgets.putBudget(
      aBudget({
        subscriptionId: subscription.id,
        plannedMonthlyAmount: { amount: '100', currency: 'EUR' },
        spikeMinimumAmount: { amount: '1', currency: 'EUR' },
      }),
    );

    const usage = await getSubscriptionUsage(world, publisher, { subscriptionId: subscription.id });
    const series = await getUsageSeries(world, publisher, { subscriptionId: subscription.id, granularity: 'day' });

    expect(usage.currencies).toContain(usage.currency);
    expect(usage.currency).not.toBe('EUR');
    expect(series.currency).toBe(usage.currency);
    await expect(
      getSubscriptionUsage(world, publisher, { subscriptionId: subscription.id, currency: 'EUR' }),
    ).rejects.toThrow(/not all priced in EUR/);
  });
});
