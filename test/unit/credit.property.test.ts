import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertKey } from '#shared/domain/alerts/alert.ts';
import { addMonths, monthOf, monthPeriod } from '#shared/domain/alerts/calendar.ts';
import {
  CREDIT_LOOKBACK_MONTHS,
  type MonthlyCharge,
  monthStartCheck,
  provisionalCredit,
  purchaseBlockOf,
} from '#shared/domain/alerts/credit.ts';
import { evaluateAlerts } from '#shared/domain/alerts/rules.ts';
import { Money } from '#shared/domain/money.ts';
import { aCreditLink, someCreditLevels, yen } from '#test/builders/alerts.ts';

/**
 * Invariants of the reseller credit rules (seeds/000_*, credit.ts), over arbitrary histories, amounts, instants and
 * time zones. The hand-computed cases are in alert-credit.test.ts.
 */

const MONTH = '2025-07';
const yenArb = (max: number) => fc.integer({ min: 0, max }).map((n) => yen(String(n)));
/** Up to 12 closed months before MONTH (some outside the six-month window), whole or not, often at ¥0. */
const historyArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.oneof(fc.constant(yen('0')), yenArb(900_000)), fc.boolean()), {
    maxLength: 12,
  })
  .map((entries) => {
    const byMonth = new Map<string, MonthlyCharge>();
    for (const [back, amount, wholeMonth] of entries) {
      const month = addMonths(MONTH, -back);
      byMonth.set(month, { month, amount, wholeMonth });
    }
    return [...byMonth.values()];
  });
const inWindow = (entry: MonthlyCharge) =>
  entry.month >= addMonths(MONTH, -CREDIT_LOOKBACK_MONTHS) && entry.month < MONTH;
const spendingMonth = (entry: MonthlyCharge) => inWindow(entry) && entry.wholeMonth && !entry.amount.isZero();

describe('provisional credit (仮与信金額) invariants', () => {
  it('is never zero when a planned amount is set, whatever the history (no alert at the first yen)', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 1_000_000 }), (history, planned) => {
        const credit = provisionalCredit(history, yen(String(planned)), MONTH);
        expect(credit?.amount.isZero()).toBe(false);
      }),
    );
  });

  it('is the planned amount until the six months hold a whole month with charges, then their largest charge', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 1_000_000 }), (history, planned) => {
        const credit = provisionalCredit(history, yen(String(planned)), MONTH);
        if (!history.some(spendingMonth)) {
          expect(credit).toEqual({ amount: yen(String(planned)), basis: 'planned' });
          return;
        }
        const window = history.filter(inWindow);
        expect(credit?.basis).toBe('sixMonthMax');
        for (const entry of window) expect(credit?.amount.compare(entry.amount)).toBeGreaterThanOrEqual(0);
        expect(window.some((entry) => credit && entry.amount.equals(credit.amount))).toBe(true);
      }),
    );
  });

  it('ignores months outside the six before the month (older ones and the month itself onward)', () => {
    fc.assert(
      fc.property(historyArb, yenArb(2_000_000), fc.boolean(), (history, amount, wholeMonth) => {
        const planned = yen('100000');
        const outside: MonthlyCharge[] = [
          { month: addMonths(MONTH, -(CREDIT_LOOKBACK_MONTHS + 1)), amount, wholeMonth },
          { month: MONTH, amount, wholeMonth },
        ];
        const window = history.filter(inWindow);
        expect(provisionalCredit([...window, ...outside], planned, MONTH)).toEqual(
          provisionalCredit(window, planned, MONTH),
        );
      }),
    );
  });
});

describe('month-start check and purchase block invariants', () => {
  const july = monthPeriod(MONTH, 'Asia/Tokyo');
  const instantArb = fc
    .integer({ min: july.start.getTime() - 40 * 86_400_000, max: july.end.getTime() - 1 })
    .map((t) => new Date(t));

  it('stands for the month start unless the level was set during the month, and never before the month start', () => {
    fc.assert(
      fc.property(historyArb, fc.option(instantArb, { nil: undefined }), (history, setAt) => {
        const link = aCreditLink(setAt ? { purchaseBlockedLevelSetAt: setAt } : {});
        const check = monthStartCheck(link, history, july);
        const duringMonth = setAt !== undefined && setAt.getTime() > july.start.getTime();
        expect(check.kind).toBe(duringMonth ? 'currentStatus' : 'monthStart');
        expect(check.at.getTime()).toBeGreaterThanOrEqual(july.start.getTime());
        expect(check.until).toEqual(july.end);
      }),
    );
  });

  it('lets a release lift only the check’s block: charges or a planned amount above the level still block', () => {
    fc.assert(
      fc.property(
        historyArb,
        yenArb(600_000),
        fc.option(yenArb(600_000), { nil: undefined }),
        fc.option(instantArb, { nil: undefined }),
        (history, monthToDate, planned, releasedAt) => {
          const link = aCreditLink({
            levels: someCreditLevels(), // purchase blocked ¥300,000
            ...(releasedAt ? { purchaseBlockRelease: { at: releasedAt, by: 'partner:partner-x' } } : {}),
          });
          const check = monthStartCheck(link, history, july);
          const block = purchaseBlockOf({
            check,
            monthToDate,
            ...(planned ? { plannedAmount: planned } : {}),
            month: july,
          });
          const level = yen('300000');
          const live = monthToDate.compare(level) > 0 || (planned !== undefined && planned.compare(level) > 0);
          const checkBlocks =
            check.blocked && (releasedAt === undefined || releasedAt.getTime() < july.start.getTime());

          expect(block !== undefined).toBe(checkBlocks || live);
          if (checkBlocks) expect(block?.reason).toBe('monthStartCheck');
          if (!checkBlocks && live) expect(block?.reason).toMatch(/OverLevel$/);
        },
      ),
    );
  });

  it('alerts the month-start result at most once a month, keyed by the month in the partner’s time zone', () => {
    const zones = ['UTC', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Kiritimati'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.array(fc.integer({ min: Date.UTC(2025, 5, 1), max: Date.UTC(2025, 8, 30) }), { minLength: 1 }),
        (partnerTimeZone, instants) => {
          const keys = new Set<string>();
          const months = new Set<string>();
          for (const t of instants) {
            const now = new Date(t);
            const month = monthOf(now, partnerTimeZone).key;
            const monthlyHistory = [1, 2, 3].map((back) => ({
              month: addMonths(month, -back),
              amount: Money.of('400000', 'JPY'), // above the purchase-blocked ¥300,000 every month
              wholeMonth: true,
            }));
            const candidates = evaluateAlerts({
              subscriptionId: 'sub-a',
              customerId: 'customer-a',
              now,
              creditLink: aCreditLink(),
              monthToDate: yen('0'),
              dailyCharges: [],
              monthlyHistory,
              partnerTimeZone,
            });
            const monthStart = candidates.filter((candidate) => candidate.rule === 'monthStartBlocked');
            expect(monthStart.map((candidate) => candidate.periodKey)).toEqual([month]);
            for (const candidate of monthStart) keys.add(alertKey(candidate));
            months.add(month);
          }
          // One key per partner month, whatever the number of evaluations within it (the alert log lets it out once).
          expect(keys.size).toBe(months.size);
        },
      ),
    );
  });
});
