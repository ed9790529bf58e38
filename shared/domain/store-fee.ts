/**
 * The marketplace store service fee (DESIGN.md "Marketplace pricing"): Microsoft keeps 3% of the license price and
 * pays the publisher 97%. Infrastructure cost of a VM-style offer goes to Microsoft in full.
 *
 * The fee is rounded once (THE ROUNDING RULE in money.ts) and the payout is the remainder, so
 * payout + fee = price exactly to the minor unit, whatever the rate.
 */

import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, type Money, toDec } from '#shared/domain/money.ts';

/** Microsoft's standard store service fee rate (`Catalog.storeFeeRate` normally holds this value). */
export const STANDARD_STORE_FEE_RATE = '0.03';

export interface StoreFeeSplit {
  /** What the customer pays for the license, rounded to the minor unit. */
  readonly customerPrice: Money;
  /** What the marketplace keeps: round(customerPrice × rate). */
  readonly storeFee: Money;
  /** What the publisher receives: customerPrice − storeFee. */
  readonly publisherPayout: Money;
}

/**
 * Splits a license price into the store fee and the publisher payout: SaaS $100.00/month → fee $3.00, payout $97.00.
 * An unrounded price is first rounded to the minor unit (it is the amount of an invoice line).
 * @throws {ValidationError} when the rate is not a decimal in [0, 1] or the price is negative.
 */
export function splitStoreFee(customerPrice: Money, feeRate: string = STANDARD_STORE_FEE_RATE): StoreFeeSplit {
  const rate = parseFeeRate(feeRate);
  const price = customerPrice.roundToMinorUnit();
  if (price.isNegative()) {
    throw new ValidationError(`a license price cannot be negative (${price.toString()})`, 'customerPrice');
  }
  const storeFee = price.multiply(rate).roundToMinorUnit();
  return { customerPrice: price, storeFee, publisherPayout: price.subtract(storeFee) };
}

export interface VmPriceSplit {
  /** What the customer is billed: license + infrastructure. */
  readonly customerPrice: Money;
  readonly license: StoreFeeSplit;
  readonly infrastructure: Money;
  /** What the marketplace keeps: the store fee on the license plus all of the infrastructure. */
  readonly marketplaceKeeps: Money;
  /** What the publisher receives: the license less the store fee. */
  readonly publisherPayout: Money;
}

/**
 * Splits a VM-style price made of a license part and an infrastructure part: the store fee applies to the license
 * only and Microsoft keeps the infrastructure in full (Microsoft's example: $1.00/h license + $0.14/h infrastructure
 * → customer $1.14/h, publisher $0.97/h, marketplace $0.03/h of the license and all $0.14/h of infrastructure).
 * @throws {ValidationError} when the rate is invalid or an amount is negative.
 * @throws {CurrencyMismatchError} when the two prices are in different currencies.
 */
export function splitVmPrice(
  licensePrice: Money,
  infrastructureCost: Money,
  feeRate: string = STANDARD_STORE_FEE_RATE,
): VmPriceSplit {
  const license = splitStoreFee(licensePrice, feeRate);
  const infrastructure = infrastructureCost.roundToMinorUnit();
  if (infrastructure.isNegative()) {
    throw new ValidationError(
      `an infrastructure cost cannot be negative (${infrastructure.toString()})`,
      'infrastructureCost',
    );
  }
  return {
    customerPrice: license.customerPrice.add(infrastructure),
    license,
    infrastructure,
    marketplaceKeeps: license.storeFee.add(infrastructure),
    publisherPayout: license.publisherPayout,
  };
}

function parseFeeRate(feeRate: string): Dec {
  const rate = toDec(feeRate, 'storeFeeRate');
  if (rate.lessThan(0) || rate.greaterThan(1)) {
    throw new ValidationError(`store fee rate ${feeRate} must be between 0 and 1`, 'storeFeeRate');
  }
  return new Dec(rate);
}
