import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DIMENSIONS_PER_OFFER } from '#shared/domain/catalog.ts';
import {
  assertValidCatalog,
  CatalogError,
  dimensionIdsOf,
  findOffer,
  findPlan,
  isPlanOfferedTo,
  validateCatalog,
} from '#shared/domain/catalog-rules.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import {
  A_TENANT_ID,
  aBillingTerm,
  aCatalog,
  aCatalogArbitrary,
  aDimension,
  aDimensionPrice,
  anOffer,
  anOfferArbitrary,
  aPlan,
  manyDimensions,
} from '#test/builders/catalog.ts';

function catalogWithPlan(...plans: Parameters<typeof aPlan>[0][]) {
  return aCatalog({ offers: [anOffer({ plans: plans.map((plan) => aPlan(plan)) })] });
}

describe('validateCatalog', () => {
  it('accepts the default catalog of the builders', () => {
    expect(validateCatalog(aCatalog())).toEqual([]);
  });

  it('accepts an offer with exactly 30 dimensions', () => {
    const catalog = aCatalog({
      offers: [
        anOffer({
          dimensions: manyDimensions(MAX_DIMENSIONS_PER_OFFER),
          plans: [
            aPlan({ meteredDimensions: [aDimensionPrice({ dimensionId: 'dim-1' })], billingTerms: [aBillingTerm()] }),
          ],
        }),
      ],
    });

    expect(validateCatalog(catalog)).toEqual([]);
  });

  it('rejects an offer with 31 dimensions, naming the offer', () => {
    const catalog = aCatalog({
      offers: [anOffer({ id: 'big-offer', dimensions: [aDimension(), ...manyDimensions(30)] })],
    });

    const issues = validateCatalog(catalog);

    expect(issues).toEqual([
      { offerId: 'big-offer', field: 'dimensions', message: expect.stringContaining('31 metered dimensions') },
    ]);
    expect(issues[0]?.message).toContain('at most 30');
  });

  it('rejects a metered per-user plan, naming offer and plan', () => {
    const catalog = catalogWithPlan({
      id: 'gold',
      pricingModel: 'perUser',
      minQuantity: 1,
      maxQuantity: 10,
      meteredDimensions: [aDimensionPrice()],
    });

    expect(validateCatalog(catalog)).toEqual([
      {
        offerId: 'contoso-analytics',
        planId: 'gold',
        field: 'meteredDimensions',
        message: expect.stringContaining('only allowed on flat-rate plans (this plan is per user)'),
      },
    ]);
  });

  it('rejects a metered plan with a free trial, naming offer and plan', () => {
    const catalog = catalogWithPlan({ id: 'trial', freeTrial: true, meteredDimensions: [aDimensionPrice()] });

    expect(validateCatalog(catalog)).toEqual([
      {
        offerId: 'contoso-analytics',
        planId: 'trial',
        field: 'freeTrial',
        message: expect.stringContaining('cannot have a free trial'),
      },
    ]);
  });

  it('accepts a free trial on a plan without metered dimensions', () => {
    expect(validateCatalog(catalogWithPlan({ freeTrial: true }))).toEqual([]);
  });

  it.each([
    ['uppercase letters', 'Gold'],
    ['a dot', 'gold.plan'],
    ['a space', 'gold plan'],
    ['51 characters', 'a'.repeat(51)],
    ['nothing', ''],
  ])('rejects a plan id with %s', (_case, id) => {
    const issues = validateCatalog(catalogWithPlan({ id }));

    expect(issues).toEqual([expect.objectContaining({ planId: id, field: 'id' })]);
  });

  it('accepts a plan id of 50 lowercase letters, digits, dashes and underscores', () => {
    expect(validateCatalog(catalogWithPlan({ id: `a-b_1${'x'.repeat(45)}` }))).toEqual([]);
  });

  it('rejects duplicate offer, plan and dimension ids', () => {
    const offer = anOffer({ dimensions: [aDimension(), aDimension()], plans: [aPlan(), aPlan()] });

    const issues = validateCatalog(aCatalog({ offers: [offer, offer] }));

    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          offerId: 'contoso-analytics',
          field: 'id',
          message: expect.stringContaining('more than one offer'),
        }),
        expect.objectContaining({
          planId: 'basic',
          field: 'id',
          message: expect.stringContaining('more than one plan'),
        }),
        expect.objectContaining({
          field: 'dimensions["api-calls"]',
          message: expect.stringContaining('more than once'),
        }),
      ]),
    );
  });

  it('rejects metered dimensions and included quantities that are not dimensions of the offer', () => {
    const catalog = catalogWithPlan({
      meteredDimensions: [aDimensionPrice({ dimensionId: 'api-callz' })],
      billingTerms: [aBillingTerm({ includedQuantities: { storage: '10' } })],
    });

    expect(validateCatalog(catalog)).toEqual([
      expect.objectContaining({
        field: 'meteredDimensions["api-callz"]',
        message: expect.stringContaining('"api-callz" is not one of the offer'),
      }),
      expect.objectContaining({ field: 'billingTerms[P1M/monthly].includedQuantities["storage"]' }),
    ]);
  });

  it('rejects a plan without billing terms and a plan with the same term twice', () => {
    const catalog = catalogWithPlan(
      { id: 'none', billingTerms: [] },
      { id: 'twice', meteredDimensions: [], billingTerms: [aBillingTerm(), aBillingTerm({ price: { USD: '90.00' } })] },
    );

    expect(validateCatalog(catalog)).toEqual([
      expect.objectContaining({
        planId: 'none',
        field: 'billingTerms',
        message: expect.stringContaining('at least one'),
      }),
      expect.objectContaining({ planId: 'twice', field: 'billingTerms[P1M/monthly]' }),
    ]);
  });

  it('accepts the same term unit billed monthly and up front', () => {
    const terms = [aBillingTerm({ termUnit: 'P1Y' }), aBillingTerm({ termUnit: 'P1Y', billingFrequency: 'upfront' })];

    expect(validateCatalog(catalogWithPlan({ meteredDimensions: [], billingTerms: terms }))).toEqual([]);
  });

  it.each([
    ['an empty price list', {}, 'billingTerms[P1M/monthly].price'],
    ['a negative amount', { USD: '-1.00' }, 'billingTerms[P1M/monthly].price.USD'],
    ['an amount that is not a decimal', { USD: '1e3' }, 'billingTerms[P1M/monthly].price.USD'],
    ['a lowercase currency', { usd: '1.00' }, 'billingTerms[P1M/monthly].price.usd'],
    ['a four-letter currency', { USDT: '1.00' }, 'billingTerms[P1M/monthly].price.USDT'],
  ])('rejects %s', (_case, price, field) => {
    const catalog = catalogWithPlan({ meteredDimensions: [], billingTerms: [aBillingTerm({ price })] });

    expect(validateCatalog(catalog)).toEqual([expect.objectContaining({ planId: 'basic', field })]);
  });

  it('accepts a zero flat fee and a zero price per unit', () => {
    const catalog = catalogWithPlan({
      billingTerms: [aBillingTerm({ price: { USD: '0' } })],
      meteredDimensions: [aDimensionPrice({ pricePerUnit: { USD: '0.00' } })],
    });

    expect(validateCatalog(catalog)).toEqual([]);
  });

  it('rejects an included quantity that is neither a non-negative number nor unlimited', () => {
    const catalog = catalogWithPlan({ billingTerms: [aBillingTerm({ includedQuantities: { 'api-calls': 'lots' } })] });

    expect(validateCatalog(catalog)).toEqual([
      expect.objectContaining({ field: 'billingTerms[P1M/monthly].includedQuantities["api-calls"]' }),
    ]);
  });

  it.each([
    ['no minimum', { maxQuantity: 10 }, 'minQuantity'],
    ['a minimum of 0', { minQuantity: 0, maxQuantity: 10 }, 'minQuantity'],
    ['a minimum above the maximum', { minQuantity: 11, maxQuantity: 10 }, 'minQuantity'],
    ['no maximum', { minQuantity: 1 }, 'maxQuantity'],
  ])('rejects a per-user plan with %s', (_case, seats, field) => {
    const plan = { ...aPlan({ pricingModel: 'perUser' }), minQuantity: undefined, maxQuantity: undefined, ...seats };

    const issues = validateCatalog(aCatalog({ offers: [anOffer({ plans: [plan] })] }));

    expect(issues).toEqual([expect.objectContaining({ planId: 'basic', field })]);
  });

  it('rejects seat limits on a flat-rate plan', () => {
    const issues = validateCatalog(catalogWithPlan({ minQuantity: 1, maxQuantity: 5 }));

    expect(issues.map((issue) => issue.field)).toEqual(['minQuantity', 'maxQuantity']);
  });

  it('rejects a private plan without an audience', () => {
    const issues = validateCatalog(
      catalogWithPlan({ visibility: 'private', audience: { tenantIds: [], subscriptionIds: [] } }),
    );

    expect(issues).toEqual([
      expect.objectContaining({ field: 'audience', message: expect.stringContaining('private plan needs') }),
    ]);
  });

  it('rejects an audience or customer prices on a public plan', () => {
    const issues = validateCatalog(
      catalogWithPlan({
        audience: { tenantIds: [A_TENANT_ID], subscriptionIds: [] },
        customerPrices: [{ tenantId: A_TENANT_ID, terms: [] }],
      }),
    );

    expect(issues.map((issue) => issue.field)).toEqual(['audience', 'customerPrices']);
  });

  it('accepts customer prices for a tenant of the audience on existing terms and dimensions', () => {
    const catalog = catalogWithPlan({
      visibility: 'private',
      customerPrices: [
        {
          tenantId: A_TENANT_ID,
          terms: [{ termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: '80.00' } }],
          dimensionPrices: { 'api-calls': { USD: '0.005' } },
        },
      ],
    });

    expect(validateCatalog(catalog)).toEqual([]);
  });

  it('rejects customer prices for an outsider, an unknown term or a dimension the plan does not meter', () => {
    const catalog = catalogWithPlan({
      id: 'acme',
      visibility: 'private',
      customerPrices: [
        { subscriptionId: 'sub-outsider' },
        {
          tenantId: A_TENANT_ID,
          terms: [{ termUnit: 'P3Y', billingFrequency: 'upfront', price: { USD: '1.00' } }],
          dimensionPrices: { storage: { USD: '0.10' } },
        },
      ],
    });

    expect(validateCatalog(catalog)).toEqual([
      expect.objectContaining({ planId: 'acme', field: 'customerPrices[sub-outsider].subscriptionId' }),
      expect.objectContaining({ field: `customerPrices[${A_TENANT_ID}].terms[P3Y/upfront]` }),
      expect.objectContaining({ field: `customerPrices[${A_TENANT_ID}].dimensionPrices["storage"]` }),
    ]);
  });

  it('rejects a customer price that names no customer', () => {
    const issues = validateCatalog(catalogWithPlan({ visibility: 'private', customerPrices: [{}] }));

    expect(issues).toEqual([expect.objectContaining({ field: 'customerPrices[0]' })]);
  });

  it.each(['1', '1.5', '-0.01', 'three percent'])('rejects a store fee rate of %s', (storeFeeRate) => {
    expect(validateCatalog(aCatalog({ storeFeeRate }))).toEqual([expect.objectContaining({ field: 'storeFeeRate' })]);
  });

  it('accepts any generated valid catalog', () => {
    fc.assert(
      fc.property(aCatalogArbitrary(), (catalog) => {
        expect(validateCatalog(catalog)).toEqual([]);
      }),
    );
  });

  it('rejects any offer with more than 30 dimensions, naming the offer', () => {
    fc.assert(
      fc.property(anOfferArbitrary(fc.integer({ min: MAX_DIMENSIONS_PER_OFFER + 1, max: 60 })), (offer) => {
        const issues = validateCatalog(aCatalog({ offers: [offer] }));

        expect(issues).toEqual([expect.objectContaining({ offerId: offer.id, field: 'dimensions' })]);
      }),
    );
  });

  it('rejects exactly the metered plans of any generated catalog once they get a free trial', () => {
    fc.assert(
      fc.property(aCatalogArbitrary(), (catalog) => {
        const withTrials = {
          ...catalog,
          offers: catalog.offers.map((offer) => ({
            ...offer,
            plans: offer.plans.map((plan) => ({
              ...plan,
              freeTrial: plan.freeTrial || plan.meteredDimensions.length > 0,
            })),
          })),
        };
        const meteredPlans = catalog.offers.flatMap((offer) =>
          offer.plans
            .filter((plan) => plan.meteredDimensions.length > 0)
            .map((plan) => ({ offerId: offer.id, planId: plan.id, field: 'freeTrial' })),
        );

        const issues = validateCatalog(withTrials);

        expect(issues.map(({ offerId, planId, field }) => ({ offerId, planId, field }))).toEqual(meteredPlans);
      }),
    );
  });
});

describe('assertValidCatalog', () => {
  it('throws a CatalogError, a ValidationError, whose message lists every problem in words', () => {
    const catalog = catalogWithPlan(
      { id: 'gold', pricingModel: 'perUser', minQuantity: 1, maxQuantity: 5, meteredDimensions: [aDimensionPrice()] },
      { id: 'trial', freeTrial: true, meteredDimensions: [aDimensionPrice()] },
    );

    const act = () => assertValidCatalog(catalog);

    expect(act).toThrow(CatalogError);
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(
      'offer "contoso-analytics", plan "gold", field "meteredDimensions": metered dimensions are only allowed on flat-rate plans (this plan is per user)',
    );
    expect(act).toThrow(
      'offer "contoso-analytics", plan "trial", field "freeTrial": a plan with metered dimensions cannot have a free trial',
    );
    expect(act).toThrow(/has 2 problems/);
  });

  it('returns a valid catalog unchanged', () => {
    const catalog = aCatalog();

    expect(assertValidCatalog(catalog)).toBe(catalog);
  });
});

describe('lookups', () => {
  const catalog = aCatalog({
    offers: [anOffer({ plans: [aPlan({ id: 'basic' }), aPlan({ id: 'pro' })] }), anOffer({ id: 'other-offer' })],
  });

  it('finds an offer by id', () => {
    expect(findOffer(catalog, 'other-offer').id).toBe('other-offer');
  });

  it('says which offers exist when an offer is not found', () => {
    expect(() => findOffer(catalog, 'missing')).toThrow(NotFoundError);
    expect(() => findOffer(catalog, 'missing')).toThrow(
      'Offer "missing" is not in the plan catalog (known offers: "contoso-analytics", "other-offer")',
    );
  });

  it('finds a plan by offer and plan id', () => {
    expect(findPlan(catalog, 'contoso-analytics', 'pro').id).toBe('pro');
  });

  it('says which plans the offer has when a plan is not found', () => {
    expect(() => findPlan(catalog, 'contoso-analytics', 'Gold')).toThrow(NotFoundError);
    expect(() => findPlan(catalog, 'contoso-analytics', 'Gold')).toThrow(
      'Plan "Gold" is not in offer "contoso-analytics" of the plan catalog (known plans: "basic", "pro")',
    );
  });

  it('offers a public plan to anyone', () => {
    expect(isPlanOfferedTo(aPlan(), {})).toBe(true);
  });

  it('offers a private plan only to tenants and subscriptions of its audience', () => {
    const plan = aPlan({ visibility: 'private', audience: { tenantIds: ['tenant-a'], subscriptionIds: ['sub-b'] } });

    expect(isPlanOfferedTo(plan, { tenantId: 'tenant-a' })).toBe(true);
    expect(isPlanOfferedTo(plan, { tenantId: 'tenant-x', subscriptionId: 'sub-b' })).toBe(true);
    expect(isPlanOfferedTo(plan, { tenantId: 'tenant-x', subscriptionId: 'sub-y' })).toBe(false);
    expect(isPlanOfferedTo(plan, {})).toBe(false);
  });

  it('lists the metered dimension ids of a plan', () => {
    const plan = aPlan({
      meteredDimensions: [aDimensionPrice({ dimensionId: 'b' }), aDimensionPrice({ dimensionId: 'a' })],
    });

    expect(dimensionIdsOf(plan)).toEqual(['b', 'a']);
  });
});
