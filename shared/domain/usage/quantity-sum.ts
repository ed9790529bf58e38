import { Dec } from '#shared/domain/money.ts';

/** Whole quantities up to this many digits are added as JS numbers: their sum stays exact below 2^53. */
const SAFE_WHOLE = /^\d{1,15}$/;

/**
 * An exact running sum of decimal quantity strings, fast for the common case. Usage quantities are mostly whole
 * numbers; adding those as JS numbers is exact while the sum stays a safe integer, and avoids parsing every string
 * into a Decimal (a daily series in a non-UTC zone adds ~40,000 hourly quantities per request). The first fractional
 * or very large quantity moves the sum to decimal arithmetic for good, so the result is exact in every case.
 */
export class QuantitySum {
  private whole = 0;
  private decimal: Dec | undefined;

  constructor(first?: string) {
    if (first !== undefined) this.add(first);
  }

  add(quantity: string): this {
    if (this.decimal === undefined && SAFE_WHOLE.test(quantity)) {
      const next = this.whole + Number(quantity);
      if (Number.isSafeInteger(next)) {
        this.whole = next;
        return this;
      }
    }
    this.decimal = (this.decimal ?? new Dec(this.whole)).plus(quantity);
    return this;
  }

  /** Adds another sum (exact, as `add`). */
  addSum(other: QuantitySum): this {
    if (this.decimal === undefined && other.decimal === undefined) {
      const next = this.whole + other.whole;
      if (Number.isSafeInteger(next)) {
        this.whole = next;
        return this;
      }
    }
    this.decimal = (this.decimal ?? new Dec(this.whole)).plus(other.decimal ?? other.whole);
    return this;
  }

  /** The sum as a plain decimal string (no exponent). */
  toString(): string {
    return this.decimal === undefined ? String(this.whole) : this.decimal.toFixed();
  }

  equals(quantity: string): boolean {
    return this.decimal === undefined && SAFE_WHOLE.test(quantity)
      ? this.whole === Number(quantity)
      : (this.decimal ?? new Dec(this.whole)).eq(quantity);
  }
}
