import { describe, expect, it } from 'vitest';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import { creditLevelChangePolicy, isPurchaseBlocked } from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { ALERT_CATALOG, anActiveSubscription, anEvaluationWorld, callsAt } from '#test/builders/alert-evaluation.ts';
import { aBudget, aCreditLink, anApproval, aPartnerRecord, someCreditLevels } from '#test/builders/alerts.ts';

const now = new Date('2025-06-20T03:00:00Z');

/**
 * A customer of partner X on Standard (¥10,000 a month, 100 calls included), in Tokyo; levels ¥100,000 / ¥150,000 /
 * ¥200,000; `calls` of usage this month (¥1 each above the 100 included).
 */
async function aCustomerOfPartnerX(
  calls: string,
  options: { planned?: string; planId?: string; quantity?: number } = {},
) {
  const world = anEvaluationWorld(now.toISOString());
  const subscription = anActiveSubscription({
    activatedAt: '2025-05-31T15:00:00.000Z',
    customerId: 'customer-a',
    planId: options.planId ?? 'standard',
    ...(options.quantity === undefined ? {} : { quantity: options.quantity }),
  });
  await world.subscriptions.put(subscription);
  await world.partners.putPartner(aPartnerRecord({ id: 'partner-x', locale: 'ja' }));
  await world.partners.putCreditLink(
    aCreditLink({
      partnerId: 'partner-x',
      subscriptionId: subscription.id,
      customerId: 'customer-a',
      levels: someCreditLevels({
        warning: { amount: '100000', currency: 'JPY' },
        approvalRequired: { amount: '150000', currency: 'JPY' },
        purchaseBlocked: { amount: '200000', currency: 'JPY' },
      }),
    }),
  );
  await world.budgets.putBudget(
    aBudget({
      subscriptionId: subscription.id,
      customerId: 'customer-a',
      plannedMonthlyAmount: { amount: options.planned ?? '50000', currency: 'JPY' },
    }),
  );
  if (calls !== '0') await world.ledger.applyMessage(callsAt(subscription.id, '2025-06-10T01:00:00Z', calls));
  const policy = creditLevelChangePolicy({ ...world, noticeBudgetMs: 1_000 });
  return { world, subscription, policy };
}

describe('creditLevelChangePolicy', () => {
  it('accepts any change of a subscription without a credit link, reading only the link', async () => {
    const world = anEvaluationWorld(now.toISOString());
    const subscription = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', planId: 'standard' });

    const decision = await creditLevelChangePolicy(world).decide({
      subscription,
      change: { kind: 'plan', planId: 'premium' },
      now,
    });

    expect(decision).toEqual({ accept: true });
    expect(world.partners.reads).toBe(1);
  });

  it('accepts a change that does not raise the price at any level, without computing charges', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('250100', { planId: 'premium' });
    const reads = world.partners.reads + world.budgets.reads;

    const decision = await policy.decide({ subscription, change: { kind: 'plan', planId: 'standard' }, now });

    expect(decision).toEqual({ accept: true });
    expect(world.partners.reads + world.budgets.reads - reads).toBe(1);
  });

  it('accepts a price-raising change below the approval-required level (ok, or warning)', async () => {
    const { subscription, policy } = await aCustomerOfPartnerX('100100'); // ¥110,000: warning

    expect(await policy.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now })).toEqual({
      accept: true,
    });
  });

  it('at approval required, refuses a bigger plan, tells the partner once per operation, then accepts it approved', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('160100'); // ¥170,000: approval required
    const request = { subscription, change: { kind: 'plan' as const, planId: 'premium' }, now, operationId: 'op-1' };

    const refused = await policy.decide(request);
    const redelivered = await policy.decide(request);
    await world.partners.putApproval(
      anApproval({
        partnerId: 'partner-x',
        subscriptionId: subscription.id,
        planId: 'premium',
        expiresAt: new Date('2025-06-27T00:00:00Z'),
      }),
    );
    const approved = await policy.decide({ ...request, operationId: 'op-2' });

    expect(refused).toMatchObject({ accept: false, reason: expect.stringContaining('approval') });
    expect(redelivered).toEqual(refused);
    expect(approved).toEqual({ accept: true });
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({
      recipient: { kind: 'partner', id: 'partner-x' },
      rule: 'purchaseChangeRejected',
      threshold: 'approvalRequired',
      periodKey: 'op-1',
      facts: {
        currentPlanId: 'standard',
        requestedPlanId: 'premium',
        currentPrice: { amount: '10000', currency: 'JPY' },
        newPrice: { amount: '50000', currency: 'JPY' },
      },
    });
  });

  it('at approval required, an approval of another plan or of fewer seats does not cover the change', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('160100', { planId: 'seats', quantity: 5 });
    // Seats is not metered: the customer is at approval required through its planned amount.
    await world.budgets.putBudget(
      aBudget({
        subscriptionId: subscription.id,
        customerId: 'customer-a',
        plannedMonthlyAmount: { amount: '160000', currency: 'JPY' },
      }),
    );
    await world.partners.putApproval(
      anApproval({
        partnerId: 'partner-x',
        subscriptionId: subscription.id,
        maxQuantity: 7,
        expiresAt: new Date('2025-06-27T00:00:00Z'),
      }),
    );

    expect(await policy.decide({ subscription, change: { kind: 'quantity', quantity: 7 }, now })).toEqual({
      accept: true,
    });
    expect(await policy.decide({ subscription, change: { kind: 'quantity', quantity: 8 }, now })).toMatchObject({
      accept: false,
    });
    expect(await policy.decide({ subscription, change: { kind: 'quantity', quantity: 3 }, now })).toEqual({
      accept: true,
    });
  });

  it('at purchase blocked, refuses every price-raising change, approved or not', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('200200'); // ¥210,100
    await world.partners.putApproval(
      anApproval({
        partnerId: 'partner-x',
        subscriptionId: subscription.id,
        expiresAt: new Date('2025-06-27T00:00:00Z'),
      }),
    );

    const decision = await policy.decide({
      subscription,
      change: { kind: 'plan', planId: 'premium' },
      now,
      operationId: 'op-9',
    });

    expect(decision).toMatchObject({ accept: false, reason: expect.stringContaining('blocked') });
    expect(world.publisher.published.map((m) => m.threshold)).toEqual(['purchaseBlocked']);
  });

  it('still refuses when the partner cannot be told (the notice is best effort)', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('200200');
    world.publisher.failures = 5;

    const decision = await policy.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now });

    expect(decision.accept).toBe(false);
  });

  it('runs after the catalog policy when combined, which refuses unknown plans first', async () => {
    const { subscription, policy } = await aCustomerOfPartnerX('0');
    const combined = allPolicies(catalogChangePolicy(ALERT_CATALOG), policy);

    expect(await combined.decide({ subscription, change: { kind: 'plan', planId: 'gold' }, now })).toMatchObject({
      accept: false,
      reason: expect.stringContaining('not in the catalog'),
    });
    expect(await combined.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now })).toEqual({
      accept: true,
    });
  });
});

describe('isPurchaseBlocked', () => {
  it('is true once the charges or the planned amount exceed the purchase-blocked level', async () => {
    const below = await aCustomerOfPartnerX('160100');
    const above = await aCustomerOfPartnerX('200200');
    const planned = await aCustomerOfPartnerX('0', { planned: '250000' });

    expect(await isPurchaseBlocked(below.world, below.subscription.id)).toBe(false);
    expect(await isPurchaseBlocked(above.world, above.subscription.id)).toBe(true);
    expect(await isPurchaseBlocked(planned.world, planned.subscription.id)).toBe(true);
    expect(await isPurchaseBlocked(below.world, 'not-linked')).toBe(false);
  });
});
