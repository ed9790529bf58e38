/**
 * Builders for alert tests: settings with valid defaults and one candidate of every rule, with realistic long-ish
 * values (so text-length tests exercise the worst case users will actually see).
 */

import type { AlertCandidate, AlertRule } from '#shared/domain/alerts/alert.ts';
import {
  type BudgetSettings,
  type BudgetSettingsInput,
  type CreditLevelsInput,
  type CreditLink,
  type Partner,
  type PurchaseApproval,
  parseBudgetSettings,
  parseCreditLevels,
  parsePartner,
} from '#shared/domain/alerts/settings.ts';
import { Money } from '#shared/domain/money.ts';

export const yen = (amount: string): Money => Money.of(amount, 'JPY');
export const usd = (amount: string): Money => Money.of(amount, 'USD');

/** A JPY budget in Tokyo time, thresholds 50/80/100%, spike minimum ¥1,000, one e-mail contact. */
export function aBudget(overrides: Partial<BudgetSettingsInput> = {}): BudgetSettings {
  return parseBudgetSettings({
    subscriptionId: 'sub-a',
    customerId: 'customer-a',
    plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
    spikeMinimumAmount: { amount: '1000', currency: 'JPY' },
    timeZone: 'Asia/Tokyo',
    locale: 'ja',
    contacts: { emails: ['it@customer-a.example'], phones: ['+819012345678'] },
    ...overrides,
  });
}

/** JPY levels warning ¥150,000 < approval required ¥200,000 < purchase blocked ¥300,000. */
export function someCreditLevels(overrides: Partial<CreditLevelsInput> = {}) {
  return parseCreditLevels({
    warning: { amount: '150000', currency: 'JPY' },
    approvalRequired: { amount: '200000', currency: 'JPY' },
    purchaseBlocked: { amount: '300000', currency: 'JPY' },
    ...overrides,
  });
}

export function aCreditLink(overrides: Partial<CreditLink> = {}): CreditLink {
  return {
    partnerId: 'partner-x',
    customerId: 'customer-a',
    subscriptionId: 'sub-a',
    levels: someCreditLevels(),
    ...overrides,
  };
}

/** A Japanese reseller: Japanese texts, months in Tokyo time (the seed's Cloud-All partners). */
export function aPartnerRecord(overrides: Partial<Partner> = {}): Partner {
  return parsePartner({
    id: 'partner-x',
    name: 'Example Reseller KK',
    tenantId: 'tenant-partner-x',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    contacts: { emails: ['credit@reseller.example'], phones: [] },
    ...overrides,
  });
}

export function anApproval(overrides: Partial<PurchaseApproval> = {}): PurchaseApproval {
  return {
    id: 'approval-1',
    partnerId: 'partner-x',
    subscriptionId: 'sub-a',
    approvedAt: new Date('2025-04-01T00:00:00Z'),
    expiresAt: new Date('2025-05-01T00:00:00Z'),
    ...overrides,
  };
}

/**
 * One candidate of each rule, with amounts of the given size (the largest a realistic customer shows: tens of
 * millions of yen, millions of dollars).
 */
export function oneCandidatePerRule(amount: (scale: 'small' | 'large') => Money): Record<AlertRule, AlertCandidate> {
  const small = amount('small');
  const large = amount('large');
  const customer = { kind: 'customer' as const, id: 'customer-a' };
  const partner = { kind: 'partner' as const, id: 'partner-x' };
  const base = { subscriptionId: '7c1b4a0e-2f4d-4f8e-9a51-3d2c9e0b6f11', customerId: 'customer-a' };
  return {
    budgetThreshold: {
      ...base,
      recipient: customer,
      rule: 'budgetThreshold',
      threshold: '0.8',
      periodKey: '2025-12',
      severity: 'warning',
      facts: { monthToDate: large, planned: large },
    },
    budgetForecast: {
      ...base,
      recipient: customer,
      rule: 'budgetForecast',
      periodKey: '2025-12',
      severity: 'warning',
      facts: {
        monthToDate: large,
        forecast: large,
        planned: large,
        basisFrom: '2025-12-01',
        basisTo: '2025-12-28',
        basisDays: '27',
      },
    },
    spike: {
      ...base,
      recipient: customer,
      rule: 'spike',
      periodKey: '2025-12-28',
      severity: 'warning',
      facts: { dayAmount: large, comparedDay: '2025-12-27', comparedAmount: small, partialDay: true },
    },
    provisionalCreditExceeded: {
      ...base,
      recipient: partner,
      rule: 'provisionalCreditExceeded',
      periodKey: '2025-12',
      severity: 'warning',
      facts: { monthToDate: large, provisionalCredit: large, basis: 'sixMonthMax' },
    },
    monthStartBlocked: {
      ...base,
      recipient: partner,
      rule: 'monthStartBlocked',
      periodKey: '2025-12',
      severity: 'critical',
      facts: { largestMonthlyCharge: large, largestMonth: '2025-11', purchaseBlocked: large },
    },
    currentStatusBlocked: {
      ...base,
      recipient: partner,
      rule: 'currentStatusBlocked',
      periodKey: '2025-12-18T06:42:17.512Z',
      severity: 'critical',
      facts: { largestMonthlyCharge: large, largestMonth: '2025-11', purchaseBlocked: large },
    },
    chargesOverCreditLevel: {
      ...base,
      recipient: partner,
      rule: 'chargesOverCreditLevel',
      threshold: 'approvalRequired',
      periodKey: '2025-12',
      severity: 'critical',
      facts: { monthToDate: large, levelAmount: large },
    },
    plannedOverCreditLevel: {
      ...base,
      recipient: partner,
      rule: 'plannedOverCreditLevel',
      threshold: 'purchaseBlocked',
      periodKey: '2025-12',
      severity: 'critical',
      facts: { planned: large, levelAmount: large },
    },
    purchaseChangeRejected: {
      ...base,
      recipient: partner,
      rule: 'purchaseChangeRejected',
      threshold: 'approvalRequired',
      periodKey: 'operation-5f0c1d2e',
      severity: 'warning',
      facts: {
        currentPlanId: 'standard-monthly',
        requestedPlanId: 'enterprise-unlimited',
        requestedQuantity: '250',
        currentPrice: small,
        newPrice: large,
      },
    },
  };
}
