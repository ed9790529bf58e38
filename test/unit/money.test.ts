import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { CurrencyMismatchError, Dec, Money, minorUnitDigits } from '#shared/domain/money.ts';

describe('Money', () => {
  it('adds decimal amounts exactly where floating point would drift', () => {
    // prepare
    const tenCents = Money.of('0.1', 'USD');
    const twentyCents = Money.of('0.2', 'USD');
    // act
    const sum = tenCents.add(twentyCents);
    // assess
    expect(sum.equals(Money.of('0.3', 'USD'))).toBe(true);
  });

  it('keeps full precision through a division until it is rounded once', () => {
    const monthly = Money.of('100.00', 'USD').divide('12');
    expect(monthly.isRoundedToMinorUnit()).toBe(false);
    expect(monthly.multiply('12').roundToMinorUnit().toString()).toBe('100.00 USD');
    expect(monthly.roundToMinorUnit().toString()).toBe('8.33 USD');
  });

  it('rounds halves away from zero to the minor unit of the currency', () => {
    expect(Money.of('0.005', 'USD').roundToMinorUnit().toString()).toBe('0.01 USD');
    expect(Money.of('0.015', 'USD').roundToMinorUnit().toString()).toBe('0.02 USD');
    expect(Money.of('0.0049', 'USD').roundToMinorUnit().toString()).toBe('0.00 USD');
    expect(Money.of('-0.005', 'EUR').roundToMinorUnit().toString()).toBe('-0.01 EUR');
    expect(Money.of('1200.5', 'JPY').roundToMinorUnit().toString()).toBe('1201 JPY');
  });

  it('knows the minor units of USD, EUR and JPY and defaults others to two decimals', () => {
    expect([minorUnitDigits('USD'), minorUnitDigits('EUR'), minorUnitDigits('JPY'), minorUnitDigits('AUD')]).toEqual([
      2, 2, 0, 2,
    ]);
  });

  it('converts rounded amounts to integer minor units and back', () => {
    expect(Money.of('1.14', 'USD').toMinorUnits()).toBe(114n);
    expect(Money.of('15000', 'JPY').toMinorUnits()).toBe(15000n);
    expect(Money.fromMinorUnits(97n, 'USD').toString()).toBe('0.97 USD');
    expect(Money.fromMinorUnits(1200n, 'JPY').toString()).toBe('1200 JPY');
  });

  it('refuses to convert an unrounded amount to minor units so rounding stays explicit', () => {
    expect(() => Money.of('0.125', 'USD').toMinorUnits()).toThrow(ValidationError);
  });

  it('refuses to combine two currencies', () => {
    expect(() => Money.of('1', 'USD').add(Money.of('1', 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => Money.of('1', 'USD').compare(Money.of('1', 'EUR'))).toThrow(CurrencyMismatchError);
  });

  it('compares amounts numerically whatever their trailing zeros', () => {
    expect(Money.of('1.10', 'USD').compare(Money.of('1.1', 'USD'))).toBe(0);
    expect(Money.of('1.09', 'USD').compare(Money.of('1.1', 'USD'))).toBe(-1);
    expect(Money.of('2', 'USD').compare(Money.of('1.999', 'USD'))).toBe(1);
  });

  it('subtracts and multiplies without rounding', () => {
    const price = Money.of('0.014', 'USD').multiply('3').subtract(Money.of('0.001', 'USD'));
    expect(price.toString()).toBe('0.041 USD');
  });

  it('rejects amounts that are not decimals, bad currency codes and division by zero', () => {
    expect(() => Money.of('1,00', 'USD')).toThrow(ValidationError);
    expect(() => Money.of('Infinity', 'USD')).toThrow(ValidationError);
    expect(() => Money.of('1', 'usd')).toThrow(ValidationError);
    expect(() => Money.of('1', 'USD').divide('0')).toThrow(ValidationError);
  });

  it('prints a plain decimal without exponent and serializes amounts as strings', () => {
    expect(Money.of('0.0000001', 'USD').toString()).toBe('0.0000001 USD');
    expect(JSON.stringify({ price: Money.of('100', 'USD') })).toBe('{"price":{"currency":"USD","amount":"100.00"}}');
  });

  it('uses its own decimal configuration rather than the global one', () => {
    expect(Dec.precision).toBe(40);
    expect(new Dec(1).dividedBy(3).toString()).toHaveLength(42);
  });
});
