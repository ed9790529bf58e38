/**
 * Exact money (invariant 6 of DESIGN.md): decimal arithmetic, currency minor units, one stated rounding rule.
 *
 * THE ROUNDING RULE (the only place it is stated; everything in shared/domain follows it):
 *   Amounts are computed unrounded (quantity × unit price, term price ÷ months, usage run-rates) and rounded ONCE,
 *   per invoice line, to the currency's minor unit with ROUND_HALF_UP (halves away from zero). Totals are sums of
 *   rounded lines, and the store fee is rounded once from the rounded amount it applies to.
 *   Why half-up rather than half-even: rounding happens once per line, not repeatedly over a running total, so the
 *   statistical bias that half-even removes does not accumulate; half-up is what a customer, a reseller or a
 *   spreadsheet (Excel `ROUND`) reproduces when checking an invoice, and Microsoft's worked examples (3% of $1.00 →
 *   $0.03, of $100.00 → $3.00) come out the same either way. Microsoft documents no rounding rule for the
 *   marketplace (marketplace-api.md §4.3, "not found in stored sources": decimal precision of price per unit).
 *
 * JavaScript numbers never carry money: amounts enter as decimal strings (as the catalog stores them) or as
 * `Dec` values, and leave as `Dec`, decimal strings or integer minor units (`bigint`).
 */
import { Decimal } from 'decimal.js';
import type { CurrencyCode } from '#shared/domain/catalog.ts';
import { DomainError, ValidationError } from '#shared/domain/errors.ts';

/**
 * A Decimal constructor for money and quantities, independent of the global `Decimal` configuration (a library
 * elsewhere in the process may change that). 40 significant digits make every sum and product of catalog prices and
 * metered quantities exact; the only inexact operation is division (term price ÷ 12, 24 or 36 months, run-rates),
 * where the error is about 1e-40 relative and therefore can never move a value across a half-minor-unit boundary.
 */
export const Dec = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Dec = Decimal;

/** What a decimal can be built from: never a JS `number`, so a float can not slip into an amount. */
export type DecimalInput = string | bigint | Decimal;

/** The rounding mode of THE ROUNDING RULE above. */
export const MONEY_ROUNDING = Decimal.ROUND_HALF_UP;

/**
 * Currencies whose minor unit is not 2 decimals (ISO 4217). Any currency not listed has 2, which holds for USD, EUR,
 * GBP and most of the currencies the marketplace sells in.
 */
const MINOR_UNIT_EXCEPTIONS: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  UGX: 0,
  PYG: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

/** Thrown when two amounts in different currencies are combined: converting currencies is never implicit. */
export class CurrencyMismatchError extends DomainError {}

/** Number of decimals of the currency's minor unit: USD 2, EUR 2, JPY 0; currencies not in the table have 2. */
export function minorUnitDigits(currency: CurrencyCode): number {
  return MINOR_UNIT_EXCEPTIONS[currency] ?? 2;
}

/**
 * Parses a decimal quantity or price.
 * @throws {ValidationError} when the value is not a finite decimal.
 */
export function toDec(value: DecimalInput, field?: string): Dec {
  let parsed: Dec;
  try {
    parsed = new Dec(value);
  } catch (cause) {
    throw new ValidationError(`"${String(value)}" is not a decimal number`, field, { cause });
  }
  if (!parsed.isFinite()) {
    throw new ValidationError(`"${String(value)}" is not a finite decimal number`, field);
  }
  return parsed;
}

/** An exact amount of one currency. Immutable; every operation returns a new value. */
export class Money {
  private constructor(
    readonly currency: CurrencyCode,
    readonly amount: Dec,
  ) {}

  /**
   * Builds an amount in the currency's major unit: `Money.of('100.00', 'USD')`.
   * @throws {ValidationError} when the amount is not a finite decimal or the currency is not a 3-letter ISO code.
   */
  static of(amount: DecimalInput, currency: CurrencyCode): Money {
    if (!/^[A-Z]{3}$/.test(currency)) {
      throw new ValidationError(`"${currency}" is not an ISO 4217 currency code`, 'currency');
    }
    return new Money(currency, toDec(amount, 'amount'));
  }

  static zero(currency: CurrencyCode): Money {
    return Money.of('0', currency);
  }

  /**
   * Builds an amount from an integer count of minor units: `Money.fromMinorUnits(114n, 'USD')` is $1.14.
   * @throws {ValidationError} when the currency is not a 3-letter ISO code.
   */
  static fromMinorUnits(minorUnits: bigint, currency: CurrencyCode): Money {
    return Money.of(new Dec(minorUnits.toString()).dividedBy(new Dec(10).pow(minorUnitDigits(currency))), currency);
  }

  /** Sum of amounts in one currency; zero for an empty list. @throws {CurrencyMismatchError} on mixed currencies. */
  static sum(amounts: readonly Money[], currency: CurrencyCode): Money {
    return amounts.reduce((total, next) => total.add(next), Money.zero(currency));
  }

  /** @throws {CurrencyMismatchError} when the currencies differ. */
  add(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.currency, this.amount.plus(other.amount));
  }

  /** @throws {CurrencyMismatchError} when the currencies differ. */
  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.currency, this.amount.minus(other.amount));
  }

  /** Unrounded product, e.g. unit price × quantity. @throws {ValidationError} when the factor is not a decimal. */
  multiply(factor: DecimalInput): Money {
    return new Money(this.currency, this.amount.times(toDec(factor, 'factor')));
  }

  /**
   * Unrounded quotient, e.g. term price ÷ months (see the precision note on `Dec`).
   * @throws {ValidationError} when the divisor is not a decimal or is zero.
   */
  divide(divisor: DecimalInput): Money {
    const d = toDec(divisor, 'divisor');
    if (d.isZero()) {
      throw new ValidationError('cannot divide an amount by zero', 'divisor');
    }
    return new Money(this.currency, this.amount.dividedBy(d));
  }

  /** -1, 0 or 1 as this amount is less than, equal to or greater than the other. @throws {CurrencyMismatchError} */
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.amount.comparedTo(other.amount) as -1 | 0 | 1;
  }

  /** Same currency and numerically equal ("1.10" equals "1.1"). */
  equals(other: Money): boolean {
    return this.currency === other.currency && this.amount.equals(other.amount);
  }

  max(other: Money): Money {
    return this.compare(other) >= 0 ? this : other;
  }

  isZero(): boolean {
    return this.amount.isZero();
  }

  isNegative(): boolean {
    return this.amount.isNegative() && !this.amount.isZero();
  }

  /** Whether the amount already has no more decimals than the currency's minor unit. */
  isRoundedToMinorUnit(): boolean {
    return this.amount.decimalPlaces() <= minorUnitDigits(this.currency);
  }

  /** Rounds to the currency's minor unit by THE ROUNDING RULE (ROUND_HALF_UP). Call once per invoice line. */
  roundToMinorUnit(): Money {
    return new Money(this.currency, this.amount.toDecimalPlaces(minorUnitDigits(this.currency), MONEY_ROUNDING));
  }

  /**
   * The amount as an integer count of minor units ($1.14 → 114n, ¥1200 → 1200n).
   * @throws {ValidationError} when the amount is not rounded to the minor unit yet: rounding is never implicit,
   * so that it happens exactly once, where THE ROUNDING RULE says.
   */
  toMinorUnits(): bigint {
    if (!this.isRoundedToMinorUnit()) {
      throw new ValidationError(
        `${this.toString()} has more decimals than the ${this.currency} minor unit; round it first`,
        'amount',
      );
    }
    return BigInt(this.amount.times(new Dec(10).pow(minorUnitDigits(this.currency))).toFixed(0));
  }

  /**
   * Plain decimal string of the amount, with at least the minor unit's decimals and never exponent notation:
   * "100.00", "0.0333333333", "1200" for JPY. No grouping, no symbol: presentation belongs to the caller's locale.
   */
  toDecimalString(): string {
    return this.amount.toFixed(Math.max(minorUnitDigits(this.currency), this.amount.decimalPlaces()));
  }

  /** "100.00 USD": the decimal string and the currency code, for logs and messages. */
  toString(): string {
    return `${this.toDecimalString()} ${this.currency}`;
  }

  /** JSON form `{ currency, amount }` with the amount as a decimal string, so no float appears on the wire. */
  toJSON(): { currency: CurrencyCode; amount: string } {
    return { currency: this.currency, amount: this.toDecimalString() };
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency !== this.currency) {
      throw new CurrencyMismatchError(`cannot combine ${this.currency} with ${other.currency}`);
    }
  }
}
