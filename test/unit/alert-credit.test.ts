import { describe, expect, it } from 'vitest';
import {
  type CreditStatus,
  creditStatus,
  decidePurchaseChange,
  largestMonthlyCharge,
  provisionalCredit,
} from '#shared/domain/alerts/credit.ts';
import type { PurchaseApproval } from '#shared/domain/alerts/settings.ts';
import { anApproval, someCreditLevels, yen } from '#test/builders/alerts.ts';

const months = (entries: Record<string, string>) =>
  Object.entries(entries).map(([month, amount]) => ({ month, amount: yen(amount) }));

describe('provisional credit (仮与信金額)', () => {
  it('is the planned amount in the first month', () => {
    expect(provisionalCredit([], yen('100000'), '2025-01')).toEqual({ amount: yen('100000'), basis: 'planned' });
  });

  it('is the largest monthly charge of the six months before, from the following month on', () => {
    const history = months({ '2024-09': '900000', '2024-10': '120000', '2025-02': '80000', '2025-03': '95000' });
    // 2024-09 is seven months before April: outside the window.
    expect(provisionalCredit(history, yen('100000'), '2025-04')).toEqual({
      amount: yen('120000'),
      basis: 'sixMonthMax',
      month: '2024-10',
    });
  });

  it('ignores the month being evaluated and later months (they are not over)', () => {
    const history = months({ '2025-03': '50000', '2025-04': '999999' });
    expect(provisionalCredit(history, yen('100000'), '2025-04')?.amount).toEqual(yen('50000'));
  });

  it('falls back to the planned amount when no month of the window is known, and is unknown without a plan', () => {
    expect(provisionalCredit(months({ '2024-01': '1' }), yen('5'), '2025-04')?.basis).toBe('planned');
    expect(provisionalCredit([], undefined, '2025-04')).toBeUndefined();
  });

  it('names the most recent month on a tie', () => {
    expect(largestMonthlyCharge(months({ '2025-01': '10', '2025-02': '10' }), '2025-03')?.month).toBe('2025-02');
  });
});

describe('credit status', () => {
  const levels = someCreditLevels(); // 150,000 / 200,000 / 300,000

  it.each([
    ['150000', undefined, 'ok'],
    ['150001', undefined, 'warning'],
    ['200001', undefined, 'approvalRequired'],
    ['300001', undefined, 'purchaseBlocked'],
    ['0', '250000', 'approvalRequired'],
    ['310000', '100000', 'purchaseBlocked'],
  ] as const)('charges %s with planned %s → %s (levels must be exceeded, not reached)', (charges, planned, status) => {
    expect(creditStatus(levels, yen(charges), planned === undefined ? undefined : yen(planned))).toBe(status);
  });
});

describe('purchase change decisions', () => {
  const now = new Date('2025-04-10T00:00:00Z');
  const change = { subscriptionId: 'sub-a', planId: 'gold', quantity: 10 };
  const decide = (status: CreditStatus, newPrice: string, approvals: PurchaseApproval[] = []) =>
    decidePurchaseChange({ status, currentPrice: yen('10000'), newPrice: yen(newPrice), change, approvals, now });

  it('always accepts a change that does not raise the price, even when purchases are blocked', () => {
    expect(decide('purchaseBlocked', '10000').decision).toBe('accept');
    expect(decide('purchaseBlocked', '5000').decision).toBe('accept');
  });

  it('accepts price increases at ok and warning', () => {
    expect(decide('ok', '20000').decision).toBe('accept');
    expect(decide('warning', '20000').decision).toBe('accept');
  });

  it('rejects price increases when purchases are blocked, approval or not', () => {
    expect(decide('purchaseBlocked', '20000', [anApproval()])).toMatchObject({
      decision: 'reject',
      reason: 'purchaseBlocked',
    });
  });

  it('needs a matching unexpired approval at approval required', () => {
    expect(decide('approvalRequired', '20000')).toMatchObject({ decision: 'reject', reason: 'approvalRequired' });
    expect(decide('approvalRequired', '20000', [anApproval({ planId: 'gold', maxQuantity: 10 })])).toEqual({
      decision: 'accept',
      approvalId: 'approval-1',
    });
    const wrong = [
      anApproval({ planId: 'platinum' }),
      anApproval({ maxQuantity: 9 }),
      anApproval({ subscriptionId: 'sub-b' }),
      anApproval({ expiresAt: now }),
    ];
    for (const approval of wrong) {
      expect(decide('approvalRequired', '20000', [approval]).decision).toBe('reject');
    }
  });
});
