/**
 * Minimal builders for the rating engine tests: plans and billing terms with valid defaults, conforming to
 * shared/domain/catalog.ts (independent of the catalog builders, which are written separately).
 */

import type { HourUsage, PlanInForce } from '#shared/domain/allowance.ts';
import type { BillingTerm, DimensionPrice, Plan } from '#shared/domain/catalog.ts';

/** A UTC instant from an ISO string without a zone: `utc('2025-01-06T10:00')`. */
export function utc(iso: string): Date {
  const date = new Date(iso.endsWith('Z') ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) throw new Error(`bad test date ${iso}`);
  return date;
}

export function aRatingTerm(overrides: Partial<BillingTerm> = {}): BillingTerm {
  return {
    termUnit: 'P1M',
    billingFrequency: 'monthly',
    price: { USD: '100.00' },
    includedQuantities: { emails: '1000' },
    ...overrides,
  };
}

export function aDimensionPrice(dimensionId: string, usd: string): DimensionPrice {
  return { dimensionId, pricePerUnit: { USD: usd } };
}

export function aRatingPlan(overrides: Partial<Plan> = {}): Plan {
  return {
    id: 'gold',
    displayName: 'Gold',
    visibility: 'public',
    pricingModel: 'flatRate',
    freeTrial: false,
    billingTerms: [aRatingTerm()],
    meteredDimensions: [aDimensionPrice('emails', '0.01')],
    ...overrides,
  };
}

/** A history entry on `plan` (first billing term unless given). */
export function inForce(from: string, plan: Plan, overrides: Partial<PlanInForce> = {}): PlanInForce {
  const billingTerm = overrides.billingTerm ?? plan.billingTerms[0];
  if (!billingTerm) throw new Error(`plan ${plan.id} has no billing term`);
  return { from: utc(from), plan, billingTerm, ...overrides };
}

export function usageAt(dimensionId: string, hour: string, quantity: string): HourUsage {
  return { dimensionId, hour: utc(hour), quantity };
}
