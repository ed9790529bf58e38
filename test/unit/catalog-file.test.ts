import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFormatOf, loadCatalog, parseCatalog, toDecimalString } from '#shared/adapters/catalog/catalog-file.ts';
import { CatalogError, findPlan, validateCatalog } from '#shared/domain/catalog-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';

const SAMPLE_CATALOG = new URL('../../infra/catalog/catalog.yaml', import.meta.url).pathname;

/** A minimal valid catalog file in YAML; `plan` is spliced in as the only plan of the offer. */
function yamlWithPlan(plan: string): string {
  return `
storeFeeRate: "0.03"
offers:
  - id: contoso-analytics
    displayName: Contoso Analytics
    dimensions:
      - { id: api-calls, displayName: API calls, unitOfMeasure: call }
    plans:
${plan
  .trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
}

function errorOf(act: () => unknown): CatalogError {
  try {
    act();
  } catch (error) {
    if (error instanceof CatalogError) return error;
    throw error;
  }
  throw new Error('expected a CatalogError');
}

describe('loadCatalog', () => {
  it('loads the sample catalog.yaml served by the local mode', async () => {
    const catalog = await loadCatalog(SAMPLE_CATALOG);

    expect(validateCatalog(catalog)).toEqual([]);
    expect(catalog.storeFeeRate).toBe('0.03');
    const [offer] = catalog.offers;
    expect(offer?.id).toBe('contoso-analytics');
    expect(offer?.dimensions.map((dimension) => dimension.id)).toEqual(['api-calls', 'gb-processed', 'reports']);
    // `instant` (issue 11): the sample of an auto-activated plan, the Partner Center default for new plans since 2026-05.
    expect(offer?.plans.map((plan) => plan.id)).toEqual(['basic', 'pro', 'team', 'enterprise-acme', 'instant']);
  });

  it('reads amounts, included quantities and defaults of the sample as the domain expects them', async () => {
    const catalog = await loadCatalog(SAMPLE_CATALOG);

    const basic = findPlan(catalog, 'contoso-analytics', 'basic');
    const pro = findPlan(catalog, 'contoso-analytics', 'pro');
    const team = findPlan(catalog, 'contoso-analytics', 'team');
    expect(basic.billingTerms[0]).toEqual({
      termUnit: 'P1M',
      billingFrequency: 'monthly',
      price: { USD: '100.00', JPY: '15000' },
      includedQuantities: { 'api-calls': '100', 'gb-processed': '50', reports: '10' },
    });
    expect(basic.visibility).toBe('public');
    expect(basic.freeTrial).toBe(false);
    expect(basic.autoActivation).toBe(false);
    expect(findPlan(catalog, 'contoso-analytics', 'instant')).toMatchObject({
      pricingModel: 'flatRate',
      autoActivation: true,
      billingTerms: [{ termUnit: 'P1M', billingFrequency: 'monthly' }],
    });
    expect(pro.billingTerms[0]?.includedQuantities.reports).toBe('unlimited');
    expect(team).toMatchObject({
      pricingModel: 'perUser',
      minQuantity: 1,
      maxQuantity: 50,
      freeTrial: true,
      meteredDimensions: [],
    });
  });

  it('loads a JSON catalog by its extension', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'catalog-'));
    const path = join(directory, 'catalog.json');
    await writeFile(path, JSON.stringify({ offers: [{ id: 'empty-offer', displayName: 'Empty', plans: [] }] }));

    const catalog = await loadCatalog(path);

    expect(catalog).toEqual({
      storeFeeRate: '0.03',
      offers: [{ id: 'empty-offer', displayName: 'Empty', dimensions: [], plans: [] }],
    });
  });

  it('refuses a file whose extension names no known format, saying which ones it knows', async () => {
    await expect(loadCatalog('/tmp/catalog.txt')).rejects.toThrow('name it *.yaml, *.yml or *.json');
  });

  it('names the file in the error', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'catalog-'));
    const path = join(directory, 'broken.yml');
    await writeFile(path, 'offers: 3\n');

    await expect(loadCatalog(path)).rejects.toThrow(`Catalog file ${path} has 1 problem`);
  });
});

describe('catalogFormatOf', () => {
  it.each([
    ['catalog.yaml', 'yaml'],
    ['catalog.YML', 'yaml'],
    ['catalog.json', 'json'],
  ])('reads %s as %s', (path, format) => {
    expect(catalogFormatOf(path)).toBe(format);
  });
});

describe('parseCatalog', () => {
  it('reads autoActivation per plan, false when left out', () => {
    const text = yamlWithPlan(`
- id: on
  displayName: On
  pricingModel: flatRate
  autoActivation: true
  billingTerms: [{ termUnit: P1M, billingFrequency: monthly, price: { USD: 10 } }]
- id: off
  displayName: Off
  pricingModel: flatRate
  billingTerms: [{ termUnit: P1M, billingFrequency: monthly, price: { USD: 10 } }]
`);

    const catalog = parseCatalog(text, 'yaml');

    expect(findPlan(catalog, 'contoso-analytics', 'on').autoActivation).toBe(true);
    expect(findPlan(catalog, 'contoso-analytics', 'off').autoActivation).toBe(false);
  });

  it('refuses an autoActivation that is not a boolean, naming the plan and the field', () => {
    const text = yamlWithPlan(`
- id: on
  displayName: On
  pricingModel: flatRate
  autoActivation: "yes please"
  billingTerms: [{ termUnit: P1M, billingFrequency: monthly, price: { USD: 10 } }]
`);

    const error = errorOf(() => parseCatalog(text, 'yaml'));

    expect(error.issues).toEqual([
      { offerId: 'contoso-analytics', planId: 'on', field: 'autoActivation', message: 'must be a boolean' },
    ]);
  });

  it('keeps YAML amounts exactly as written, trailing zeros and long fractions included', () => {
    const text = yamlWithPlan(`
- id: basic
  displayName: Basic
  pricingModel: flatRate
  billingTerms:
    - termUnit: P1M
      billingFrequency: monthly
      price: { USD: 100.10, EUR: 0.1, JPY: 15000, GBP: 0.123456789012345678901 }
      includedQuantities: { api-calls: 1000.50 }
  meteredDimensions:
    - { dimensionId: api-calls, pricePerUnit: { USD: 0.0001 } }
`);

    const plan = findPlan(parseCatalog(text, 'yaml'), 'contoso-analytics', 'basic');

    expect(plan.billingTerms[0]?.price).toEqual({
      USD: '100.10',
      EUR: '0.1',
      JPY: '15000',
      GBP: '0.123456789012345678901',
    });
    expect(plan.billingTerms[0]?.includedQuantities).toEqual({ 'api-calls': '1000.50' });
    expect(plan.meteredDimensions[0]?.pricePerUnit).toEqual({ USD: '0.0001' });
  });

  it('turns JSON numbers into decimal strings without exponents or float noise', () => {
    const text = JSON.stringify({
      storeFeeRate: 0.03,
      offers: [
        {
          id: 'o',
          displayName: 'O',
          dimensions: [{ id: 'd', displayName: 'D', unitOfMeasure: 'u' }],
          plans: [
            {
              id: 'p',
              displayName: 'P',
              pricingModel: 'flatRate',
              billingTerms: [
                { termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: 0.1 }, includedQuantities: { d: 1e21 } },
              ],
              meteredDimensions: [{ dimensionId: 'd', pricePerUnit: { USD: 1e-7 } }],
            },
          ],
        },
      ],
    });

    const catalog = parseCatalog(text, 'json');

    const plan = findPlan(catalog, 'o', 'p');
    expect(catalog.storeFeeRate).toBe('0.03');
    expect(plan.billingTerms[0]?.price).toEqual({ USD: '0.1' });
    expect(plan.billingTerms[0]?.includedQuantities).toEqual({ d: '1000000000000000000000' });
    expect(plan.meteredDimensions[0]?.pricePerUnit).toEqual({ USD: '0.0000001' });
  });

  it('rejects unknown keys, naming offer, plan and field', () => {
    const text = yamlWithPlan(`
- id: gold
  displayName: Gold
  pricingModel: flatRate
  freeTrail: true
  billingTerms:
    - { termUnit: P1M, billingFrequency: monthly, price: { USD: 10 }, discount: 5 }
`);

    const error = errorOf(() => parseCatalog(text, 'yaml'));

    expect(error.issues).toHaveLength(2);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        {
          offerId: 'contoso-analytics',
          planId: 'gold',
          field: 'freeTrail',
          message: expect.stringContaining('unknown field'),
        },
        {
          offerId: 'contoso-analytics',
          planId: 'gold',
          field: 'billingTerms[P1M/monthly].discount',
          message: expect.any(String),
        },
      ]),
    );
    expect(error.message).toContain('offer "contoso-analytics", plan "gold", field "freeTrail": unknown field');
  });

  it('reports every shape problem at once, with ids instead of array indexes where the ids are present', () => {
    const text = yamlWithPlan(`
- id: gold
  displayName: Gold
  pricingModel: perSeat
  billingTerms:
    - { termUnit: P1M, billingFrequency: weekly, price: { USD: [1] } }
- displayName: No id
  pricingModel: flatRate
  billingTerms: []
`);

    const error = errorOf(() => parseCatalog(text, 'yaml'));

    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('has 4 problems');
    expect(error.message).toContain(
      'offer "contoso-analytics", plan "gold", field "pricingModel": must be one of "flatRate", "perUser"',
    );
    expect(error.message).toContain(
      'offer "contoso-analytics", plan "gold", field "billingTerms[P1M/weekly].billingFrequency": must be one of "monthly", "upfront"',
    );
    expect(error.message).toContain(
      'offer "contoso-analytics", plan "gold", field "billingTerms[P1M/weekly].price.USD"',
    );
    expect(error.message).toContain('offer "contoso-analytics", field "plans[1].id": is required (string)');
  });

  it('reports the business rules broken by a well-formed file, naming offer, plan and field in words', () => {
    const text = yamlWithPlan(`
- id: gold
  displayName: Gold
  pricingModel: perUser
  minQuantity: 1
  maxQuantity: 10
  billingTerms:
    - { termUnit: P1M, billingFrequency: monthly, price: { USD: "10.00" } }
  meteredDimensions:
    - { dimensionId: api-calls, pricePerUnit: { USD: "0.01" } }
- id: trial
  displayName: Trial
  pricingModel: flatRate
  freeTrial: true
  billingTerms:
    - { termUnit: P1M, billingFrequency: monthly, price: { USD: "0" } }
  meteredDimensions:
    - { dimensionId: api-calls, pricePerUnit: { USD: "0.01" } }
`);

    const error = errorOf(() => parseCatalog(text, 'yaml', 'catalog.yaml'));

    expect(error.message).toBe(
      [
        'Catalog.yaml has 2 problems:',
        '  - offer "contoso-analytics", plan "gold", field "meteredDimensions": metered dimensions are only allowed on flat-rate plans (this plan is per user); remove them or make the plan flat rate',
        '  - offer "contoso-analytics", plan "trial", field "freeTrial": a plan with metered dimensions cannot have a free trial (Microsoft rule); set freeTrial to false or remove the dimensions',
      ].join('\n'),
    );
    expect(error.issues).toHaveLength(2);
  });

  it('accepts "unlimited" as an included quantity but no other word', () => {
    const text = yamlWithPlan(`
- id: gold
  displayName: Gold
  pricingModel: flatRate
  billingTerms:
    - { termUnit: P1M, billingFrequency: monthly, price: { USD: 1 }, includedQuantities: { api-calls: Unlimited } }
  meteredDimensions:
    - { dimensionId: api-calls, pricePerUnit: { USD: 1 } }
`);

    expect(() => parseCatalog(text, 'yaml')).toThrow(
      'field "billingTerms[P1M/monthly].includedQuantities["api-calls"]": "Unlimited" must be a non-negative number or "unlimited"',
    );
    expect(() => parseCatalog(text.replace('Unlimited', 'unlimited'), 'yaml')).not.toThrow();
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseCatalog('offers:\n  - id: [unclosed\n', 'yaml')).toThrow(
      /field "\(syntax\)": .* at line 3, column 1:$/m,
    );
  });

  it('rejects duplicate keys in YAML rather than keeping the last one', () => {
    expect(() => parseCatalog('storeFeeRate: "0.03"\nstoreFeeRate: "0.5"\noffers: []\n', 'yaml')).toThrow(CatalogError);
  });

  it('reports JSON syntax errors', () => {
    expect(() => parseCatalog('{ "offers": [', 'json')).toThrow(/field "\(syntax\)"/);
  });
});

describe('toDecimalString', () => {
  it.each([
    [0.1, '0.1'],
    [100, '100'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [' 12.50 ', '12.50'],
  ])('turns %s into "%s"', (input, expected) => {
    expect(toDecimalString(input)).toBe(expected);
  });
});
