import { describe, expect, it } from 'vitest';
import {
  parseBudgetSettings,
  parseCreditLevels,
  parsePartner,
  parsePurchaseApproval,
} from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { yen } from '#test/builders/alerts.ts';

const minimal = {
  subscriptionId: 'sub-a',
  customerId: 'customer-a',
  plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
};

function fieldOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('budget settings', () => {
  it('applies the defaults: 50/80/100%, no forecast alert, UTC, English, spike minimum 1% of the plan', () => {
    const budget = parseBudgetSettings(minimal);
    expect(budget.thresholds).toEqual(['0.5', '0.8', '1']);
    expect(budget.forecastAlert).toBe(false);
    expect(budget.timeZone).toBe('UTC');
    expect(budget.locale).toBe('en');
    expect(budget.spikeMinimumAmount).toEqual(yen('1000'));
    expect(budget.contacts).toEqual({ emails: [], phones: [] });
  });

  it('normalises and sorts thresholds so equal fractions give equal alert keys', () => {
    expect(parseBudgetSettings({ ...minimal, thresholds: ['1.00', '0.50', '0.9'] }).thresholds).toEqual([
      '0.5',
      '0.9',
      '1',
    ]);
  });

  it.each([
    [{ thresholds: ['50'] }, 'thresholds[0]'],
    [{ thresholds: ['0.5', '0.50'] }, 'thresholds'],
    [{ thresholds: [] }, 'thresholds'],
    [{ thresholds: ['half'] }, 'thresholds[0]'],
    [{ timeZone: 'Tokyo' }, 'timeZone'],
    [{ locale: 'fr' }, 'locale'],
    [{ contacts: { phones: ['090-1234-5678'] } }, 'contacts.phones[0]'],
    [{ contacts: { emails: ['ok@example.com', 'not-an-address'] } }, 'contacts.emails[1]'],
    [{ plannedMonthlyAmount: { amount: '0', currency: 'JPY' } }, 'plannedMonthlyAmount.amount'],
    [{ plannedMonthlyAmount: { amount: '100.5', currency: 'JPY' } }, 'plannedMonthlyAmount.amount'],
    [{ plannedMonthlyAmount: { amount: '100', currency: 'yen' } }, 'plannedMonthlyAmount.currency'],
    [{ spikeMinimumAmount: { amount: '10', currency: 'USD' } }, 'spikeMinimumAmount.currency'],
    [{ customerId: ' ' }, 'customerId'],
  ])('rejects %j with a ValidationError on %s', (override, field) => {
    expect(fieldOf(() => parseBudgetSettings({ ...minimal, ...override }))).toBe(field);
  });

  it('accepts E.164 numbers and trims and de-duplicates contacts', () => {
    const budget = parseBudgetSettings({
      ...minimal,
      contacts: { emails: [' it@customer.example ', 'it@customer.example'], phones: ['+819012345678'] },
    });
    expect(budget.contacts).toEqual({ emails: ['it@customer.example'], phones: ['+819012345678'] });
  });
});

describe('credit levels, partners and approvals', () => {
  const level = (amount: string) => ({ amount, currency: 'JPY' });

  it('requires warning < approval required < purchase blocked', () => {
    expect(
      parseCreditLevels({ warning: level('1'), approvalRequired: level('2'), purchaseBlocked: level('3') }),
    ).toBeTruthy();
    expect(
      fieldOf(() =>
        parseCreditLevels({ warning: level('2'), approvalRequired: level('2'), purchaseBlocked: level('3') }),
      ),
    ).toBe('approvalRequired');
    expect(
      fieldOf(() =>
        parseCreditLevels({ warning: level('1'), approvalRequired: level('3'), purchaseBlocked: level('3') }),
      ),
    ).toBe('purchaseBlocked');
    expect(
      fieldOf(() =>
        parseCreditLevels({
          warning: level('1'),
          approvalRequired: level('2'),
          purchaseBlocked: { amount: '3', currency: 'USD' },
        }),
      ),
    ).toBe('purchaseBlocked.currency');
  });

  it('validates a partner', () => {
    expect(parsePartner({ id: 'p', name: 'Reseller', tenantId: 't', locale: 'ja' }).locale).toBe('ja');
    expect(fieldOf(() => parsePartner({ id: 'p', name: '', tenantId: 't' }))).toBe('name');
  });

  it('accepts an approval that expires within 90 days and refuses one in the past or too far out', () => {
    const now = new Date('2025-04-01T00:00:00Z');
    const base = { id: 'a1', partnerId: 'p', subscriptionId: 's' };
    expect(parsePurchaseApproval({ ...base, expiresAt: '2025-04-08T00:00:00Z', maxQuantity: 20 }, now)).toEqual({
      ...base,
      maxQuantity: 20,
      approvedAt: now,
      expiresAt: new Date('2025-04-08T00:00:00Z'),
    });
    expect(fieldOf(() => parsePurchaseApproval({ ...base, expiresAt: '2025-03-31T00:00:00Z' }, now))).toBe('expiresAt');
    expect(fieldOf(() => parsePurchaseApproval({ ...base, expiresAt: '2025-08-01T00:00:00Z' }, now))).toBe('expiresAt');
    expect(
      fieldOf(() => parsePurchaseApproval({ ...base, expiresAt: '2025-04-08T00:00:00Z', maxQuantity: 0 }, now)),
    ).toBe('maxQuantity');
  });
});
