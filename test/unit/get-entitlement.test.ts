import { describe, expect, it } from 'vitest';
import type { PurchaseBlock } from '#shared/domain/alerts/credit.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { type GetEntitlementDeps, getEntitlement } from '#shared/use-cases/billing/get-entitlement.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { aBillingTerm, aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aCustomer, aPartner, aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

const metered = [aDimensionPrice({ dimensionId: 'api-calls' }), aDimensionPrice({ dimensionId: 'gb' })];
const catalog: Catalog = aCatalog({
  offers: [
    anOffer({
      dimensions: [aDimension({ id: 'api-calls' }), aDimension({ id: 'gb', displayName: 'GB', unitOfMeasure: 'GB' })],
      plans: [
        aPlan({
          id: 'monthly',
          meteredDimensions: metered,
          billingTerms: [aBillingTerm({ includedQuantities: { 'api-calls': '1000', gb: 'unlimited' } })],
        }),
        aPlan({
          id: 'small',
          displayName: 'Small',
          meteredDimensions: metered,
          billingTerms: [aBillingTerm({ includedQuantities: { 'api-calls': '500' } })],
        }),
        aPlan({
          id: 'yearly',
          displayName: 'Yearly',
          meteredDimensions: metered,
          billingTerms: [aBillingTerm({ termUnit: 'P1Y', includedQuantities: { 'api-calls': '2000', gb: '1000' } })],
        }),
      ],
    }),
  ],
});

function setup(now: string) {
  const subscriptions = new InMemorySubscriptionStore();
  const ledger = new InMemoryUsageLedger();
  const prepaid: { end?: Date } = {};
  const blocked: { value: PurchaseBlock | undefined } = { value: undefined };
  const deps: GetEntitlementDeps = {
    subscriptions,
    ledger,
    catalog,
    clock: new FixedClock(now),
    dayPacks: {
      findPrepaidTerm: async (subscriptionId) =>
        prepaid.end
          ? {
              version: 1,
              term: {
                subscriptionId,
                productKey: 'contoso-analytics',
                start: new Date(0),
                end: prepaid.end,
                extensions: 1,
              },
            }
          : undefined,
    },
    purchaseBlocks: { purchaseBlockOf: async () => blocked.value },
  };
  const store = async (overrides: Partial<Subscription>) => {
    const subscription = aSubscription({ beneficiary: { tenantId: 'tenant-a' }, partnerId: 'partner-a', ...overrides });
    await subscriptions.put(subscription);
    return subscription;
  };
  /** Usage of one slot (hour ISO) of the subscription. */
  const use = (subscriptionId: string, dimension: string, hour: string, quantity: string) =>
    applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({ slots: [aSlot({ subscriptionId, dimension, hour, quantity })] }),
    );
  return { deps, store, use, prepaid, blocked };
}

const allowanceOf = (entitlement: Awaited<ReturnType<typeof getEntitlement>>, dimension: string) =>
  entitlement.included.find((entry) => entry.dimension === dimension);

describe('getEntitlement', () => {
  it('stays entitled on a term unit it does not rate (PAY), showing no included quantity rather than a monthly one', async () => {
    const { deps, store } = setup('2026-02-10T12:00:00.000Z');
    const subscription = await store({
      planId: 'monthly',
      term: undefined,
      unratedTermUnit: 'PAY',
      timeline: [{ from: '2026-01-06T09:00:00.000Z', status: 'Subscribed', planId: 'monthly' }],
    });

    const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);

    expect(entitlement).toMatchObject({ entitled: true, term: null, included: [], includedSince: null });
  });

  it('is entitled while Subscribed, with the plan, seats, term and what is left of each included quantity', async () => {
    const { deps, store, use, prepaid } = setup('2026-02-10T12:00:00.000Z');
    const subscription = await store({
      planId: 'monthly',
      term: { startDate: '2026-02-06', endDate: '2026-03-05', termUnit: 'P1M' },
      timeline: [{ from: '2026-01-06T09:00:00.000Z', status: 'Subscribed', planId: 'monthly' }],
    });
    prepaid.end = new Date('2026-05-01T00:00:00Z');
    // The previous term's usage does not count: the allowance resets on the anniversary (Feb 6), not on Feb 1.
    await use(subscription.id, 'api-calls', '2026-02-05T23:00:00.000Z', '900');
    await use(subscription.id, 'api-calls', '2026-02-06T00:00:00.000Z', '250.5');
    await use(subscription.id, 'api-calls', '2026-02-10T09:00:00.000Z', '100');
    await use(subscription.id, 'gb', '2026-02-09T09:00:00.000Z', '70');

    const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);

    expect(entitlement).toEqual({
      subscriptionId: subscription.id,
      status: 'Subscribed',
      entitled: true,
      offerId: 'contoso-analytics',
      planId: 'monthly',
      quantity: null,
      term: { startDate: '2026-02-06', endDate: '2026-03-05', termUnit: 'P1M' },
      prepaidTermEnd: '2026-05-01T00:00:00.000Z',
      includedSince: '2026-02-06T00:00:00.000Z',
      included: [
        { dimension: 'api-calls', included: '1000', used: '350.5', remaining: '649.5' },
        { dimension: 'gb', included: 'unlimited', used: '70', remaining: 'unlimited' },
      ],
      purchaseBlocked: false,
      purchaseBlock: null,
      asOf: '2026-02-10T12:00:00.000Z',
    });
  });

  it('counts a yearly term across whole months and partial ones, each day once, and never goes below zero', async () => {
    const { deps, store, use } = setup('2026-03-10T12:00:00.000Z');
    const subscription = await store({
      planId: 'yearly',
      term: { startDate: '2025-11-15', endDate: '2026-11-14', termUnit: 'P1Y' },
      timeline: [{ from: '2025-11-15T08:00:00.000Z', status: 'Subscribed', planId: 'yearly' }],
    });
    const hours = [
      ['2025-11-14T23:00:00.000Z', '5000'], // before the term: not counted
      ['2025-11-15T09:00:00.000Z', '100'],
      ['2025-11-30T23:00:00.000Z', '200'],
      ['2025-12-31T23:00:00.000Z', '300'],
      ['2026-01-15T10:00:00.000Z', '400'],
      ['2026-02-28T23:00:00.000Z', '500'],
      ['2026-03-01T00:00:00.000Z', '600'],
      ['2026-03-10T09:00:00.000Z', '700'],
    ] as const;
    for (const [hour, quantity] of hours) await use(subscription.id, 'api-calls', hour, quantity);
    await use(subscription.id, 'gb', '2026-01-02T00:00:00.000Z', '12.25');

    const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);

    expect(entitlement.includedSince).toBe('2025-11-15T00:00:00.000Z');
    expect(allowanceOf(entitlement, 'api-calls')).toEqual({
      dimension: 'api-calls',
      included: '2000',
      used: '2800',
      remaining: '0',
    });
    expect(allowanceOf(entitlement, 'gb')).toEqual({
      dimension: 'gb',
      included: '1000',
      used: '12.25',
      remaining: '987.75',
    });
  });

  it('counts usage before a plan change in the same term against the new plan (allowance.ts plan change rule)', async () => {
    const { deps, store, use } = setup('2026-01-25T12:00:00.000Z');
    const subscription = await store({
      planId: 'small',
      term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' },
      timeline: [
        { from: '2026-01-06T09:00:00.000Z', status: 'Subscribed', planId: 'monthly' },
        { from: '2026-01-20T09:00:00.000Z', status: 'Subscribed', planId: 'small' },
      ],
    });
    await use(subscription.id, 'api-calls', '2026-01-10T09:00:00.000Z', '300');
    await use(subscription.id, 'api-calls', '2026-01-21T09:00:00.000Z', '100');

    const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);

    expect(allowanceOf(entitlement, 'api-calls')).toMatchObject({ included: '500', used: '400', remaining: '100' });
  });

  it('is not entitled before activation, while suspended or after cancellation', async () => {
    const { deps, store } = setup('2026-02-10T12:00:00.000Z');
    const pending = await store({
      status: 'PendingFulfillmentStart',
      planId: 'monthly',
      term: undefined,
      timeline: [{ from: '2026-02-10T11:00:00.000Z', status: 'PendingFulfillmentStart', planId: 'monthly' }],
    });
    const suspended = await store({ status: 'Suspended', planId: 'monthly' });
    const cancelled = await store({ status: 'Unsubscribed', planId: 'monthly' });

    const before = await getEntitlement(deps, aPublisher(), pending.id);
    const during = await getEntitlement(deps, aPublisher(), suspended.id);
    const after = await getEntitlement(deps, aPublisher(), cancelled.id);

    expect([before.entitled, during.entitled, after.entitled]).toEqual([false, false, false]);
    expect(before).toMatchObject({ term: null, includedSince: null, prepaidTermEnd: null });
    expect(allowanceOf(before, 'api-calls')).toEqual({
      dimension: 'api-calls',
      included: '1000',
      used: '0',
      remaining: '1000',
    });
  });

  it('shows no included quantities for a plan the catalog no longer has, and says when purchases are blocked', async () => {
    const { deps, store, blocked } = setup('2026-02-10T12:00:00.000Z');
    const subscription = await store({ planId: 'retired-plan' });
    blocked.value = {
      reason: 'monthStartCheck',
      amount: Money.of('350000', 'JPY'),
      purchaseBlockedLevel: Money.of('300000', 'JPY'),
      month: '2026-01',
      since: new Date('2026-01-31T15:00:00.000Z'),
      until: new Date('2026-02-28T15:00:00.000Z'),
    };

    const entitlement = await getEntitlement(deps, aPublisher(), subscription.id);

    expect(entitlement).toMatchObject({
      entitled: true,
      planId: 'retired-plan',
      included: [],
      purchaseBlocked: true,
      purchaseBlock: {
        reason: 'monthStartCheck',
        since: '2026-01-31T15:00:00.000Z',
        until: '2026-02-28T15:00:00.000Z',
        amount: { amount: '350000', currency: 'JPY' },
        purchaseBlockedLevel: { amount: '300000', currency: 'JPY' },
        month: '2026-01',
      },
    });
  });

  it('answers the subscription’s own customer and partner, and no one else', async () => {
    const { deps, store } = setup('2026-02-10T12:00:00.000Z');
    const subscription = await store({ planId: 'monthly' });

    await expect(getEntitlement(deps, aCustomer({ tenantId: 'tenant-a' }), subscription.id)).resolves.toMatchObject({
      entitled: true,
    });
    await expect(getEntitlement(deps, aPartner('partner-a'), subscription.id)).resolves.toMatchObject({
      entitled: true,
    });
    await expect(getEntitlement(deps, aCustomer({ tenantId: 'tenant-b' }), subscription.id)).rejects.toThrow(
      ForbiddenError,
    );
    await expect(getEntitlement(deps, aPartner('partner-b'), subscription.id)).rejects.toThrow(ForbiddenError);
    await expect(getEntitlement(deps, aPublisher(), 'no-such-subscription')).rejects.toThrow(NotFoundError);
  });
});
