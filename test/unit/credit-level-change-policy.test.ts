import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import {
  creditLevelChangePolicy,
  currentPurchaseBlock,
} from '#shared/use-cases/partners/credit-level-change-policy.ts';
import { releasePurchaseBlock } from '#shared/use-cases/partners/release-purchase-block.ts';
import { ALERT_CATALOG, anActiveSubscription, anEvaluationWorld, callsAt } from '#test/builders/alert-evaluation.ts';
import { aBudget, aCreditLink, anApproval, aPartnerRecord, someCreditLevels } from '#test/builders/alerts.ts';
import { aPartner, aPublisher } from '#test/builders/subscription.ts';

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
  if (calls !== '0')
    await applyUsageMessage({ ledger: world.ledger }, callsAt(subscription.id, '2025-06-10T01:00:00Z', calls));
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
    // The partner's notice names the subscription (offer and plan here), not an id fragment.
    expect(world.publisher.published[0]?.sms).toContain('Cloud All Standard');
  });

  it('publisher API: an explicit override lifts approval required (no refusal, no notice), never a purchase block', async () => {
    const approval = await aCustomerOfPartnerX('160100'); // approval required
    const blocked = await aCustomerOfPartnerX('200200'); // purchase blocked
    const publisherOverride = { reason: 'agreed with the partner by phone' };
    const change = { kind: 'plan' as const, planId: 'premium' };

    const lifted = await approval.policy.decide({
      subscription: approval.subscription,
      change,
      now,
      publisherOverride,
    });
    const stillBlocked = await blocked.policy.decide({
      subscription: blocked.subscription,
      change,
      now,
      publisherOverride,
    });

    expect(lifted).toEqual({ accept: true, overridden: expect.stringContaining('approval') });
    expect(approval.world.publisher.published).toEqual([]);
    expect(stillBlocked).toMatchObject({ accept: false, reason: expect.stringContaining('blocked') });
    expect(blocked.world.publisher.published.map((m) => m.threshold)).toEqual(['purchaseBlocked']);
  });

  it('publisher API: a refusal without a marketplace operation tells the partner too', async () => {
    const { world, subscription, policy } = await aCustomerOfPartnerX('160100');

    const refused = await policy.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now });

    expect(refused).toMatchObject({ accept: false });
    expect(world.publisher.published).toEqual([
      expect.objectContaining({
        recipient: { kind: 'partner', id: 'partner-x' },
        rule: 'purchaseChangeRejected',
        threshold: 'approvalRequired',
      }),
    ]);
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

describe('currentPurchaseBlock', () => {
  it('names the live reason once the charges or the planned amount exceed the purchase-blocked level', async () => {
    const below = await aCustomerOfPartnerX('160100');
    const above = await aCustomerOfPartnerX('200200');
    const planned = await aCustomerOfPartnerX('0', { planned: '250000' });

    expect(await currentPurchaseBlock(below.world, below.subscription.id)).toBeUndefined();
    expect(await currentPurchaseBlock(above.world, above.subscription.id)).toMatchObject({
      reason: 'chargesOverLevel',
      month: '2025-06',
    });
    expect(await currentPurchaseBlock(planned.world, planned.subscription.id)).toMatchObject({
      reason: 'plannedAmountOverLevel',
    });
    expect(await currentPurchaseBlock(below.world, 'not-linked')).toBeUndefined();
  });
});

/**
 * Seed 「月初、最大利用額が購入不可金額を超過している時」: May's ¥270,100 (two ¥10,000 fees, at the activation and at the
 * term's anniversary on May 30, and ¥250,100 of calls above the 100 included) is above the purchase-blocked
 * ¥200,000; June's charges are back at ¥10,000. Tokyo months.
 */
async function aCustomerBlockedAtMonthStart(levelSetAt = '2025-05-10T00:00:00Z') {
  const world = anEvaluationWorld(now.toISOString());
  const subscription = anActiveSubscription({
    activatedAt: '2025-04-30T15:00:00.000Z',
    customerId: 'customer-a',
    planId: 'standard',
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
      purchaseBlockedLevelSetAt: new Date(levelSetAt),
    }),
  );
  await applyUsageMessage({ ledger: world.ledger }, callsAt(subscription.id, '2025-05-10T01:00:00Z', '250200'));
  return { world, subscription, policy: creditLevelChangePolicy({ ...world, noticeBudgetMs: 1_000 }) };
}

describe('a month-start purchase block (購入不可 at the month start)', () => {
  it('refuses a price-raising change although this month’s charges are low, and says so', async () => {
    const { world, subscription, policy } = await aCustomerBlockedAtMonthStart();

    const decision = await policy.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now });
    const block = await currentPurchaseBlock(world, subscription.id);

    expect(decision).toMatchObject({ accept: false, reason: expect.stringContaining('month-start credit check') });
    expect(block).toMatchObject({
      reason: 'monthStartCheck',
      month: '2025-05',
      since: new Date('2025-05-31T15:00:00.000Z'), // 6/1 00:00 in Tokyo
      until: new Date('2025-06-30T15:00:00.000Z'), // the next month-start check
    });
    expect(block?.amount.toDecimalString()).toBe('270100');
  });

  it('accepts changes that do not raise the price', async () => {
    const { subscription, policy } = await aCustomerBlockedAtMonthStart();

    expect(await policy.decide({ subscription, change: { kind: 'plan', planId: 'metered' }, now })).toEqual({
      accept: true,
    });
  });

  it('lets the change through once the partner releases the block, until the next month-start check', async () => {
    const { world, subscription, policy } = await aCustomerBlockedAtMonthStart();
    const released = await releasePurchaseBlock(world, aPartner('partner-x'), {
      partnerId: 'partner-x',
      subscriptionId: subscription.id,
    });

    const june = await policy.decide({ subscription, change: { kind: 'plan', planId: 'premium' }, now });
    const july = await policy.decide({
      subscription,
      change: { kind: 'plan', planId: 'premium' },
      now: new Date('2025-07-01T03:00:00Z'), // May is still within the six months: blocked again
    });

    expect(released).toMatchObject({ release: { by: 'partner:partner-x' }, released: { reason: 'monthStartCheck' } });
    expect(released.stillBlocked).toBeUndefined();
    expect(june).toEqual({ accept: true });
    expect(july).toMatchObject({ accept: false });
  });

  it('checks a level set during the month at once, as the current status', async () => {
    const { world, subscription } = await aCustomerBlockedAtMonthStart('2025-06-18T00:00:00Z');

    expect(await currentPurchaseBlock(world, subscription.id)).toMatchObject({
      reason: 'currentStatusCheck',
      since: new Date('2025-06-18T00:00:00Z'),
    });
  });

  it('refuses a release when no month-start check blocks, or to another partner', async () => {
    const { world, subscription } = await aCustomerOfPartnerX('200200'); // blocked by this month's charges
    const input = { partnerId: 'partner-x', subscriptionId: subscription.id };

    await expect(releasePurchaseBlock(world, aPartner('partner-x'), input)).rejects.toThrow(
      /this month's charges .* raise the level/,
    );
    await expect(releasePurchaseBlock(world, aPartner('partner-y'), input)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      releasePurchaseBlock(world, aPublisher(), { partnerId: 'partner-y', subscriptionId: subscription.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
