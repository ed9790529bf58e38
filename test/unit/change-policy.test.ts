import { describe, expect, it } from 'vitest';
import { decideByCatalog } from '#shared/domain/change-rules.ts';
import { allPolicies, catalogChangePolicy } from '#shared/use-cases/fulfillment/change-policies.ts';
import type { ChangePolicy } from '#shared/use-cases/fulfillment/ports/change-policy.ts';
import { A_TENANT_ID, aBillingTerm, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [
        aPlan({ id: 'basic', displayName: 'Basic' }),
        aPlan({ id: 'team', displayName: 'Team', pricingModel: 'perUser', minQuantity: 2, maxQuantity: 50 }),
        aPlan({ id: 'acme', displayName: 'Acme', visibility: 'private' }),
        aPlan({ id: 'yearly', displayName: 'Yearly', billingTerms: [aBillingTerm({ termUnit: 'P1Y' })] }),
        aPlan({
          id: 'yearly-upfront',
          displayName: 'Yearly up front',
          billingTerms: [aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'upfront' })],
        }),
        aPlan({
          id: 'flexible',
          displayName: 'Flexible',
          billingTerms: [aBillingTerm(), aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'upfront' })],
        }),
      ],
    }),
  ],
});
const onTeam = aSubscription({ planId: 'team', quantity: 5, beneficiary: { tenantId: 'tenant-x' } });

describe('the same-term rule (Microsoft, since 2026-07: plan changes only to the same term and billing frequency)', () => {
  const monthly = aSubscription({
    planId: 'basic',
    term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' },
  });
  const yearly = aSubscription({
    planId: 'yearly',
    term: { startDate: '2026-01-06', endDate: '2027-01-05', termUnit: 'P1Y' },
  });

  it('refuses a plan that does not sell the current term unit, naming the rule', () => {
    expect(decideByCatalog(catalog, monthly, { kind: 'plan', planId: 'yearly' })).toEqual({
      accept: false,
      reason: expect.stringMatching(
        /^same-term rule: plan "yearly" does not sell the subscription's term P1M billed monthly/,
      ),
    });
  });

  it('refuses a plan that sells the term unit only with another billing frequency', () => {
    expect(decideByCatalog(catalog, yearly, { kind: 'plan', planId: 'yearly-upfront' })).toMatchObject({
      accept: false,
      reason: expect.stringContaining('P1Y billed monthly'),
    });
  });

  it('accepts a plan that sells the same term with the same billing frequency, among other terms', () => {
    expect(decideByCatalog(catalog, monthly, { kind: 'plan', planId: 'flexible' })).toEqual({ accept: true });
    expect(decideByCatalog(catalog, monthly, { kind: 'plan', planId: 'team' })).toEqual({ accept: true });
  });

  it('refuses every plan for a term unit this system does not rate (kept raw, e.g. PAY)', () => {
    const { term: _term, ...withoutTerm } = monthly;
    const payg = { ...withoutTerm, unratedTermUnit: 'PAY' };

    expect(decideByCatalog(catalog, payg, { kind: 'plan', planId: 'flexible' })).toMatchObject({
      accept: false,
      reason: expect.stringContaining('same-term rule: plan "flexible" does not sell the subscription\'s term PAY'),
    });
  });
});

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
