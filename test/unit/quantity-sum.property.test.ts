import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawDecimal } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { Dec } from '#shared/domain/money.ts';
import { QuantitySum } from '#shared/domain/usage/quantity-sum.ts';

/** Quantities as the ledger stores them: mostly whole, some fractional, some beyond a safe JS integer. */
const quantity = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map(String) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String) },
  // 15 digits: added as numbers, their sums soon past 2^53.
  { weight: 2, arbitrary: fc.bigInt({ min: 10n ** 14n, max: 10n ** 15n - 1n }).map(String) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 999_999 }))
      .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(6, '0')}`),
  },
);

describe('QuantitySum: exact sums of quantity strings', () => {
  it('equals the Decimal sum for any mix of whole, huge and fractional quantities', () => {
    fc.assert(
      fc.property(fc.array(quantity, { maxLength: 60 }), (quantities) => {
        const expected = quantities.reduce((sum, q) => sum.plus(q), new Dec(0));
        const sum = quantities.reduce((acc, q) => acc.add(q), new QuantitySum());
        expect(sum.toString()).toBe(expected.toFixed());
        expect(sum.equals(expected.toFixed())).toBe(true);
        expect(sum.equals(expected.plus(1).toFixed())).toBe(false);
      }),
    );
  });

  it('adds sums to sums exactly, as it adds quantities', () => {
    fc.assert(
      fc.property(fc.array(fc.array(quantity, { maxLength: 8 }), { maxLength: 8 }), (groups) => {
        const expected = groups.flat().reduce((sum, q) => sum.plus(q), new Dec(0));
        const sum = groups
          .map((group) => group.reduce((acc, q) => acc.add(q), new QuantitySum()))
          .reduce((acc, part) => acc.addSum(part), new QuantitySum());
        expect(sum.toString()).toBe(expected.toFixed());
      }),
    );
    // Two safe sums whose total is not safe (and odd: a float would round it).
    const big = String(10 ** 15 - 1);
    const sum = new QuantitySum(big).add(big).add(big).add(big).add(big);
    expect(sum.addSum(new QuantitySum(big).add(big).add(big).add(big).add(big).add('1')).toString()).toBe(
      '9999999999999991',
    );
  });

  it('stays exact across the largest safe integer', () => {
    const sum = new QuantitySum(String(Number.MAX_SAFE_INTEGER)).add('2');
    expect(sum.toString()).toBe('9007199254740993');
  });
});

describe('rawDecimal: stored numbers read in normal form', () => {
  it('answers what Decimal normalisation answers, for whole and fractional numbers', () => {
    const stored = fc.oneof(
      quantity,
      fc.constantFrom('0', '-0', '007', '1.50', '-12', '1e3', '0.000', '1'.repeat(39), '1'.repeat(41)),
    );
    fc.assert(
      fc.property(stored, (value) => {
        expect(rawDecimal({ q: { N: value } }, 'q', 'test')).toBe(new Dec(value).toString());
      }),
    );
  });
});
