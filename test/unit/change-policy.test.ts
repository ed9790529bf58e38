import { describe, expect, it } from 'vitest';
import { decideByCatalog } from '#shared/domain/change-rules.ts';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import type { ChangePolicy } from '#shared/use-cases/fulfillment/ports/change-policy.ts';
import { A_TENANT_ID, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [
        aPlan({ id: 'basic', displayName: 'Basic' }),
        aPlan({ id: 'team', displayName: 'Team', pricingModel: 'perUser', minQuantity: 2, maxQuantity: 50 }),
        aPlan({ id: 'acme', displayName: 'Acme', visibility: 'private' }),
      ],
    }),
  ],
});
const onTeam = aSubscription({ planId: 'team', quantity: 5, beneficiary: { tenantId: 'tenant-x' } });

describe('the default change policy (the plan catalog)', () => {
  it('accepts a public plan of the offer', () => {
    expect(decideByCatalog(catalog, onTeam, { kind: 'plan', planId: 'basic' })).toEqual({ accept: true });
  });

  it('rejects a plan unknown to the catalog, naming it', () => {
    const decision = decideByCatalog(catalog, onTeam, { kind: 'plan', planId: 'platinum' });

    expect(decision).toMatchObject({ accept: false, reason: expect.stringContaining('"platinum"') });
  });

  it('rejects a private plan for a tenant outside its audience, and accepts it for one inside', () => {
    expect(decideByCatalog(catalog, onTeam, { kind: 'plan', planId: 'acme' })).toMatchObject({ accept: false });
    const acmeCustomer = aSubscription({ planId: 'basic', beneficiary: { tenantId: A_TENANT_ID } });
    expect(decideByCatalog(catalog, acmeCustomer, { kind: 'plan', planId: 'acme' })).toEqual({ accept: true });
  });

  it('accepts seats within the plan limits, bounds included', () => {
    for (const quantity of [2, 10, 50]) {
      expect(decideByCatalog(catalog, onTeam, { kind: 'quantity', quantity })).toEqual({ accept: true });
    }
  });

  it('rejects seats outside the plan limits or not whole', () => {
    for (const quantity of [1, 51, 1000, 2.5]) {
      expect(decideByCatalog(catalog, onTeam, { kind: 'quantity', quantity })).toMatchObject({
        accept: false,
        reason: expect.stringContaining('2 to 50'),
      });
    }
  });

  it('rejects seats on a flat-rate plan and any change of an offer the catalog does not know', () => {
    const flat = aSubscription({ planId: 'basic' });
    expect(decideByCatalog(catalog, flat, { kind: 'quantity', quantity: 3 })).toMatchObject({ accept: false });
    const stranger = aSubscription({ offerId: 'other-offer' });
    expect(decideByCatalog(catalog, stranger, { kind: 'plan', planId: 'basic' })).toMatchObject({ accept: false });
  });
});

describe('combining policies (how credit levels plug in)', () => {
  const now = new Date('2026-01-15T10:00:00Z');
  const refuseAll: ChangePolicy = { decide: async () => ({ accept: false, reason: 'purchase blocked by credit' }) };

  it('accepts only what every policy accepts, with the first rejection as the reason', async () => {
    const combined = allPolicies(catalogChangePolicy(catalog), refuseAll);

    await expect(
      combined.decide({ subscription: onTeam, change: { kind: 'quantity', quantity: 10 }, now }),
    ).resolves.toEqual({ accept: false, reason: 'purchase blocked by credit' });
    await expect(
      combined.decide({ subscription: onTeam, change: { kind: 'quantity', quantity: 99 }, now }),
    ).resolves.toMatchObject({ reason: expect.stringContaining('seat limits') });
    await expect(
      allPolicies(catalogChangePolicy(catalog)).decide({
        subscription: onTeam,
        change: { kind: 'quantity', quantity: 10 },
        now,
      }),
    ).resolves.toEqual({ accept: true });
  });
});
