import { describe, expect, it } from 'vitest';
import { monthPeriod } from '#shared/domain/alerts/calendar.ts';
import {
  type CreditStatus,
  creditStatus,
  decidePurchaseChange,
  largestMonthlyCharge,
  type MonthlyCharge,
  monthStartCheck,
  provisionalCredit,
  purchaseBlockOf,
} from '#shared/domain/alerts/credit.ts';
import type { PurchaseApproval } from '#shared/domain/alerts/settings.ts';
import { aCreditLink, anApproval, someCreditLevels, yen } from '#test/builders/alerts.ts';

/**
 * The reseller credit rules of seeds/000_* ("CCP 与信とアラート(パートナー様向け)"), hand-computed. Each table row
 * cites the seed's words it checks. Amounts in yen; a history entry `'¥5,000 partial'` is a month the subscription did
 * not exist for entirely (a first month of one hour, a month cut by the cancellation).
 */

/** `{ '2025-03': '500 partial', '2025-04': '80000' }` → monthly charges (whole unless marked `partial`). */
const months = (entries: Record<string, string>): MonthlyCharge[] =>
  Object.entries(entries).map(([month, text]) => {
    const [amount = '0', mark] = text.split(' ');
    return { month, amount: yen(amount), wholeMonth: mark !== 'partial' };
  });

// Quoted as printed in the seed (次月移行 is its spelling of 次月以降, "from the following month on").
const SEED_AT_FIRST = '「仮与信金額 初期はユーザー様の利用予定金額設定値」';
const SEED_FROM_NEXT_MONTH = '「次月移行は過去半年の最大利用月額」';

describe('provisional credit (仮与信金額): hand-computed cases', () => {
  // [case, seed wording, history, planned, month, expected amount, basis, month of the largest charge]
  const CASES: readonly (readonly [
    string,
    string,
    Record<string, string>,
    string | undefined,
    string,
    string | undefined,
    'planned' | 'sixMonthMax' | undefined,
    string | undefined,
  ])[] = [
    ['the first month: no history', SEED_AT_FIRST, {}, '100000', '2025-04', '100000', 'planned', undefined],
    [
      'after a one-hour first month with ¥500 of usage (not a whole month)',
      SEED_AT_FIRST,
      { '2025-03': '500 partial' },
      '100000',
      '2025-04',
      '100000',
      'planned',
      undefined,
    ],
    [
      'after a one-hour first month without usage (the ¥0 credit of the bug)',
      SEED_AT_FIRST,
      { '2025-03': '0 partial' },
      '100000',
      '2025-04',
      '100000',
      'planned',
      undefined,
    ],
    [
      'after the one-hour month, once a whole month with charges has closed',
      SEED_FROM_NEXT_MONTH,
      { '2025-03': '500 partial', '2025-04': '80000' },
      '100000',
      '2025-05',
      '80000',
      'sixMonthMax',
      '2025-04',
    ],
    [
      'after a free-trial month (a whole month at ¥0)',
      SEED_AT_FIRST,
      { '2025-01': '0' },
      '100000',
      '2025-02',
      '100000',
      'planned',
      undefined,
    ],
    [
      'the month after the first paid month that followed the free trial',
      SEED_FROM_NEXT_MONTH,
      { '2025-01': '0', '2025-02': '30000' },
      '100000',
      '2025-03',
      '30000',
      'sixMonthMax',
      '2025-02',
    ],
    [
      'a metered plan with no usage for six months',
      SEED_AT_FIRST,
      {
        '2024-10': '0',
        '2024-11': '0',
        '2024-12': '0',
        '2025-01': '0',
        '2025-02': '0',
        '2025-03': '0',
      },
      '100000',
      '2025-04',
      '100000',
      'planned',
      undefined,
    ],
    [
      'six months without usage after a busy month seven months ago (outside 過去半年)',
      SEED_AT_FIRST,
      { '2024-09': '900000', '2024-10': '0', '2024-11': '0', '2025-01': '0', '2025-02': '0', '2025-03': '0' },
      '100000',
      '2025-04',
      '100000',
      'planned',
      undefined,
    ],
    [
      'a history shorter than six months: the largest of the months there are',
      SEED_FROM_NEXT_MONTH,
      { '2025-01': '5000 partial', '2025-02': '40000', '2025-03': '25000' },
      '100000',
      '2025-04',
      '40000',
      'sixMonthMax',
      '2025-02',
    ],
    [
      'the largest month counts even below the planned amount (what the customer has shown it spends)',
      SEED_FROM_NEXT_MONTH,
      { '2025-03': '20000' },
      '100000',
      '2025-04',
      '20000',
      'sixMonthMax',
      '2025-03',
    ],
    [
      'a partial month counts toward the maximum once a whole month with charges exists',
      SEED_FROM_NEXT_MONTH,
      { '2025-02': '150000 partial', '2025-03': '20000' },
      '100000',
      '2025-04',
      '150000',
      'sixMonthMax',
      '2025-02',
    ],
    [
      'the month being evaluated and later months are not over: left out',
      SEED_FROM_NEXT_MONTH,
      { '2025-03': '50000', '2025-04': '999999' },
      '100000',
      '2025-04',
      '50000',
      'sixMonthMax',
      '2025-03',
    ],
    [
      'no budget and no whole month with charges: no provisional credit',
      SEED_AT_FIRST,
      { '2025-03': '0' },
      undefined,
      '2025-04',
      undefined,
      undefined,
      undefined,
    ],
  ];

  it.each(CASES)('%s — seed %s', (_case, _seed, history, planned, month, amount, basis, largestMonth) => {
    const credit = provisionalCredit(months(history), planned === undefined ? undefined : yen(planned), month);

    if (amount === undefined) {
      expect(credit).toBeUndefined();
      return;
    }
    expect(credit).toEqual({
      amount: yen(amount),
      basis,
      ...(largestMonth === undefined ? {} : { month: largestMonth }),
    });
  });

  it('names the most recent month on a tie', () => {
    expect(largestMonthlyCharge(months({ '2025-01': '10', '2025-02': '10' }), '2025-03')?.month).toBe('2025-02');
  });
});

describe('the month-start check (月初判定)', () => {
  const SEED = '「月初、最大利用額が購入不可金額を超過している時」';
  const april = monthPeriod('2025-04', 'Asia/Tokyo'); // 2025-03-31T15:00Z .. 2025-04-30T15:00Z
  const levels = someCreditLevels(); // purchase blocked ¥300,000
  const march310k = months({ '2025-03': '310000' });
  const at = (iso: string) => new Date(iso);

  // [case, seed wording, link overrides, history, kind, blocked, the instant the check stands for, released]
  const CASES = [
    [
      'a level set before the month: checked as of the month start, blocked',
      SEED,
      { purchaseBlockedLevelSetAt: at('2025-02-01T00:00:00Z') },
      march310k,
      'monthStart',
      true,
      april.start,
      false,
    ],
    [
      'a link stored before the setting time was kept counts as set before the month',
      SEED,
      {},
      march310k,
      'monthStart',
      true,
      april.start,
      false,
    ],
    [
      'exactly at the level is not above it (超過: strictly greater)',
      SEED,
      {},
      months({ '2025-03': '300000' }),
      'monthStart',
      false,
      april.start,
      false,
    ],
    [
      'a largest month seven months back is outside 過去半年',
      SEED,
      {},
      months({ '2024-09': '990000', '2025-03': '10000' }),
      'monthStart',
      false,
      april.start,
      false,
    ],
    [
      'a link made on the 20th: the current status at that instant, not a month start',
      '「警告/要承認/購入不可の設定値」 set mid-month',
      { purchaseBlockedLevelSetAt: at('2025-04-20T03:00:00Z') },
      march310k,
      'currentStatus',
      true,
      at('2025-04-20T03:00:00Z'),
      false,
    ],
    [
      'released by the partner after the month start',
      `${SEED}, then the partner's release`,
      { purchaseBlockRelease: { at: at('2025-04-02T00:00:00Z'), by: 'partner:partner-x' } },
      march310k,
      'monthStart',
      true,
      april.start,
      true,
    ],
    [
      'a release given last month does not carry over to this month-start check',
      SEED,
      { purchaseBlockRelease: { at: at('2025-03-15T00:00:00Z'), by: 'partner:partner-x' } },
      march310k,
      'monthStart',
      true,
      april.start,
      false,
    ],
    [
      'a release given before the level changed does not cover the new check',
      SEED,
      {
        purchaseBlockedLevelSetAt: at('2025-04-10T00:00:00Z'),
        purchaseBlockRelease: { at: at('2025-04-05T00:00:00Z'), by: 'publisher' },
      },
      march310k,
      'currentStatus',
      true,
      at('2025-04-10T00:00:00Z'),
      false,
    ],
  ] as const;

  it.each(CASES)('%s — seed %s', (_case, _seed, overrides, history, kind, blocked, stands, released) => {
    const check = monthStartCheck(aCreditLink({ levels, ...overrides }), history, april);

    expect(check).toMatchObject({ kind, month: '2025-04', at: stands, until: april.end, blocked });
    expect(check.release !== undefined).toBe(released);
  });
});

describe('the purchase block (購入不可) and what it tells', () => {
  const april = monthPeriod('2025-04', 'Asia/Tokyo');
  const levels = someCreditLevels(); // purchase blocked ¥300,000
  const check = (history: Record<string, string>, overrides = {}) =>
    monthStartCheck(aCreditLink({ levels, ...overrides }), months(history), april);
  const released = { purchaseBlockRelease: { at: new Date('2025-04-02T00:00:00Z'), by: 'partner:partner-x' } };

  // [case, seed wording, history, link overrides, month to date, planned, reason, since]
  const CASES = [
    [
      'a blocked month-start check, charges back at zero',
      '「月初、最大利用額が購入不可金額を超過している時」',
      { '2025-03': '310000' },
      {},
      '0',
      undefined,
      'monthStartCheck',
      april.start,
    ],
    [
      'this month’s charges above the level (the check released)',
      '「購入不可の設定値を、ユーザー様の利用料金…が上回った時」',
      { '2025-03': '310000' },
      released,
      '300001',
      undefined,
      'chargesOverLevel',
      undefined,
    ],
    [
      'the planned amount above the level',
      '「購入不可の設定値を、…利用予定額が上回った時」',
      { '2025-03': '10000' },
      {},
      '0',
      '300001',
      'plannedAmountOverLevel',
      undefined,
    ],
    [
      'nothing above the level: no block',
      '「購入不可金額を超過」 not met',
      { '2025-03': '300000' },
      {},
      '300000',
      '300000',
      undefined,
      undefined,
    ],
    [
      'the partner released the month-start block and nothing else is above the level',
      '「月初、最大利用額が購入不可金額を超過」, released',
      { '2025-03': '310000' },
      released,
      '0',
      undefined,
      undefined,
      undefined,
    ],
  ] as const;

  it.each(CASES)('%s — seed %s', (_case, _seed, history, overrides, monthToDate, planned, reason, since) => {
    const block = purchaseBlockOf({
      check: check(history, overrides),
      monthToDate: yen(monthToDate),
      ...(planned === undefined ? {} : { plannedAmount: yen(planned) }),
      month: april,
    });

    expect(block?.reason).toBe(reason);
    expect(block?.since).toEqual(since);
  });

  it('names the largest month and holds a month-start block until the next month-start check', () => {
    const block = purchaseBlockOf({ check: check({ '2025-03': '310000' }), monthToDate: yen('0'), month: april });

    expect(block).toEqual({
      reason: 'monthStartCheck',
      amount: yen('310000'),
      purchaseBlockedLevel: yen('300000'),
      month: '2025-03',
      since: april.start,
      until: april.end,
    });
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

  it('rejects price increases under a month-start block whatever this month’s status, saying why and until when', () => {
    const april = monthPeriod('2025-04', 'Asia/Tokyo');
    const block = purchaseBlockOf({
      check: monthStartCheck(aCreditLink(), months({ '2025-03': '310000' }), april),
      monthToDate: yen('0'),
      month: april,
    });

    const decision = decidePurchaseChange({
      status: 'ok',
      currentPrice: yen('10000'),
      newPrice: yen('20000'),
      change,
      now,
      ...(block ? { block } : {}),
    });

    expect(decision).toMatchObject({ decision: 'reject', reason: 'purchaseBlocked' });
    expect(decision.decision === 'reject' && decision.message).toContain('month-start credit check');
    expect(decision.decision === 'reject' && decision.message).toContain('2025-04-30T15:00:00.000Z');
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
