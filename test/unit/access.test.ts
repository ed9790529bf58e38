import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canAccessSubscription,
  catalogVisibleTo,
  type Principal,
  principalOfUser,
  requireBudgetAccess,
  requirePartnerAccess,
  requirePublisher,
} from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { CONSUMER_TENANT_ID } from '#shared/domain/entra-ids.ts';
import { ForbiddenError } from '#shared/domain/errors.ts';
import type { Party } from '#shared/domain/subscription.ts';
import { principalOfSignedInUser } from '#shared/use-cases/access/principal-of-signed-in-user.ts';
import { aPartnerRecord } from '#test/builders/alerts.ts';
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

  it('compares tenant ids without regard to case (they are GUIDs), for beneficiaries and, signed in, purchasers', () => {
    const bought = aSubscription({ beneficiary: { tenantId: 'tenant-x' }, purchaser: { tenantId: 'Tenant-A' } });
    const signedInA = principalOfUser({ tenantId: 'TENANT-A', objectId: 'o' }, { users: [] }, undefined);

    expect(canAccessSubscription(aCustomer({ tenantId: 'TENANT-A' }), subscription)).toBe(true);
    expect(canAccessSubscription(signedInA, bought)).toBe(true);
    expect(canAccessSubscription(signedInA, subscription)).toBe(true);
    // A customer key keeps its beneficiary-only scope, whatever the case.
    expect(canAccessSubscription(aCustomer({ tenantId: 'tenant-a' }), bought)).toBe(false);
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

describe('personal Microsoft accounts (the consumer tenant, shared by every personal account)', () => {
  const noAdmins = { users: [] };
  const personal = (objectId: string, tenantId = CONSUMER_TENANT_ID) =>
    principalOfUser({ tenantId, objectId, name: 'Mia' }, noAdmins, undefined);
  const inConsumerTenant = (objectId: string): Party => ({ tenantId: CONSUMER_TENANT_ID, objectId });
  const mine = aSubscription({ beneficiary: inConsumerTenant('oid-mia'), purchaser: inConsumerTenant('oid-mia') });
  const boughtByMe = aSubscription({
    beneficiary: inConsumerTenant('oid-kid'),
    purchaser: inConsumerTenant('oid-mia'),
  });
  const usedByMe = aSubscription({ beneficiary: inConsumerTenant('oid-mia'), purchaser: { tenantId: 'tenant-org' } });
  const someoneElses = aSubscription({
    beneficiary: inConsumerTenant('oid-leo'),
    purchaser: inConsumerTenant('oid-leo'),
  });
  // The same object id in a work tenant is not this personal account.
  const sameIdElsewhere = aSubscription({
    beneficiary: { tenantId: 'tenant-org', objectId: 'oid-mia' },
    purchaser: { tenantId: 'tenant-org', objectId: 'oid-mia' },
  });

  it('makes a personal account a customer of its own purchases, with no tenant scope, in any case', () => {
    expect(personal('OID-Mia', CONSUMER_TENANT_ID.toUpperCase())).toEqual({
      role: 'customer',
      keyId: 'user:oid-mia',
      subscriptionIds: [],
      personalObjectId: 'oid-mia',
      user: { tenantId: CONSUMER_TENANT_ID, objectId: 'oid-mia', name: 'Mia' },
    });
  });

  it('lets a personal account see what it uses or bought, and nothing else of the consumer tenant', () => {
    const mia = personal('oid-mia');

    expect([mine, boughtByMe, usedByMe].map((s) => canAccessSubscription(mia, s))).toEqual([true, true, true]);
    expect(canAccessSubscription(mia, someoneElses)).toBe(false);
    expect(canAccessSubscription(mia, sameIdElsewhere)).toBe(false);
    expect(canAccessSubscription(mia, aSubscription({ beneficiary: { tenantId: CONSUMER_TENANT_ID } }))).toBe(false);
    expect(() => requireBudgetAccess(mia, someoneElses, 'read')).toThrow(ForbiddenError);
  });

  it('never makes the consumer tenant a partner, even when a partner was registered with it', async () => {
    const partners = {
      findPartnerByTenant: async () => ({ ...aPartnerRecord({ id: 'p-msa' }), tenantId: CONSUMER_TENANT_ID }),
    };

    const principal = await principalOfSignedInUser(
      { partners, publisherAdmins: noAdmins },
      { tenantId: CONSUMER_TENANT_ID, objectId: 'oid-mia' },
    );

    expect(principalOfUser({ tenantId: CONSUMER_TENANT_ID, objectId: 'o' }, noAdmins, 'p-msa').role).toBe('customer');
    expect(principal).toMatchObject({ role: 'customer', personalObjectId: 'oid-mia' });
    expect(principal).not.toHaveProperty('tenantId');
  });

  it('shows a personal account no private plan offered to the consumer tenant (it would be every account’s)', () => {
    const catalog: Catalog = {
      storeFeeRate: '0.03',
      offers: [
        {
          id: 'offer',
          displayName: 'Offer',
          dimensions: [],
          plans: [
            {
              id: 'private-plan',
              displayName: 'Private',
              visibility: 'private',
              audience: { tenantIds: [CONSUMER_TENANT_ID], subscriptionIds: [] },
              pricingModel: 'flatRate',
              freeTrial: false,
              billingTerms: [],
              meteredDimensions: [],
            },
          ],
        },
      ],
    };

    expect(catalogVisibleTo(personal('oid-mia'), catalog).offers[0]?.plans).toEqual([]);
  });

  it('property: a personal account sees exactly the subscriptions whose beneficiary or purchaser it is', () => {
    const objectIds = ['oid-1', 'oid-2', 'oid-3'];
    const aParty = fc.record({
      tenantId: fc.constantFrom(CONSUMER_TENANT_ID, CONSUMER_TENANT_ID.toUpperCase(), 'tenant-org'),
      objectId: fc.option(fc.constantFrom(...objectIds, 'OID-1', 'OID-2'), { nil: undefined }),
    });
    const parties = fc.array(fc.record({ beneficiary: aParty, purchaser: aParty }), { maxLength: 8 });
    const signInCase = fc.constantFrom(
      (id: string) => id,
      (id: string) => id.toUpperCase(),
    );
    fc.assert(
      fc.property(parties, fc.constantFrom(...objectIds), signInCase, (stored, objectId, spell) => {
        const subscriptions = stored.map(({ beneficiary, purchaser }) =>
          aSubscription({ beneficiary: withoutUndefined(beneficiary), purchaser: withoutUndefined(purchaser) }),
        );
        const user: Principal = principalOfUser(
          { tenantId: spell(CONSUMER_TENANT_ID), objectId: spell(objectId) },
          noAdmins,
          undefined,
        );
        const isTheUser = (party: Party) =>
          party.tenantId.toLowerCase() === CONSUMER_TENANT_ID && party.objectId?.toLowerCase() === objectId;

        for (const subscription of subscriptions) {
          expect(canAccessSubscription(user, subscription)).toBe(
            isTheUser(subscription.beneficiary) || isTheUser(subscription.purchaser),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});

function withoutUndefined(party: { tenantId: string; objectId: string | undefined }): Party {
  return party.objectId === undefined
    ? { tenantId: party.tenantId }
    : { tenantId: party.tenantId, objectId: party.objectId };
}
