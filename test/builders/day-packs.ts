/**
 * Builders for day packs and prepaid terms with valid defaults. Override only what a test is about:
 * `aDayPack({ days: 90 })`, `aPrepaidTerm({ end: new Date('2025-03-01T00:00:00Z') })`.
 *
 * Defaults: product `contoso-analytics` (an offer id), subscription `sub-1`, a 30-day pack issued
 * 2025-01-01, a term from 2025-01-01 to 2025-01-31 (exclusive) with one extension.
 */
import type { DayPack, PrepaidTerm, SubscriptionRef } from '#shared/domain/day-packs.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

export const A_PRODUCT_KEY = 'contoso-analytics';
export const A_SUBSCRIPTION_ID = 'sub-1';

/** The subscription a pack is redeemed for; default `sub-1` of `contoso-analytics`. */
export function aSubscriptionRef(overrides: Partial<SubscriptionRef> = {}): SubscriptionRef {
  return { id: A_SUBSCRIPTION_ID, productKey: A_PRODUCT_KEY, ...overrides };
}

/** An unredeemed 30-day pack of `contoso-analytics`. */
export function aDayPack(overrides: Partial<DayPack> = {}): DayPack {
  return {
    codeHash: 'a'.repeat(64),
    productKey: A_PRODUCT_KEY,
    days: 30,
    issuedAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

/** The 30-day term of `sub-1`, 2025-01-01 to 2025-01-31 (exclusive). */
export function aPrepaidTerm(overrides: Partial<PrepaidTerm> = {}): PrepaidTerm {
  return {
    subscriptionId: A_SUBSCRIPTION_ID,
    productKey: A_PRODUCT_KEY,
    start: new Date('2025-01-01T00:00:00Z'),
    end: new Date('2025-01-31T00:00:00Z'),
    extensions: 1,
    ...overrides,
  };
}

/** A clock stuck at `at` until moved with `set`. */
export function aFixedClock(at: Date | string): Clock & { set(next: Date | string): void } {
  let current = new Date(at);
  return {
    now: () => new Date(current.getTime()),
    set: (next) => {
      current = new Date(next);
    },
  };
}
