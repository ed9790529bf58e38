import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import { splitStoreFee, splitVmPrice } from '#shared/domain/store-fee.ts';

const usd = (amount: string) => Money.of(amount, 'USD');

describe('splitStoreFee', () => {
  it('pays the publisher $97.00 of a $100.00 monthly SaaS plan and keeps $3.00 as the store fee', () => {
    // act
    const split = splitStoreFee(usd('100.00'));
    // assess
    expect(split.customerPrice.toString()).toBe('100.00 USD');
    expect(split.storeFee.toString()).toBe('3.00 USD');
    expect(split.publisherPayout.toString()).toBe('97.00 USD');
  });

  it('rounds the fee once and gives the publisher the exact remainder', () => {
    const split = splitStoreFee(usd('0.50'));
    // 3% of 0.50 = 0.015 → 0.02 (half up); payout is the remainder, 0.48.
    expect(split.storeFee.toString()).toBe('0.02 USD');
    expect(split.publisherPayout.toString()).toBe('0.48 USD');
    expect(split.storeFee.add(split.publisherPayout).equals(split.customerPrice)).toBe(true);
  });

  it('rounds to the yen for a JPY price', () => {
    const split = splitStoreFee(Money.of('1250', 'JPY'));
    expect([split.storeFee.toString(), split.publisherPayout.toString()]).toEqual(['38 JPY', '1212 JPY']);
  });

  it('applies a catalog rate other than the standard 3%', () => {
    expect(splitStoreFee(usd('100.00'), '0.2').publisherPayout.toString()).toBe('80.00 USD');
  });

  it('rejects a rate outside 0..1 and a negative price', () => {
    expect(() => splitStoreFee(usd('1'), '1.5')).toThrow(ValidationError);
    expect(() => splitStoreFee(usd('1'), 'three percent')).toThrow(ValidationError);
    expect(() => splitStoreFee(usd('-1'))).toThrow(ValidationError);
  });
});

describe('splitVmPrice', () => {
  it('bills $1.14/h for a $1.00 license on $0.14 infrastructure, pays $0.97 and keeps $0.03 plus the infrastructure', () => {
    // act
    const split = splitVmPrice(usd('1.00'), usd('0.14'));
    // assess
    expect(split.customerPrice.toString()).toBe('1.14 USD');
    expect(split.publisherPayout.toString()).toBe('0.97 USD');
    expect(split.license.storeFee.toString()).toBe('0.03 USD');
    expect(split.infrastructure.toString()).toBe('0.14 USD');
    expect(split.marketplaceKeeps.toString()).toBe('0.17 USD');
    expect(split.publisherPayout.add(split.marketplaceKeeps).equals(split.customerPrice)).toBe(true);
  });
});
