import { describe, expect, it } from 'vitest';
import { NotFoundError } from '#shared/domain/errors.ts';
import { meteredDimensionsOf, utcHourOf } from '#shared/domain/usage/ingest-caches.ts';
import { aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from '#test/builders/catalog.ts';

const OFFER = 'contoso-analytics';

/** A catalog whose plan `basic` meters only `dimension`. */
const catalogMetering = (dimension: string) =>
  aCatalog({
    offers: [
      anOffer({
        dimensions: [aDimension({ id: dimension })],
        plans: [
          aPlan({
            id: 'basic',
            meteredDimensions: [aDimensionPrice({ dimensionId: dimension })],
            billingTerms: [
              { termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: '1' }, includedQuantities: {} },
            ],
          }),
        ],
      }),
    ],
  });

describe('the metered dimensions remembered across events', () => {
  it('answers each catalog object from that catalog, never from the one asked before', () => {
    const before = catalogMetering('api-calls');
    const after = catalogMetering('gb-processed');

    const answers = [
      meteredDimensionsOf(before, OFFER, 'basic'),
      meteredDimensionsOf(after, OFFER, 'basic'),
      meteredDimensionsOf(before, OFFER, 'basic'),
    ];

    expect(answers.map((ids) => [...ids])).toEqual([['api-calls'], ['gb-processed'], ['api-calls']]);
  });

  it('gives the same answer to the same question, however often it is asked', () => {
    const catalog = catalogMetering('api-calls');

    expect(meteredDimensionsOf(catalog, OFFER, 'basic')).toBe(meteredDimensionsOf(catalog, OFFER, 'basic'));
  });

  it('refuses a plan missing from the catalog every time it is asked', () => {
    const catalog = catalogMetering('api-calls');

    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => meteredDimensionsOf(catalog, OFFER, 'gold')).toThrow(NotFoundError);
    }
  });
});

describe('the UTC hour remembered across events', () => {
  it('names the hour of each instant, whether it is the hour named last or another', () => {
    const instants = [
      '2026-01-15T09:59:59.999Z',
      '2026-01-15T09:00:00.000Z',
      '2026-01-15T10:00:00.000Z',
      '2026-01-15T09:30:00.000+01:00',
    ];

    expect(instants.map((instant) => utcHourOf(new Date(instant)))).toEqual([
      '2026-01-15T09:00:00.000Z',
      '2026-01-15T09:00:00.000Z',
      '2026-01-15T10:00:00.000Z',
      '2026-01-15T08:00:00.000Z',
    ]);
  });
});
