/**
 * Builders for the plan catalog with valid defaults: `aCatalog()` passes `validateCatalog`, and so does any
 * combination of the defaults below. Override only what a test is about: `aPlan({ id: 'gold', freeTrial: true })`.
 *
 * Defaults: offer `contoso-analytics` with the dimension `api-calls`; plan `basic`, flat rate, public, one
 * `P1M`/monthly term at 100.00 USD including 1000 `api-calls`, overage at 0.01 USD per call.
 * A per-user or private plan gets defaults that keep it valid (see `aPlan`).
 */
import fc from 'fast-check';
import {
  type BillingTerm,
  type Catalog,
  type DimensionPrice,
  MAX_DIMENSIONS_PER_OFFER,
  type MeteredDimension,
  type Offer,
  type Plan,
  TERM_UNITS,
} from '#shared/domain/catalog.ts';

/** Entra tenant id in the default audience of private plans. */
export const A_TENANT_ID = '11111111-2222-4333-8444-555555555555';

/** A custom dimension; default `api-calls`. */
export function aDimension(overrides: Partial<MeteredDimension> = {}): MeteredDimension {
  return { id: 'api-calls', displayName: 'API calls', unitOfMeasure: 'call', ...overrides };
}

/** An overage price of a dimension on a plan; default 0.01 USD per `api-calls`. */
export function aDimensionPrice(overrides: Partial<DimensionPrice> = {}): DimensionPrice {
  return { dimensionId: 'api-calls', pricePerUnit: { USD: '0.01' }, ...overrides };
}

/** A billing term; default one month billed monthly at 100.00 USD with nothing included. */
export function aBillingTerm(overrides: Partial<BillingTerm> = {}): BillingTerm {
  return {
    termUnit: 'P1M',
    billingFrequency: 'monthly',
    price: { USD: '100.00' },
    includedQuantities: {},
    ...overrides,
  };
}

/**
 * A plan. Defaults depend on what is overridden so the result stays valid:
 * - flat rate (default): metered `api-calls` with 1000 included per term;
 * - `pricingModel: 'perUser'`: 1 to 100 users, no metered dimensions (Microsoft meters flat-rate plans only);
 * - `freeTrial: true`: no metered dimensions (a metered plan cannot have a free trial);
 * - `visibility: 'private'`: audience of `A_TENANT_ID`.
 */
export function aPlan(overrides: Partial<Plan> = {}): Plan {
  const perUser = overrides.pricingModel === 'perUser';
  const metered = !perUser && overrides.freeTrial !== true;
  return {
    id: 'basic',
    displayName: 'Basic',
    visibility: 'public',
    pricingModel: 'flatRate',
    freeTrial: false,
    billingTerms: [aBillingTerm(metered ? { includedQuantities: { 'api-calls': '1000' } } : {})],
    meteredDimensions: metered ? [aDimensionPrice()] : [],
    ...(perUser ? { minQuantity: 1, maxQuantity: 100 } : {}),
    ...(overrides.visibility === 'private' ? { audience: { tenantIds: [A_TENANT_ID], subscriptionIds: [] } } : {}),
    ...overrides,
  };
}

/** An offer; default `contoso-analytics` with the dimension `api-calls` and the plan `aPlan()`. */
export function anOffer(overrides: Partial<Offer> = {}): Offer {
  return {
    id: 'contoso-analytics',
    displayName: 'Contoso Analytics',
    dimensions: [aDimension()],
    plans: [aPlan()],
    ...overrides,
  };
}

/** A catalog; default one `anOffer()` and Microsoft's standard 3% store fee. */
export function aCatalog(overrides: Partial<Catalog> = {}): Catalog {
  return { storeFeeRate: '0.03', offers: [anOffer()], ...overrides };
}

/** `count` distinct dimensions `dim-1` … `dim-<count>`, e.g. to test the 30-per-offer limit. */
export function manyDimensions(count: number): MeteredDimension[] {
  return Array.from({ length: count }, (_, index) =>
    aDimension({ id: `dim-${index + 1}`, displayName: `Dimension ${index + 1}` }),
  );
}

const PLAN_ID_CHARACTERS = [...'abcdefghijklmnopqrstuvwxyz0123456789-_'];
// Built from characters rather than fc.stringMatching, which is several times slower for 50-character strings.
const planIdArbitrary = fc.string({ unit: fc.constantFrom(...PLAN_ID_CHARACTERS), minLength: 1, maxLength: 50 });
const amountArbitrary = fc
  .tuple(fc.nat({ max: 1_000_000 }), fc.nat({ max: 99 }))
  .map(([units, cents]) => `${units}.${String(cents).padStart(2, '0')}`);
const priceListArbitrary = fc
  .uniqueArray(fc.constantFrom('USD', 'JPY', 'EUR', 'GBP'), { minLength: 1, maxLength: 3 })
  .chain((currencies) =>
    fc
      .tuple(...currencies.map(() => amountArbitrary))
      .map((amounts) => Object.fromEntries(currencies.map((currency, index) => [currency, amounts[index] ?? '0']))),
  );
const includedQuantityArbitrary = fc.oneof(fc.constant('unlimited' as const), fc.nat({ max: 1_000_000 }).map(String));

function planArbitrary(dimensionIds: readonly string[]): fc.Arbitrary<Omit<Plan, 'id'>> {
  const terms = fc.uniqueArray(
    fc.record({ termUnit: fc.constantFrom(...TERM_UNITS), billingFrequency: fc.constantFrom('monthly', 'upfront') }),
    { minLength: 1, maxLength: 4, selector: (term) => `${term.termUnit}/${term.billingFrequency}` },
  );
  return fc
    .record({
      kind: fc.constantFrom('metered', 'flat', 'perUser'),
      visibility: fc.constantFrom('public' as const, 'private' as const),
      terms,
      enabled: fc.subarray([...dimensionIds]),
      minQuantity: fc.integer({ min: 1, max: 100 }),
      extraSeats: fc.nat({ max: 1000 }),
      freeTrial: fc.boolean(),
    })
    .chain((shape) => {
      const enabled = shape.kind === 'metered' ? shape.enabled : [];
      return fc
        .record({
          termPrices: fc.tuple(...shape.terms.map(() => priceListArbitrary)),
          included: fc.tuple(...shape.terms.map(() => fc.tuple(...enabled.map(() => includedQuantityArbitrary)))),
          dimensionPrices: fc.tuple(...enabled.map(() => priceListArbitrary)),
        })
        .map(
          ({ termPrices, included, dimensionPrices }): Omit<Plan, 'id'> => ({
            displayName: 'Generated plan',
            visibility: shape.visibility,
            ...(shape.visibility === 'private' ? { audience: { tenantIds: [A_TENANT_ID], subscriptionIds: [] } } : {}),
            pricingModel: shape.kind === 'perUser' ? 'perUser' : 'flatRate',
            ...(shape.kind === 'perUser'
              ? { minQuantity: shape.minQuantity, maxQuantity: shape.minQuantity + shape.extraSeats }
              : {}),
            freeTrial: enabled.length === 0 && shape.freeTrial,
            billingTerms: shape.terms.map((term, termIndex) => ({
              ...term,
              price: termPrices[termIndex] ?? { USD: '0' },
              includedQuantities: Object.fromEntries(
                enabled.map((id, dimensionIndex) => [id, included[termIndex]?.[dimensionIndex] ?? '0']),
              ),
            })),
            meteredDimensions: enabled.map((dimensionId, index) => ({
              dimensionId,
              pricePerUnit: dimensionPrices[index] ?? { USD: '0' },
            })),
          }),
        );
    });
}

/**
 * An offer with `dimensionCount` dimensions (default any of 0 … 30) and 1 to 5 valid plans of every kind
 * (metered flat rate, flat rate with or without a free trial, per user, public or private).
 */
export function anOfferArbitrary(
  dimensionCount: fc.Arbitrary<number> = fc.integer({ min: 0, max: MAX_DIMENSIONS_PER_OFFER }),
): fc.Arbitrary<Offer> {
  return fc
    .record({
      id: planIdArbitrary,
      dimensionIds: dimensionCount.chain((count) =>
        fc.uniqueArray(planIdArbitrary, { minLength: count, maxLength: count }),
      ),
    })
    .chain(({ id, dimensionIds }) =>
      fc
        .uniqueArray(planIdArbitrary, { minLength: 1, maxLength: 5 })
        .chain((planIds) =>
          fc.tuple(...planIds.map(() => planArbitrary(dimensionIds))).map((plans) => ({ planIds, plans })),
        )
        .map(({ planIds, plans }) => ({
          id,
          displayName: `Offer ${id}`,
          dimensions: dimensionIds.map((dimensionId) => aDimension({ id: dimensionId, displayName: dimensionId })),
          plans: plans.map((plan, index) => ({ ...plan, id: planIds[index] ?? `plan-${index}` })),
        })),
    );
}

/** A valid catalog of 1 to 3 offers with distinct ids, and a store fee rate in [0, 1). */
export function aCatalogArbitrary(): fc.Arbitrary<Catalog> {
  return fc.record({
    storeFeeRate: fc.integer({ min: 0, max: 9999 }).map((basisPoints) => (basisPoints / 10_000).toFixed(4)),
    offers: fc.uniqueArray(anOfferArbitrary(), { minLength: 1, maxLength: 3, selector: (offer) => offer.id }),
  });
}
