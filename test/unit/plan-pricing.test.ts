import { describe, expect, it } from 'vitest';
import { customerIdOf } from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { requirePlanPricedIn } from '#shared/domain/plan-pricing.ts';
import { aBillingTerm, aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { aSubscription } from '#test/builders/subscription.ts';

describe('requirePlanPricedIn', () => {
  // One plan sold monthly in USD and JPY, and yearly in USD only.
  const catalog = aCatalog({
    offers: [
      anOffer({
        plans: [
          aPlan({
            billingTerms: [
              aBillingTerm({ termUnit: 'P1M', price: { USD: '100.00', JPY: '15000' } }),
              aBillingTerm({ termUnit: 'P1Y', price: { USD: '1000.00' } }),
            ],
          }),
        ],
      }),
    ],
  });

  it('accepts a currency the billing term of the subscription’s term unit is priced in', () => {
    const monthly = aSubscription({ term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' } });

    expect(() => requirePlanPricedIn(catalog, monthly, 'JPY', 'currency')).not.toThrow();
  });

  it('refuses a currency only another term unit is priced in, naming the field and the currencies to use', () => {
    const yearly = aSubscription({ term: { startDate: '2026-01-06', endDate: '2027-01-05', termUnit: 'P1Y' } });

    const refusal = (() => {
      try {
        requirePlanPricedIn(catalog, yearly, 'JPY', 'warning.currency');
      } catch (error) {
        return error;
      }
    })();

    expect(refusal).toBeInstanceOf(ValidationError);
    expect(refusal).toMatchObject({ field: 'warning.currency', message: expect.stringMatching(/use one of USD$/) });
  });

  it('refuses a subscription whose plan is not in the catalog', () => {
    expect(() => requirePlanPricedIn(catalog, aSubscription({ planId: 'gone' }), 'USD', 'currency')).toThrow(
      ValidationError,
    );
  });
});

describe('customerIdOf', () => {
  it('is the beneficiary’s tenant, not the purchaser’s (a reseller buys for its customer)', () => {
    const bought = aSubscription({
      beneficiary: { tenantId: 'tenant-customer', emailId: 'it@customer.example' },
      purchaser: { tenantId: 'tenant-reseller', emailId: 'sales@reseller.example' },
    });

    expect(customerIdOf(bought)).toBe('tenant-customer');
  });
});
