import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlertCandidate, alertKey, recipientAddress } from '#shared/domain/alerts/alert.ts';
import {
  addDays,
  addMonths,
  type DayKey,
  dayOf,
  dayPeriod,
  monthOf,
  monthOfDay,
} from '#shared/domain/alerts/calendar.ts';
import type { MonthlyCharge } from '#shared/domain/alerts/credit.ts';
import {
  budgetForecastAlert,
  budgetThresholdAlerts,
  type DailyCharge,
  evaluateAlerts,
  FORECAST_MIN_BASIS_DAYS,
  spikeAlert,
} from '#shared/domain/alerts/rules.ts';
import {
  type BudgetSettings,
  type BudgetSettingsInput,
  type CreditLevelsInput,
  type CreditLink,
  parseCreditLevels,
} from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import { aBudget, aCreditLink, someCreditLevels, yen } from '#test/builders/alerts.ts';

const TZ = 'Asia/Tokyo';

/** The basis of a forecast made at `now` for a subscription active all month: the Tokyo month start to now. */
function tokyoMonthSoFar(now: string): { start: Date; end: Date } {
  const end = new Date(now);
  return { start: monthOf(end, TZ).start, end };
}

/**
 * One of the seed's situations: a customer's daily usage charges in Tokyo days (¥), its budget and its partner link.
 * The runner evaluates like the deployed system: at 00:05 each day (the day-close and month-start schedule) and at
 * 23:59 (after the day's last aggregation, intraday), plus at 12:00 where a noon amount is given. Month-to-date
 * charges and the monthly history are the sums of the days. Expected: every alert the log lets out, in order, as
 * `MM-DD HH:mm recipient rule threshold period`.
 */
interface Scenario {
  readonly name: string;
  /** The seed's words the scenario checks (seeds/000_*, "CCP 与信とアラート"). */
  readonly seed: string;
  readonly budget?: Partial<BudgetSettingsInput>;
  readonly levels?: Partial<CreditLevelsInput> | 'none';
  readonly days: Readonly<Record<DayKey, string>>;
  /** Charges of the day so far at 12:00, for intraday evaluation. */
  readonly noon?: Readonly<Record<DayKey, string>>;
  readonly expected: readonly string[];
}

/** Consecutive days from `first`, each charged `amount`. */
function daily(first: DayKey, count: number, amount: string): Record<DayKey, string> {
  const days: Record<DayKey, string> = {};
  for (let i = 0; i < count; i++) days[addDays(first, i)] = amount;
  return days;
}

// The seed's wording (seeds/000_*, quoted as printed: 次月移行 is the seed's spelling of 次月以降).
const SEED = {
  budget: '「利用料金が、設定されている利用予定額(エンドユーザーが設定)の50%に達した時」',
  spike: '「過去2日間のいずれかの利用金額より倍以上の利用金額になった場合」',
  provisional:
    '「仮与信金額 初期はユーザー様の利用予定金額設定値 次月移行は過去半年の最大利用月額」「利用料金が「仮与信金額」を超えた時」',
  monthStart: '「月初、最大利用額が購入不可金額を超過している時」',
  levels: '「警告/要承認/購入不可の設定値を、ユーザー様の利用料金及び利用予定額が上回った時」',
} as const;

// High levels, so that scenarios about the customer side raise no partner alert.
const HIGH_LEVELS: CreditLevelsInput = {
  warning: { amount: '10000000', currency: 'JPY' },
  approvalRequired: { amount: '20000000', currency: 'JPY' },
  purchaseBlocked: { amount: '30000000', currency: 'JPY' },
};

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'alerts the customer once when month-to-date charges reach 50% of the planned amount (the seed example)',
    seed: SEED.budget,
    levels: 'none',
    days: daily('2025-04-01', 10, '6000'),
    // ¥48,000 after 8 days, ¥54,000 after 9 (50% of ¥100,000 is ¥50,000); 80% is never reached.
    expected: ['04-09 23:59 customer:customer-a budgetThreshold 0.5 2025-04'],
  },
  {
    name: 'alerts a spike when a day is at least double the day before',
    seed: SEED.spike,
    levels: 'none',
    budget: { thresholds: ['1'] },
    days: { '2025-04-01': '10000', '2025-04-02': '10000', '2025-04-03': '20000', '2025-04-04': '15000' },
    // 04-04 (¥15,000) is under double both 04-03 (¥20,000) and 04-02 (¥10,000).
    expected: ['04-03 23:59 customer:customer-a spike - 2025-04-03'],
  },
  {
    name: 'alerts a spike against the day before yesterday when the day before was already higher ("either")',
    seed: SEED.spike,
    levels: 'none',
    budget: { thresholds: ['1'] },
    // 04-04 (¥20,000) is double 04-02 (¥10,000) but not 04-03 (¥15,000); exactly double counts (倍以上).
    days: { '2025-04-01': '10000', '2025-04-02': '10000', '2025-04-03': '15000', '2025-04-04': '20000' },
    expected: ['04-04 23:59 customer:customer-a spike - 2025-04-04'],
  },
  {
    name: 'alerts a spike as soon as the partial day crosses (intraday), once for the day',
    seed: SEED.spike,
    levels: 'none',
    days: { '2025-04-01': '10000', '2025-04-02': '10000', '2025-04-03': '26000' },
    noon: { '2025-04-03': '20000' },
    expected: ['04-03 12:00 customer:customer-a spike - 2025-04-03'],
  },
  {
    name: 'ignores a spike below the minimum amount, and does not compare with days before the subscription',
    seed: SEED.spike,
    levels: 'none',
    // 04-01 has no previous day; 04-03 is 50× 04-02 but only ¥500 (< ¥1,000); 04-04 is double 04-03 and ¥1,000.
    days: { '2025-04-01': '3000', '2025-04-02': '10', '2025-04-03': '500', '2025-04-04': '1000' },
    expected: ['04-04 23:59 customer:customer-a spike - 2025-04-04'],
  },
  {
    name: 'switches the provisional credit from the planned amount to the largest month of the past six',
    seed: SEED.provisional,
    budget: { thresholds: ['1'] },
    levels: HIGH_LEVELS,
    // January (first month): ¥62,000 stays under the provisional credit = planned ¥100,000.
    // February: provisional credit = January's ¥62,000, exceeded on day 25 (¥62,500), still under the plan.
    days: { ...daily('2025-01-01', 31, '2000'), ...daily('2025-02-01', 28, '2500') },
    expected: ['02-25 23:59 partner:partner-x provisionalCreditExceeded - 2025-02'],
  },
  {
    name: 'walks the credit levels up and checks the largest month against purchase blocked at month start',
    seed: `${SEED.budget} ${SEED.provisional} ${SEED.levels} ${SEED.monthStart}`,
    days: { ...daily('2025-03-01', 31, '10000'), '2025-04-01': '0' },
    expected: [
      '03-05 23:59 customer:customer-a budgetThreshold 0.5 2025-03',
      '03-08 23:59 customer:customer-a budgetThreshold 0.8 2025-03',
      '03-10 23:59 customer:customer-a budgetThreshold 1 2025-03',
      // First month: the provisional credit is the planned ¥100,000; ¥110,000 exceeds it.
      '03-11 23:59 partner:partner-x provisionalCreditExceeded - 2025-03',
      '03-16 23:59 partner:partner-x chargesOverCreditLevel warning 2025-03',
      '03-21 23:59 partner:partner-x chargesOverCreditLevel approvalRequired 2025-03',
      '03-31 23:59 partner:partner-x chargesOverCreditLevel purchaseBlocked 2025-03',
      // March's ¥310,000 exceeds the purchase-blocked ¥300,000: told at the first minutes of April (Tokyo).
      '04-01 00:05 partner:partner-x monthStartBlocked - 2025-04',
    ],
  },
  {
    name: 'tells the partner once a month when the planned amount itself exceeds a credit level',
    seed: SEED.levels,
    budget: { plannedMonthlyAmount: { amount: '250000', currency: 'JPY' } },
    days: { '2025-04-30': '500', '2025-05-01': '500' },
    expected: [
      '04-30 00:05 partner:partner-x plannedOverCreditLevel approvalRequired 2025-04',
      '05-01 00:05 partner:partner-x plannedOverCreditLevel approvalRequired 2025-05',
    ],
  },
];

function runScenario(scenario: Scenario): { events: string[]; candidates: AlertCandidate[] } {
  const budget = aBudget(scenario.budget);
  const link =
    scenario.levels === 'none' ? undefined : aCreditLink({ levels: someCreditLevels(scenario.levels ?? {}) });
  const days = Object.keys(scenario.days).sort();
  const amountOf = (day: DayKey) => yen(scenario.days[day] ?? '0');
  const sent = new Set<string>();
  const events: string[] = [];
  const candidates: AlertCandidate[] = [];
  for (const day of days) {
    const start = dayPeriod(day, TZ).start.getTime();
    const instants: [string, number, Money | undefined][] = [['00:05', start + 5 * 60_000, undefined]];
    const noon = scenario.noon?.[day];
    if (noon !== undefined) instants.push(['12:00', start + 12 * 3_600_000, yen(noon)]);
    instants.push(['23:59', start + (23 * 60 + 59) * 60_000, amountOf(day)]);
    for (const [time, instant, today] of instants) {
      const before = days.filter((d) => d < day);
      const dailyCharges: DailyCharge[] = [
        ...before.map((d) => ({ day: d, amount: amountOf(d) })),
        { day, amount: today ?? yen('0') },
      ];
      const month = monthOfDay(day);
      const monthToDate = Money.sum(
        dailyCharges.filter((d) => monthOfDay(d.day) === month).map((d) => d.amount),
        'JPY',
      );
      const monthlyHistory = closedMonths(
        before.filter((d) => monthOfDay(d) < month).map((d) => [d, amountOf(d)]),
        days[0] ?? day,
      );
      const found = evaluateAlerts({
        subscriptionId: budget.subscriptionId,
        customerId: budget.customerId,
        now: new Date(instant),
        budget,
        creditLink: link,
        monthToDate,
        dailyCharges,
        monthlyHistory,
      });
      for (const candidate of found) {
        const key = alertKey(candidate);
        if (sent.has(key)) continue;
        sent.add(key);
        candidates.push(candidate);
        const who = recipientAddress(candidate.recipient);
        events.push(
          `${day.slice(5)} ${time} ${who} ${candidate.rule} ${candidate.threshold ?? '-'} ${candidate.periodKey}`,
        );
      }
    }
  }
  return { events, candidates };
}

/** Monthly sums of the days; a month is whole when the customer's first day is not after its first day. */
function closedMonths(days: readonly [DayKey, Money][], firstDay: DayKey): MonthlyCharge[] {
  const sums = new Map<string, Money>();
  for (const [day, amount] of days) {
    const month = monthOfDay(day);
    sums.set(month, (sums.get(month) ?? yen('0')).add(amount));
  }
  return [...sums].map(([month, amount]) => ({ month, amount, wholeMonth: firstDay <= `${month}-01` }));
}

describe('alert rules of the seed (Cloud-All), day by day', () => {
  it.each(SCENARIOS.map((s) => [s.name, s.seed, s] as const))('%s — seed %s', (_name, _seed, scenario) => {
    expect(runScenario(scenario).events).toEqual(scenario.expected);
  });

  it('names the day a spike is measured against and whether the day was still running', () => {
    const [spike] = runScenario(SCENARIOS[2] as Scenario).candidates;
    expect(spike?.rule === 'spike' && spike.facts).toEqual({
      dayAmount: yen('20000'),
      comparedDay: '2025-04-02',
      comparedAmount: yen('10000'),
      partialDay: true,
    });
    const [intraday] = runScenario(SCENARIOS[3] as Scenario).candidates;
    expect(intraday?.rule === 'spike' && intraday.facts.dayAmount).toEqual(yen('20000'));
  });

  it('quotes the provisional credit and its basis in the partner alert', () => {
    const [credit] = runScenario(SCENARIOS[5] as Scenario).candidates;
    expect(credit?.rule === 'provisionalCreditExceeded' && credit.facts).toEqual({
      monthToDate: yen('62500'),
      provisionalCredit: yen('62000'),
      basis: 'sixMonthMax',
    });
  });
});

describe('alert evaluation', () => {
  it('counts a charge at 00:30 on May 1 in Tokyo (15:30 UTC on April 30) toward May', () => {
    const budget = aBudget();
    const [alert] = evaluateAlerts({
      subscriptionId: budget.subscriptionId,
      customerId: budget.customerId,
      now: new Date('2025-04-30T15:30:00Z'),
      budget,
      monthToDate: yen('60000'),
      dailyCharges: [],
      monthlyHistory: [],
    });
    expect(alert?.periodKey).toBe('2025-05');
  });

  it('alerts the forecast only when enabled and above the planned amount', () => {
    const input = (forecastAlert: boolean, forecast: string) => {
      const budget = aBudget({ forecastAlert });
      return evaluateAlerts({
        subscriptionId: budget.subscriptionId,
        customerId: budget.customerId,
        now: new Date('2025-04-10T03:00:00Z'),
        budget,
        monthToDate: yen('30000'),
        forecast: { amount: yen(forecast), basis: tokyoMonthSoFar('2025-04-10T03:00:00Z') },
        dailyCharges: [],
        monthlyHistory: [],
      }).map((c) => c.rule);
    };
    expect(input(true, '100001')).toEqual(['budgetForecast']);
    expect(input(true, '100000')).toEqual([]);
    expect(input(false, '500000')).toEqual([]);
  });

  // THE FORECAST EVIDENCE RULE: at least FORECAST_MIN_BASIS_DAYS whole days of usage since the later of the month start
  // and the activation. [case, basis start, now, alerts?]
  const EVIDENCE: readonly (readonly [string, string, string, boolean])[] = [
    ['one minute after an activation (the issue-12 case)', '2025-04-10T02:00:00Z', '2025-04-10T02:01:00Z', false],
    ['one day after the activation', '2025-04-10T02:00:00Z', '2025-04-11T02:00:00Z', false],
    ['a millisecond short of seven days', '2025-04-10T02:00:00Z', '2025-04-17T01:59:59.999Z', false],
    ['exactly seven days after the activation', '2025-04-10T02:00:00Z', '2025-04-17T02:00:00Z', true],
    ['on the 7th of the month at 23:59 Tokyo, active all month', '2025-03-31T15:00:00Z', '2025-04-07T14:59:00Z', false],
    ['on the 8th of the month at 00:00 Tokyo, active all month', '2025-03-31T15:00:00Z', '2025-04-07T15:00:00Z', true],
  ];

  it.each(EVIDENCE)('forecasts only on enough usage: %s', (_case, start, now, alerts) => {
    const budget = aBudget({ forecastAlert: true });
    const candidates = evaluateAlerts({
      subscriptionId: budget.subscriptionId,
      customerId: budget.customerId,
      now: new Date(now),
      budget,
      monthToDate: yen('10'),
      forecast: { amount: yen('50728810'), basis: { start: new Date(start), end: new Date(now) } },
      dailyCharges: [],
      monthlyHistory: [],
    }).filter((c) => c.rule === 'budgetForecast');
    expect(candidates.length).toBe(alerts ? 1 : 0);
    expect(FORECAST_MIN_BASIS_DAYS).toBe(7);
  });

  it('says what the forecast is based on: the local days of the usage and how many whole days', () => {
    const budget = aBudget({ forecastAlert: true });
    // Active from 12/1 00:00 Tokyo; now 12/9 13:00 Tokyo: 8 whole days and 13 hours, from 12/1 to 12/9.
    const [alert] = budgetForecastAlert(
      budget,
      {
        monthToDate: yen('90000'),
        forecast: {
          amount: yen('310000'),
          basis: { start: new Date('2025-11-30T15:00:00Z'), end: new Date('2025-12-09T04:00:00Z') },
        },
      },
      '2025-12',
      TZ,
    );
    expect(alert?.facts).toMatchObject({ basisFrom: '2025-12-01', basisTo: '2025-12-09', basisDays: '8' });
  });

  it('refuses settings that belong to another subscription, so no alert can reach a stranger', () => {
    const budget = aBudget({ subscriptionId: 'sub-other' });
    expect(() =>
      evaluateAlerts({
        subscriptionId: 'sub-a',
        customerId: 'customer-a',
        now: new Date('2025-04-10T03:00:00Z'),
        budget,
        monthToDate: yen('1'),
        dailyCharges: [],
        monthlyHistory: [],
      }),
    ).toThrow(ValidationError);
  });

  it('gives one alert per threshold reached when charges jump past several at once', () => {
    const keys = budgetThresholdAlerts(aBudget(), yen('85000'), '2025-04').map((c) => c.threshold);
    expect(keys).toEqual(['0.5', '0.8']);
  });

  it('does not treat a spike minimum of zero as licence to alert a zero day after zero days', () => {
    const budget = aBudget({ spikeMinimumAmount: { amount: '0', currency: 'JPY' } });
    const zeros = ['2025-04-01', '2025-04-02', '2025-04-03'].map((day) => ({ day, amount: yen('0') }));
    expect(spikeAlert(budget, zeros, '2025-04-03', false)).toEqual([]);
  });
});

// ---- properties ----

const ZONES = ['UTC', 'Asia/Tokyo', 'America/New_York', 'Europe/Berlin', 'Australia/Adelaide'] as const;
const yenArb = (max: number) => fc.integer({ min: 0, max }).map((n) => yen(String(n)));

const inputArb = fc
  .record({
    now: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 11, 31) }).map((t) => new Date(t)),
    timeZone: fc.constantFrom(...ZONES),
    planned: fc.integer({ min: 1, max: 1_000_000 }),
    thresholds: fc.subarray(['0.25', '0.5', '0.8', '1', '1.5'], { minLength: 1 }),
    forecastAlert: fc.boolean(),
    withBudget: fc.boolean(),
    levels: fc.option(
      fc.tuple(
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 1, max: 500_000 }),
        fc.integer({ min: 1, max: 500_000 }),
      ),
      { nil: undefined },
    ),
    monthToDate: yenArb(2_000_000),
    forecast: fc.option(fc.tuple(yenArb(3_000_000), fc.integer({ min: 0, max: 31 * 24 })), { nil: undefined }),
    lastDays: fc.array(fc.option(yenArb(100_000), { nil: undefined }), { minLength: 4, maxLength: 4 }),
    history: fc.array(fc.tuple(yenArb(1_000_000), fc.boolean()), { maxLength: 8 }),
  })
  .map((r) => {
    const budget: BudgetSettings | undefined = r.withBudget
      ? aBudget({
          plannedMonthlyAmount: { amount: String(r.planned), currency: 'JPY' },
          thresholds: r.thresholds,
          forecastAlert: r.forecastAlert,
          timeZone: r.timeZone,
        })
      : undefined;
    const creditLink: CreditLink | undefined = r.levels && {
      partnerId: 'partner-x',
      customerId: 'customer-a',
      subscriptionId: 'sub-a',
      levels: parseCreditLevels({
        warning: { amount: String(r.levels[0]), currency: 'JPY' },
        approvalRequired: { amount: String(r.levels[0] + r.levels[1]), currency: 'JPY' },
        purchaseBlocked: { amount: String(r.levels[0] + r.levels[1] + r.levels[2]), currency: 'JPY' },
      }),
    };
    const today = dayOf(r.now, budget?.timeZone ?? 'UTC').key;
    const dailyCharges = r.lastDays.flatMap((amount, i) =>
      amount === undefined ? [] : [{ day: addDays(today, -i), amount }],
    );
    const monthlyHistory = r.history.map(([amount, wholeMonth], i) => ({
      month: addMonths(monthOfDay(today), -(i + 1)),
      amount,
      wholeMonth,
    }));
    return {
      subscriptionId: 'sub-a',
      customerId: 'customer-a',
      now: r.now,
      budget,
      creditLink,
      monthToDate: r.monthToDate,
      // A basis of 0 to 31 days of usage ending now, so the evidence rule is exercised both ways.
      forecast: r.forecast && {
        amount: r.forecast[0],
        basis: { start: new Date(r.now.getTime() - r.forecast[1] * 3_600_000), end: r.now },
      },
      dailyCharges,
      monthlyHistory,
    };
  });

describe('alert rule properties', () => {
  it('yields the same keys when the same inputs are evaluated twice', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(evaluateAlerts(input).map(alertKey)).toEqual(evaluateAlerts(input).map(alertKey));
      }),
    );
  });

  it('never yields two candidates with the same key in one evaluation', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const keys = evaluateAlerts(input).map(alertKey);
        expect(new Set(keys).size).toBe(keys.length);
      }),
    );
  });

  it('addresses alerts only to the customer of the budget or the partner linked to it, about this subscription', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const candidate of evaluateAlerts(input)) {
          expect(candidate.subscriptionId).toBe(input.subscriptionId);
          expect(candidate.customerId).toBe(input.customerId);
          const allowed = [
            ...(input.budget ? [`customer:${input.budget.customerId}`] : []),
            ...(input.creditLink ? [`partner:${input.creditLink.partnerId}`] : []),
          ];
          expect(allowed).toContain(recipientAddress(candidate.recipient));
        }
      }),
    );
  });

  it('only adds budget alerts as month-to-date charges grow', () => {
    fc.assert(
      fc.property(yenArb(500_000), yenArb(500_000), (a, b) => {
        const [low, high] = a.compare(b) <= 0 ? [a, b] : [b, a];
        const budget = aBudget();
        const lowKeys = budgetThresholdAlerts(budget, low, '2025-04').map(alertKey);
        const highKeys = budgetThresholdAlerts(budget, high, '2025-04').map(alertKey);
        for (const key of lowKeys) expect(highKeys).toContain(key);
      }),
    );
  });
});
