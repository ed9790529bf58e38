import { describe, expect, it } from 'vitest';
import {
  canAccessSubscription,
  catalogVisibleTo,
  requireBudgetAccess,
  requirePartnerAccess,
  requirePublisher,
} from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ForbiddenError } from '#shared/domain/errors.ts';
import { aCustomer, aPartner, aPublisher, aSubscription } from '#test/builders/subscription.ts';

describe('who may access a subscription', () => {
  const subscription = aSubscription({ partnerId: 'partner-1', beneficiary: { tenantId: 'tenant-a' } });

  it('lets the publisher access every subscription', () => {
    expect(canAccessSubscription(aPublisher(), subscription)).toBe(true);
  });

  it('lets a partner access the subscriptions of its own customers only', () => {
    expect(canAccessSubscription(aPartner('partner-1'), subscription)).toBe(true);
    expect(canAccessSubscription(aPartner('partner-2'), subscription)).toBe(false);
    expect(canAccessSubscription(aPartner('partner-1'), aSubscription({ partnerId: undefined }))).toBe(false);
  });

  it('lets a customer access subscriptions of its tenant or listed by id, and no other', () => {
    expect(canAccessSubscription(aCustomer({ tenantId: 'tenant-a' }), subscription)).toBe(true);
    expect(canAccessSubscription(aCustomer({ subscriptionIds: [subscription.id] }), subscription)).toBe(true);
    expect(canAccessSubscription(aCustomer({ tenantId: 'tenant-b' }), subscription)).toBe(false);
    expect(canAccessSubscription(aCustomer({ subscriptionIds: ['other'] }), subscription)).toBe(false);
  });

  it('refuses publisher-only actions to partner and customer keys with a message naming the role', () => {
    expect(() => requirePublisher(aPublisher(), 'create API keys')).not.toThrow();
    expect(() => requirePublisher(aPartner(), 'create API keys')).toThrow(ForbiddenError);
    expect(() => requirePublisher(aCustomer({ tenantId: 't' }), 'create API keys')).toThrow(/customer key/);
  });

  it('lets a partner act only for itself', () => {
    expect(() => requirePartnerAccess(aPartner('p1'), 'p1')).not.toThrow();
    expect(() => requirePartnerAccess(aPartner('p1'), 'p2')).toThrow(ForbiddenError);
    expect(() => requirePartnerAccess(aCustomer({ tenantId: 't' }), 'p1')).toThrow(ForbiddenError);
  });
});

describe('who may read or set a budget', () => {
  const subscription = aSubscription({ partnerId: 'partner-1', beneficiary: { tenantId: 'tenant-a' } });

  it('lets the publisher and the subscription’s own customer read and set it', () => {
    expect(() => requireBudgetAccess(aPublisher(), subscription, 'set')).not.toThrow();
    expect(() => requireBudgetAccess(aCustomer({ tenantId: 'tenant-a' }), subscription, 'read')).not.toThrow();
  });

  it('refuses the subscription’s own partner, naming the action, and a customer of another tenant', () => {
    expect(() => requireBudgetAccess(aPartner('partner-1'), subscription, 'set')).toThrow(
      /partner key may not set a customer's budget/,
    );
    expect(() => requireBudgetAccess(aCustomer({ tenantId: 'tenant-b' }), subscription, 'read')).toThrow(
      ForbiddenError,
    );
  });
});

describe('catalog visibility', () => {
  const catalog: Catalog = {
    storeFeeRate: '0.03',
    offers: [
      {
        id: 'offer',
        displayName: 'Offer',
        dimensions: [],
        plans: [
          {
            id: 'public-plan',
            displayName: 'Public',
            visibility: 'public',
            pricingModel: 'flatRate',
            freeTrial: false,
            billingTerms: [],
            meteredDimensions: [],
          },
          {
            id: 'private-plan',
            displayName: 'Private',
            visibility: 'private',
            audience: { tenantIds: ['tenant-a', 'tenant-b'], subscriptionIds: [] },
            customerPrices: [
              { tenantId: 'tenant-a', dimensionPrices: {} },
              { tenantId: 'tenant-b', dimensionPrices: {} },
            ],
            pricingModel: 'flatRate',
            freeTrial: false,
            billingTerms: [],
            meteredDimensions: [],
          },
        ],
      },
    ],
  };
  const planIds = (visible: Catalog) => visible.offers[0]?.plans.map((plan) => plan.id);

  it('shows the publisher every plan', () => {
    expect(planIds(catalogVisibleTo(aPublisher(), catalog))).toEqual(['public-plan', 'private-plan']);
  });

  it('hides private plans from customers outside their audience and from partners', () => {
    expect(planIds(catalogVisibleTo(aCustomer({ tenantId: 'tenant-z' }), catalog))).toEqual(['public-plan']);
    expect(planIds(catalogVisibleTo(aPartner(), catalog))).toEqual(['public-plan']);
  });

  it('shows a customer in the audience its private plan with only its own negotiated prices', () => {
    const visible = catalogVisibleTo(aCustomer({ tenantId: 'tenant-a' }), catalog);
    const privatePlan = visible.offers[0]?.plans[1];

    expect(privatePlan?.id).toBe('private-plan');
    expect(privatePlan?.audience).toBeUndefined();
    expect(privatePlan?.customerPrices).toEqual([{ tenantId: 'tenant-a', dimensionPrices: {} }]);
  });
});
