import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { mapAvailablePlansToOffer } from '#shared/adapters/catalog/available-plans-mapper.ts';
import { CatalogError, findPlan, validateCatalog } from '#shared/domain/catalog-rules.ts';
import { aCatalog } from '#test/builders/catalog.ts';

const ACME_TENANT = '7a1f3c2e-5b8d-4e6f-9a0b-1c2d3e4f5a6b';

async function samplePayload(): Promise<unknown> {
  const path = new URL('../../events/marketplace/list-available-plans.json', import.meta.url);
  return JSON.parse(await readFile(path, 'utf8'));
}

/** A payload with one plan; `plan` fields override a flat-rate monthly plan with one USD term. */
function payloadWith(plan: Record<string, unknown>): unknown {
  return {
    plans: [
      {
        planId: 'basic',
        displayName: 'Basic',
        isPrivate: false,
        isPricePerSeat: false,
        hasFreeTrials: false,
        planComponents: {
          recurrentBillingTerms: [{ currency: 'USD', price: 10, termUnit: 'P1M', meteredQuantityIncluded: [] }],
          meteringDimensions: [],
        },
        ...plan,
      },
    ],
  };
}

function termsOf(payload: unknown) {
  return mapAvailablePlansToOffer('o', payload).plans[0]?.billingTerms;
}

describe('mapAvailablePlansToOffer', () => {
  it('maps the sample payload into an offer that passes validateCatalog', async () => {
    const payload = await samplePayload();

    const offer = mapAvailablePlansToOffer('contoso-analytics', payload, {
      offerDisplayName: 'Contoso Analytics',
      longTermBillingFrequency: 'monthly',
      audience: { tenantId: ACME_TENANT },
    });

    expect(validateCatalog(aCatalog({ offers: [offer] }))).toEqual([]);
    expect(offer.plans.map((plan) => plan.id)).toEqual(['basic', 'pro', 'team', 'enterprise-acme']);
  });

  it('merges the per-currency entries of a term into one price list with the included quantities', async () => {
    const offer = mapAvailablePlansToOffer('contoso-analytics', await samplePayload());

    const basic = findPlan(aCatalog({ offers: [offer] }), 'contoso-analytics', 'basic');
    expect(basic.billingTerms).toEqual([
      {
        termUnit: 'P1M',
        billingFrequency: 'monthly',
        price: { USD: '100', JPY: '15000' },
        includedQuantities: { 'api-calls': '100', 'gb-processed': '50', reports: '10' },
      },
    ]);
    expect(basic.meteredDimensions).toEqual([
      { dimensionId: 'api-calls', pricePerUnit: { USD: '0.5', JPY: '75' } },
      { dimensionId: 'gb-processed', pricePerUnit: { USD: '0.1', JPY: '15' } },
      { dimensionId: 'reports', pricePerUnit: { USD: '2.00', JPY: '300' } },
    ]);
  });

  it('collects the offer dimensions across plans, once each, named after their first entry', async () => {
    const offer = mapAvailablePlansToOffer('contoso-analytics', await samplePayload());

    expect(offer.dimensions).toEqual([
      { id: 'api-calls', displayName: 'API calls', unitOfMeasure: '1000 calls' },
      { id: 'gb-processed', displayName: 'Data processed', unitOfMeasure: 'GB' },
      { id: 'reports', displayName: 'Scheduled reports', unitOfMeasure: 'report' },
    ]);
    expect(offer.displayName).toBe('contoso-analytics');
  });

  it('maps a per-seat plan with a free trial to a per-user plan with its seat limits', async () => {
    const offer = mapAvailablePlansToOffer('contoso-analytics', await samplePayload());

    const team = offer.plans.find((plan) => plan.id === 'team');
    expect(team).toMatchObject({ pricingModel: 'perUser', minQuantity: 1, maxQuantity: 50, freeTrial: true });
    expect(team?.billingTerms).toEqual([
      { termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: '15', JPY: '2200' }, includedQuantities: {} },
      { termUnit: 'P1Y', billingFrequency: 'upfront', price: { USD: '150' }, includedQuantities: {} },
    ]);
  });

  it('gives a private plan the audience passed by the caller, and none otherwise', async () => {
    const payload = await samplePayload();

    const withAudience = mapAvailablePlansToOffer('contoso-analytics', payload, {
      audience: { tenantId: ACME_TENANT, subscriptionId: 'sub-1' },
    });
    const withoutAudience = mapAvailablePlansToOffer('contoso-analytics', payload);

    const privatePlan = (plans: typeof withAudience.plans) => plans.find((plan) => plan.id === 'enterprise-acme');
    expect(privatePlan(withAudience.plans)).toMatchObject({
      visibility: 'private',
      audience: { tenantIds: [ACME_TENANT], subscriptionIds: ['sub-1'] },
    });
    expect(privatePlan(withoutAudience.plans)?.audience).toBeUndefined();
    expect(validateCatalog(aCatalog({ offers: [withoutAudience] }))).toEqual([
      expect.objectContaining({ planId: 'enterprise-acme', field: 'audience' }),
    ]);
    expect(withAudience.plans.find((plan) => plan.id === 'basic')?.audience).toBeUndefined();
  });

  it('bills one-month terms monthly and longer terms as the caller says, up front by default', () => {
    const terms = [
      { currency: 'USD', price: 10, termUnit: 'P1M' },
      { currency: 'USD', price: 100, termUnit: 'P1Y' },
      { currency: 'USD', price: 250, termUnit: 'P3Y' },
    ];
    const payload = payloadWith({ planComponents: { recurrentBillingTerms: terms } });

    const byDefault = mapAvailablePlansToOffer('o', payload).plans[0]?.billingTerms;
    const monthly = mapAvailablePlansToOffer('o', payload, { longTermBillingFrequency: 'monthly' }).plans[0]
      ?.billingTerms;

    expect(byDefault?.map((term) => term.billingFrequency)).toEqual(['monthly', 'upfront', 'upfront']);
    expect(monthly?.map((term) => term.billingFrequency)).toEqual(['monthly', 'monthly', 'monthly']);
  });

  it.each([
    ['Unlimited', 'unlimited'],
    ['unlimited', 'unlimited'],
    [' UNLIMITED ', 'unlimited'],
    [-1, 'unlimited'],
    ['-1', 'unlimited'],
    [0, '0'],
    ['250', '250'],
    [12.5, '12.5'],
  ])('reads included units %j as %j', (units, expected) => {
    const payload = payloadWith({
      planComponents: {
        recurrentBillingTerms: [
          { currency: 'USD', price: 1, termUnit: 'P1M', meteredQuantityIncluded: [{ dimensionId: 'd', units }] },
        ],
      },
    });

    expect(termsOf(payload)?.[0]?.includedQuantities).toEqual({ d: expected });
  });

  it('ignores unknown fields and treats missing or null arrays as empty', () => {
    const payload = {
      plans: [
        { planId: 'bare', somethingNew: { nested: true } },
        { planId: 'nulls', planComponents: { recurrentBillingTerms: null, meteringDimensions: null } },
      ],
      '@nextLink': null,
    };

    const offer = mapAvailablePlansToOffer('o', payload);

    expect(offer.plans).toEqual([
      expect.objectContaining({ id: 'bare', displayName: 'bare', billingTerms: [], meteredDimensions: [] }),
      expect.objectContaining({ id: 'nulls', billingTerms: [], meteredDimensions: [] }),
    ]);
    expect(offer.dimensions).toEqual([]);
  });

  it.each([[''], [null], [undefined], [{}]])(
    'reads the empty body %j of an unknown subscription as no plans',
    (body) => {
      expect(mapAvailablePlansToOffer('o', body).plans).toEqual([]);
    },
  );

  it('accepts numbers and booleans sent as strings, and trims padded values', () => {
    const payload = payloadWith({
      planId: ' basic ',
      isPricePerSeat: 'true',
      hasFreeTrials: 'false',
      minQuantity: '2',
      maxQuantity: '20',
      planComponents: { recurrentBillingTerms: [{ currency: ' usd ', price: ' 9.90 ', termUnit: ' p1m ' }] },
    });

    const [plan] = mapAvailablePlansToOffer('o', payload).plans;

    expect(plan).toMatchObject({
      id: 'basic',
      pricingModel: 'perUser',
      freeTrial: false,
      minQuantity: 2,
      maxQuantity: 20,
    });
    expect(plan?.billingTerms[0]?.price).toEqual({ USD: '9.90' });
  });

  it('gives a per-seat plan without limits 1 to 1,000,000 seats and a flat-rate plan none', () => {
    const perSeat = mapAvailablePlansToOffer(
      'o',
      payloadWith({ isPricePerSeat: true, minQuantity: 0, maxQuantity: null }),
    );
    const flat = mapAvailablePlansToOffer('o', payloadWith({ minQuantity: 0, maxQuantity: 0 }));

    expect(perSeat.plans[0]).toMatchObject({ minQuantity: 1, maxQuantity: 1_000_000 });
    expect(flat.plans[0]).not.toHaveProperty('minQuantity');
    expect(flat.plans[0]).not.toHaveProperty('maxQuantity');
  });

  it('reports every value it cannot map, naming offer, plan and field, instead of guessing', () => {
    const payload = payloadWith({
      planId: 'gold',
      planComponents: {
        recurrentBillingTerms: [
          { currency: 'USD', price: 'ten', termUnit: 'P1M' },
          { currency: 'USD', price: 1, termUnit: 'P5Y' },
          {
            currency: 'EUR',
            price: 1,
            termUnit: 'P1M',
            meteredQuantityIncluded: [{ dimensionId: 'd', units: 'Unit001' }],
          },
        ],
        meteringDimensions: [{ id: 'd', currency: 'USD' }],
      },
    });

    const act = () => mapAvailablePlansToOffer('contoso-analytics', payload);

    expect(act).toThrow(CatalogError);
    expect(act).toThrow('has 4 problems');
    expect(act).toThrow(
      'offer "contoso-analytics", plan "gold", field "planComponents.recurrentBillingTerms[0].price": "ten" is not a price',
    );
    expect(act).toThrow(
      'field "planComponents.recurrentBillingTerms[1].termUnit": "P5Y" is not a term this catalog supports',
    );
    expect(act).toThrow('field "planComponents.recurrentBillingTerms[2].meteredQuantityIncluded[0].units"');
    expect(act).toThrow('field "planComponents.meteringDimensions[0].pricePerUnit": null is not a price');
  });

  it('reports two entries that disagree on the price of the same term and currency', () => {
    const payload = payloadWith({
      planComponents: {
        recurrentBillingTerms: [
          { currency: 'USD', price: 10, termUnit: 'P1M' },
          { currency: 'USD', price: 12, termUnit: 'P1M' },
        ],
      },
    });

    expect(() => mapAvailablePlansToOffer('o', payload)).toThrow('"12" conflicts with "10" given earlier for USD');
  });

  it('rejects a payload whose plans are not a list', () => {
    expect(() => mapAvailablePlansToOffer('o', { plans: 'none' })).toThrow(CatalogError);
  });
});
