import { describe, expect, it } from 'vitest';
import { sameTermChangeRefusal } from '#shared/domain/change-rules.ts';
import { aBillingTerm, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';

const monthly = aBillingTerm({ termUnit: 'P1M', billingFrequency: 'monthly' });
const yearlyMonthly = aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'monthly' });
const yearlyUpfront = aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'upfront' });

const catalog = aCatalog({
  offers: [
    anOffer({
      plans: [
        aPlan({ id: 'basic', billingTerms: [monthly] }),
        aPlan({ id: 'pro', billingTerms: [monthly, yearlyMonthly] }),
        aPlan({ id: 'annual', billingTerms: [yearlyUpfront] }),
        aPlan({ id: 'annual-monthly', billingTerms: [yearlyMonthly] }),
      ],
    }),
  ],
});
const on = (planId: string, termUnit: 'P1M' | 'P1Y') =>
  aSubscription({
    offerId: 'contoso-analytics',
    planId,
    term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit },
  });

describe('sameTermChangeRefusal (Microsoft: plan changes only within the same term unit and billing frequency)', () => {
  it('accepts a plan that sells the current term unit with the same billing frequency', () => {
    expect(sameTermChangeRefusal(catalog, on('basic', 'P1M'), 'pro')).toBeUndefined();
    expect(sameTermChangeRefusal(catalog, on('pro', 'P1Y'), 'annual-monthly')).toBeUndefined();
  });

  it('refuses another term unit, naming the rule, the unit and the frequency', () => {
    const reason = sameTermChangeRefusal(catalog, on('basic', 'P1M'), 'annual');
    expect(reason).toMatch(/^same-term rule: plan "annual" does not sell the subscription's term P1M billed monthly/);
  });

  it('refuses the same term unit billed at another frequency', () => {
    // `pro` on P1Y is rated monthly (billingTermFor); `annual` sells P1Y only up front.
    expect(sameTermChangeRefusal(catalog, on('pro', 'P1Y'), 'annual')).toContain('term P1Y billed monthly');
  });

  it('says nothing when it cannot judge: no term, or a plan the catalog does not know', () => {
    const { term: _term, ...withoutTerm } = on('basic', 'P1M');
    expect(sameTermChangeRefusal(catalog, withoutTerm, 'annual')).toBeUndefined();
    expect(sameTermChangeRefusal(catalog, on('basic', 'P1M'), 'unknown')).toBeUndefined();
    expect(sameTermChangeRefusal(catalog, on('gone', 'P1M'), 'annual')).toBeUndefined();
  });
});
