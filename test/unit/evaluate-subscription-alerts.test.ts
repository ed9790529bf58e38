import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { evaluateAllSubscriptionAlerts } from '#shared/use-cases/alerts/evaluate-all-subscription-alerts.ts';
import { evaluateSubscriptionAlerts } from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { anActiveSubscription, anEvaluationWorld, callsAt } from '#test/builders/alert-evaluation.ts';
import { aBudget, aCreditLink, aPartnerRecord, someCreditLevels } from '#test/builders/alerts.ts';

/** `<recipient kind>:<rule>:<threshold or ->:<period>`: who, which rule, which threshold, which day or month. */
const labelOf = (message: AlertMessage) =>
  `${message.recipient.kind}:${message.rule}:${message.threshold ?? '-'}:${message.periodKey}`;

interface Scenario {
  readonly name: string;
  /** Activation instant (ISO, UTC). */
  readonly activatedAt: string;
  /** Planned monthly amount in yen and budget thresholds; no budget when absent. */
  readonly budget?: { readonly planned: string; readonly thresholds?: string[]; readonly forecastAlert?: boolean };
  /** Credit levels in yen: warning, approval required, purchase blocked; no partner when absent. */
  readonly levels?: readonly [string, string, string];
  /** [UTC hour, yen of usage (¥1 per call)]. */
  readonly usage: readonly (readonly [string, string])[];
  /** Evaluation instants, in order (each also runs a second time, which must send nothing). */
  readonly evaluateAt: readonly string[];
  /** Every alert sent across the evaluations, once each. */
  readonly expected: readonly string[];
  /** Facts of some of them, by label. */
  readonly facts?: Readonly<Record<string, Record<string, unknown>>>;
  /** The seed's words the scenario checks (seeds/000_*, CCP 与信とアラート; 次月移行 as printed, for 次月以降). */
  readonly seed: string;
  /** The partner's own time zone (default Asia/Tokyo, the builder's); null: none, the publisher's applies. */
  readonly partnerTimeZone?: string | null;
  /** The publisher's time zone (setting PUBLISHER_TIME_ZONE); default unset (UTC). */
  readonly publisherTimeZone?: string;
  /** When the link's purchase-blocked level was set (default: not kept, i.e. before any month in question). */
  readonly levelSetAt?: string;
  /** The budget's time zone (default Asia/Tokyo). */
  readonly budgetTimeZone?: string;
}

// Tokyo: a day starts at 15:00 UTC the day before. "6/20 12:00 JST" is 2025-06-20T03:00Z.
const scenarios: readonly Scenario[] = [
  {
    name: 'month-to-date charges reach 50% of the planned amount: the 50% alert, and not 80%',
    seed: '「利用料金が、設定されている利用予定額(エンドユーザーが設定)の50%に達した時」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '100000' },
    usage: [['2025-06-05T01:00:00Z', '55000']],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: ['customer:budgetThreshold:0.5:2025-06'],
    facts: { 'customer:budgetThreshold:0.5:2025-06': { monthToDate: { amount: '55000', currency: 'JPY' } } },
  },
  {
    name: 'exactly 50% counts as reached (達した)',
    seed: '「…の50%に達した時」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '100000' },
    usage: [['2025-06-05T01:00:00Z', '50000']],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: ['customer:budgetThreshold:0.5:2025-06'],
  },
  {
    name: 'a spike against the day before yesterday only (at least double either of the two previous days)',
    seed: '「過去2日間のいずれかの利用金額より倍以上の利用金額になった場合」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '1000000' },
    usage: [
      ['2025-06-17T01:00:00Z', '20000'], // 6/17 JST
      ['2025-06-18T01:00:00Z', '10000'], // 6/18
      ['2025-06-19T01:00:00Z', '15000'], // 6/19: < 2 × 10,000 and < 2 × 20,000
      ['2025-06-20T01:00:00Z', '20000'], // 6/20 so far: < 2 × 15,000 but = 2 × 10,000
    ],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: ['customer:spike:-:2025-06-20'],
    facts: {
      'customer:spike:-:2025-06-20': {
        comparedDay: '2025-06-18',
        comparedAmount: { amount: '10000', currency: 'JPY' },
        partialDay: true,
      },
    },
  },
  {
    name: 'no spike when the day stays below double both previous days',
    seed: '「過去2日間のいずれかの利用金額より倍以上」 not met',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '1000000' },
    usage: [
      ['2025-06-17T01:00:00Z', '10000'],
      ['2025-06-18T01:00:00Z', '10000'],
      ['2025-06-19T01:00:00Z', '12000'],
      ['2025-06-20T01:00:00Z', '19999'],
    ],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: [],
  },
  {
    name: "yesterday's spike is caught at day close, counted in Tokyo days",
    seed: '「過去2日間のいずれかの利用金額より倍以上の利用金額になった場合」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '1000000' },
    usage: [
      ['2025-06-18T14:00:00Z', '5000'], // 6/18 23:00 JST
      ['2025-06-19T14:00:00Z', '5000'], // 6/19 23:00 JST
      ['2025-06-19T16:00:00Z', '12000'], // 6/20 01:00 JST
    ],
    evaluateAt: ['2025-06-20T15:10:00Z'], // 6/21 00:10 JST: 6/20 is complete
    expected: ['customer:spike:-:2025-06-20'],
    facts: { 'customer:spike:-:2025-06-20': { partialDay: false, comparedDay: '2025-06-19' } },
  },
  {
    name: 'the provisional credit is the planned amount in the first month, then the six-month maximum',
    seed: '「仮与信金額 初期はユーザー様の利用予定金額設定値 次月移行は過去半年の最大利用月額」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '100000', thresholds: ['2'] },
    levels: ['500000', '600000', '700000'],
    usage: [
      ['2025-06-05T01:00:00Z', '120000'], // June: above the planned ¥100,000
      ['2025-07-03T01:00:00Z', '130000'], // July: above June's ¥120,000, the largest month
    ],
    evaluateAt: ['2025-06-20T03:00:00Z', '2025-07-10T03:00:00Z'],
    expected: ['partner:provisionalCreditExceeded:-:2025-06', 'partner:provisionalCreditExceeded:-:2025-07'],
    facts: {
      'partner:provisionalCreditExceeded:-:2025-06': {
        basis: 'planned',
        provisionalCredit: { amount: '100000', currency: 'JPY' },
      },
      'partner:provisionalCreditExceeded:-:2025-07': {
        basis: 'sixMonthMax',
        provisionalCredit: { amount: '120000', currency: 'JPY' },
        monthToDate: { amount: '130000', currency: 'JPY' },
      },
    },
  },
  {
    name: 'from the second month, charges under the six-month maximum do not alert even above the planned amount',
    seed: '「次月移行は過去半年の最大利用月額」「利用料金が「仮与信金額」を超えた時」',
    activatedAt: '2025-04-30T15:00:00.000Z',
    budget: { planned: '50000', thresholds: ['10'] },
    levels: ['500000', '600000', '700000'],
    usage: [
      ['2025-05-10T01:00:00Z', '90000'],
      ['2025-06-05T01:00:00Z', '80000'],
    ],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: [],
  },
  {
    name: 'at month start the largest month of the past six above purchase blocked alerts the partner, once',
    seed: '「月初、最大利用額が購入不可金額を超過している時」',
    activatedAt: '2025-02-28T15:00:00.000Z',
    budget: { planned: '50000', thresholds: ['10'] },
    levels: ['100000', '150000', '200000'],
    usage: [['2025-04-10T01:00:00Z', '250000']],
    // 6/1 00:30 JST, the first evaluation of June; again mid-June.
    evaluateAt: ['2025-05-31T15:30:00Z', '2025-06-15T03:00:00Z'],
    expected: [
      // April itself (evaluated in April, had the test done so) is not part of this scenario's evaluations.
      'partner:monthStartBlocked:-:2025-06',
    ],
    facts: {
      'partner:monthStartBlocked:-:2025-06': {
        largestMonth: '2025-04',
        largestMonthlyCharge: { amount: '250000', currency: 'JPY' },
        purchaseBlocked: { amount: '200000', currency: 'JPY' },
      },
    },
  },
  {
    name: 'a metered plan with no usage for six months: the provisional credit stays the planned amount',
    seed: '「仮与信金額 初期はユーザー様の利用予定金額設定値」 (no month with charges yet)',
    activatedAt: '2024-12-31T15:00:00.000Z', // 1/1 JST; January to June are whole months at ¥0
    budget: { planned: '100000', thresholds: ['10'] },
    levels: ['500000', '600000', '700000'],
    usage: [
      ['2025-07-05T01:00:00Z', '50000'], // under the planned ¥100,000: no alert (a ¥0 credit would alert here)
      ['2025-07-08T01:00:00Z', '60000'], // ¥110,000 in all: above the planned amount
    ],
    evaluateAt: ['2025-07-06T03:00:00Z', '2025-07-10T03:00:00Z'],
    // The spike is the customer's (¥50,000 after zero days); the partner hears only of the planned amount exceeded.
    expected: ['customer:spike:-:2025-07-05', 'partner:provisionalCreditExceeded:-:2025-07'],
    facts: {
      'partner:provisionalCreditExceeded:-:2025-07': {
        basis: 'planned',
        provisionalCredit: { amount: '100000', currency: 'JPY' },
      },
    },
  },
  {
    name: 'a one-hour first month does not set the provisional credit: the planned amount applies in the second',
    seed: '「初期はユーザー様の利用予定金額設定値 / 次月以降は過去半年の最大利用月額」',
    activatedAt: '2025-05-31T14:00:00.000Z', // 5/31 23:00 JST: one hour of May
    budget: { planned: '100000', thresholds: ['10'] },
    levels: ['500000', '600000', '700000'],
    usage: [
      ['2025-05-31T14:00:00Z', '500'], // May: ¥500 in one hour
      ['2025-06-05T01:00:00Z', '60000'], // June: above May's ¥500, under the planned ¥100,000
    ],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: [],
  },
  {
    name: 'a link made on the 20th tells the current status then, and the month-start check at the next month start',
    seed: '「月初、最大利用額が購入不可金額を超過している時」 — only at a month start',
    activatedAt: '2025-04-30T15:00:00.000Z',
    levels: ['100000', '150000', '200000'],
    levelSetAt: '2025-06-20T02:00:00.000Z',
    usage: [['2025-05-10T01:00:00Z', '250000']], // May (JST) ¥250,000 > purchase blocked ¥200,000
    evaluateAt: ['2025-06-20T03:00:00Z', '2025-06-25T03:00:00Z', '2025-06-30T15:30:00Z'],
    expected: ['partner:currentStatusBlocked:-:2025-06-20T02:00:00.000Z', 'partner:monthStartBlocked:-:2025-07'],
  },
  {
    name: 'the month-start check runs at 00:00 in the partner’s own time zone (Tokyo): at 00:30 JST',
    seed: '「月初、最大利用額が購入不可金額を超過している時」',
    activatedAt: '2025-04-30T15:00:00.000Z',
    levels: ['100000', '150000', '200000'],
    usage: [['2025-05-10T01:00:00Z', '250000']],
    evaluateAt: ['2025-05-31T15:30:00Z'], // 6/1 00:30 JST, still 5/31 in UTC
    expected: ['partner:monthStartBlocked:-:2025-06'],
  },
  {
    name: 'a partner without a time zone follows the publisher’s (UTC by default), not the customer’s budget',
    seed: '「月初」 in the partner’s month',
    activatedAt: '2025-04-30T15:00:00.000Z',
    budget: { planned: '50000', thresholds: ['10'] },
    budgetTimeZone: 'Asia/Tokyo',
    partnerTimeZone: null,
    levels: ['100000', '150000', '200000'],
    usage: [['2025-05-10T01:00:00Z', '250000']],
    // 6/1 00:30 JST is still May in UTC: no June check yet; it comes at 00:30 UTC (09:30 JST).
    evaluateAt: ['2025-05-31T15:30:00Z'],
    expected: ['partner:chargesOverCreditLevel:purchaseBlocked:2025-05', 'partner:provisionalCreditExceeded:-:2025-05'],
  },
  {
    name: 'a partner without a time zone follows the publisher’s when the publisher sets Asia/Tokyo',
    seed: '「月初」 in the partner’s month',
    activatedAt: '2025-04-30T15:00:00.000Z',
    partnerTimeZone: null,
    publisherTimeZone: 'Asia/Tokyo',
    levels: ['100000', '150000', '200000'],
    usage: [['2025-05-10T01:00:00Z', '250000']],
    evaluateAt: ['2025-05-31T15:30:00Z'],
    expected: ['partner:monthStartBlocked:-:2025-06'],
  },
  {
    name: 'charges and the planned amount above credit levels: the most severe level of each, per month',
    seed: '「警告/要承認/購入不可の設定値を、ユーザー様の利用料金及び利用予定額が上回った時」',
    activatedAt: '2025-05-31T15:00:00.000Z',
    budget: { planned: '160000', thresholds: ['10'] },
    levels: ['100000', '150000', '200000'],
    usage: [['2025-06-05T01:00:00Z', '210000']],
    evaluateAt: ['2025-06-20T03:00:00Z'],
    expected: [
      'partner:chargesOverCreditLevel:purchaseBlocked:2025-06',
      'partner:plannedOverCreditLevel:approvalRequired:2025-06',
      'partner:provisionalCreditExceeded:-:2025-06',
    ],
  },
  {
    name: 'a forecast one minute after the activation, from its first hour of usage: no forecast alert (issue 12)',
    seed: 'THE FORECAST EVIDENCE RULE (rules.ts): at least 7 days of usage this month',
    activatedAt: '2025-06-10T03:00:00.000Z',
    budget: { planned: '10000', thresholds: ['10'], forecastAlert: true },
    usage: [['2025-06-10T03:00:00Z', '5000']],
    // ¥5,000 in the first minute would "forecast" millions; a day later, still too little to go on.
    evaluateAt: ['2025-06-10T03:01:00Z', '2025-06-11T03:00:00Z'],
    expected: [],
  },
  {
    name: 'the same usage seven days after the activation: the forecast alert, saying what it is based on',
    seed: 'THE FORECAST EVIDENCE RULE (rules.ts): at least 7 days of usage this month',
    activatedAt: '2025-06-10T03:00:00.000Z',
    budget: { planned: '10000', thresholds: ['10'], forecastAlert: true },
    usage: [['2025-06-10T03:00:00Z', '5000']],
    // 6/10 03:00Z to 6/30 15:00Z (the Tokyo month end) is 492 hours; ¥5,000 in 168 → ¥14,643 > ¥10,000.
    evaluateAt: ['2025-06-10T03:01:00Z', '2025-06-17T03:00:00Z'],
    expected: ['customer:budgetForecast:-:2025-06'],
    facts: {
      'customer:budgetForecast:-:2025-06': {
        forecast: { amount: '14643', currency: 'JPY' },
        basisFrom: '2025-06-10',
        basisTo: '2025-06-17',
        basisDays: '7',
      },
    },
  },
];

describe('alert evaluation: the seed scenarios (seeds/000_*, Cloud-All)', () => {
  it.each(scenarios)('$name — seed $seed', async (scenario) => {
    const world = anEvaluationWorld(scenario.evaluateAt[0] ?? '');
    const subscription = anActiveSubscription({ activatedAt: scenario.activatedAt, customerId: 'customer-a' });
    await world.subscriptions.put(subscription);
    if (scenario.budget) {
      await world.budgets.putBudget(
        aBudget({
          subscriptionId: subscription.id,
          customerId: 'customer-a',
          plannedMonthlyAmount: { amount: scenario.budget.planned, currency: 'JPY' },
          spikeMinimumAmount: { amount: '1000', currency: 'JPY' },
          ...(scenario.budget.thresholds ? { thresholds: scenario.budget.thresholds } : {}),
          ...(scenario.budget.forecastAlert ? { forecastAlert: true } : {}),
          ...(scenario.budgetTimeZone ? { timeZone: scenario.budgetTimeZone } : {}),
        }),
      );
    }
    if (scenario.levels) {
      const [warning, approvalRequired, purchaseBlocked] = scenario.levels;
      await world.partners.putPartner(
        aPartnerRecord(
          scenario.partnerTimeZone === undefined ? {} : { timeZone: scenario.partnerTimeZone ?? undefined },
        ),
      );
      await world.partners.putCreditLink(
        aCreditLink({
          subscriptionId: subscription.id,
          customerId: 'customer-a',
          levels: someCreditLevels({
            warning: { amount: warning, currency: 'JPY' },
            approvalRequired: { amount: approvalRequired, currency: 'JPY' },
            purchaseBlocked: { amount: purchaseBlocked, currency: 'JPY' },
          }),
          ...(scenario.levelSetAt ? { purchaseBlockedLevelSetAt: new Date(scenario.levelSetAt) } : {}),
        }),
      );
    }
    for (const [hour, yen] of scenario.usage)
      await applyUsageMessage({ ledger: world.ledger }, callsAt(subscription.id, hour, yen));
    const deps = scenario.publisherTimeZone ? { ...world, publisherTimeZone: scenario.publisherTimeZone } : world;

    for (const at of scenario.evaluateAt) {
      world.clock.set(at);
      await evaluateSubscriptionAlerts(deps, subscription.id);
      await evaluateSubscriptionAlerts(deps, subscription.id);
    }

    const labels = world.publisher.published.map(labelOf);
    expect([...labels].sort()).toEqual([...scenario.expected].sort());
    for (const [label, facts] of Object.entries(scenario.facts ?? {})) {
      expect(world.publisher.published.find((m) => labelOf(m) === label)?.facts).toMatchObject(facts);
    }
  });
});

describe('evaluateSubscriptionAlerts', () => {
  const now = '2025-06-20T03:00:00Z';

  async function aWorldWithSettings() {
    const world = anEvaluationWorld(now);
    const subscription = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-a' });
    await world.subscriptions.put(subscription);
    await world.budgets.putBudget(
      aBudget({
        subscriptionId: subscription.id,
        customerId: 'customer-a',
        locale: 'ja',
        plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
      }),
    );
    await world.partners.putPartner(aPartnerRecord({ locale: 'en' }));
    await world.partners.putCreditLink(aCreditLink({ subscriptionId: subscription.id, customerId: 'customer-a' }));
    return { world, subscription };
  }

  it('reads only the budget and the credit link of a subscription without alert settings', async () => {
    const world = anEvaluationWorld(now);
    let slotReads = 0;
    const ledger = {
      readDailyUsage: async () => {
        slotReads++;
        return [];
      },
      readSlotQuantities: async () => {
        slotReads++;
        return [];
      },
    };

    const result = await evaluateSubscriptionAlerts({ ...world, ledger }, 'sub-without-settings');

    expect(result.outcome).toBe('noSettings');
    expect(world.budgets.reads + world.partners.reads).toBe(2);
    expect(slotReads).toBe(0);
  });

  it('reads settings, subscription, partner and the daily items of the term so far, once per evaluation', async () => {
    const { world, subscription } = await aWorldWithSettings();
    const ranges: string[] = [];
    const ledger = {
      readDailyUsage: async (id: string, fromDay: string, toDay: string) => {
        ranges.push(`${fromDay} ${toDay}`);
        return world.ledger.readDailyUsage(id, fromDay, toDay);
      },
      readSlotQuantities: async (id: string, dimension: string, from: Date, to: Date) => {
        ranges.push(`slots ${dimension} ${from.toISOString()} ${to.toISOString()}`);
        return world.ledger.readSlotQuantities(id, dimension, from, to);
      },
    };

    const result = await evaluateSubscriptionAlerts({ ...world, ledger }, subscription.id);

    expect(result.outcome).toBe('evaluated');
    // budget + credit link + partner (the subscription is read from its own store)
    expect(world.budgets.reads + world.partners.reads).toBe(3);
    // the days from the activation (the oldest window's term start) to the current hour's, in 3 ranges side by side
    expect(ranges).toEqual(['2025-05-31 2025-06-07', '2025-06-08 2025-06-15', '2025-06-16 2025-06-20']);
  });

  it('sends each alert in its recipient’s language, and nothing new when evaluated again', async () => {
    const { world, subscription } = await aWorldWithSettings();
    await applyUsageMessage({ ledger: world.ledger }, callsAt(subscription.id, '2025-06-05T01:00:00Z', '160000'));

    const first = await evaluateSubscriptionAlerts(world, subscription.id);
    const second = await evaluateSubscriptionAlerts(world, subscription.id);

    expect(first.results.every((r) => r.outcome === 'sent')).toBe(true);
    expect(second.results).toEqual([]);
    expect(second.alreadySent).toBe(first.candidates);
    const toCustomer = world.publisher.published.filter((m) => m.recipient.kind === 'customer');
    const toPartner = world.publisher.published.filter((m) => m.recipient.kind === 'partner');
    expect(toCustomer.map((m) => m.subject).every((s) => s.startsWith('【'))).toBe(true);
    expect(toPartner.length).toBeGreaterThan(0);
    expect(toPartner.map((m) => m.subject).every((s) => s.startsWith('['))).toBe(true);
    expect(toPartner.every((m) => m.recipient.id === 'partner-x')).toBe(true);
  });

  it('names the subscription in every text by its marketplace name, else by offer and plan, never by an id fragment', async () => {
    const { world, subscription } = await aWorldWithSettings();
    const named = { ...subscription, id: `${subscription.id}-named`, name: 'Accounting prod' };
    await world.subscriptions.put(named);
    await world.budgets.putBudget(aBudget({ subscriptionId: named.id, customerId: 'customer-a', locale: 'ja' }));
    await world.partners.putCreditLink(aCreditLink({ subscriptionId: named.id, customerId: 'customer-a' }));
    for (const id of [subscription.id, named.id]) {
      await applyUsageMessage({ ledger: world.ledger }, callsAt(id, '2025-06-05T01:00:00Z', '160000'));
      await evaluateSubscriptionAlerts(world, id);
    }

    const of = (id: string) => world.publisher.published.filter((m) => m.subscriptionId === id);
    expect(of(named.id).length).toBeGreaterThan(0);
    for (const message of of(named.id)) expect(message.sms).toContain('Accounting prod');
    for (const message of of(subscription.id)) expect(message.sms).toContain('Cloud All Metered');
    for (const message of world.publisher.published) expect(message.sms).not.toContain(subscription.id.slice(0, 8));
  });

  it('retries an alert whose publish failed at the next evaluation', async () => {
    const { world, subscription } = await aWorldWithSettings();
    await applyUsageMessage({ ledger: world.ledger }, callsAt(subscription.id, '2025-06-05T01:00:00Z', '55000'));
    world.publisher.failures = 1;

    await expect(evaluateSubscriptionAlerts(world, subscription.id)).rejects.toBeInstanceOf(AggregateError);
    await evaluateSubscriptionAlerts(world, subscription.id);

    expect(world.publisher.published.map(labelOf)).toEqual(['customer:budgetThreshold:0.5:2025-06']);
  });

  it('refuses a budget and credit levels in different currencies, sending nothing', async () => {
    const { world, subscription } = await aWorldWithSettings();
    await world.budgets.putBudget(
      aBudget({
        subscriptionId: subscription.id,
        customerId: 'customer-a',
        plannedMonthlyAmount: { amount: '100.00', currency: 'USD' },
        spikeMinimumAmount: { amount: '1.00', currency: 'USD' },
      }),
    );

    await expect(evaluateSubscriptionAlerts(world, subscription.id)).rejects.toBeInstanceOf(ValidationError);
    expect(world.publisher.published).toEqual([]);
  });

  it('does nothing for a subscription that was never activated', async () => {
    const world = anEvaluationWorld(now);
    const pending = {
      ...anActiveSubscription({ activatedAt: '2025-06-01T00:00:00Z' }),
      status: 'PendingFulfillmentStart' as const,
      timeline: [{ from: '2025-06-01T00:00:00Z', status: 'PendingFulfillmentStart' as const, planId: 'metered' }],
    };
    await world.subscriptions.put(pending);
    await world.budgets.putBudget(aBudget({ subscriptionId: pending.id, customerId: 'customer-a' }));

    expect((await evaluateSubscriptionAlerts(world, pending.id)).outcome).toBe('inactive');
  });
});

describe('evaluateAllSubscriptionAlerts (the hourly check)', () => {
  it('evaluates Subscribed and Suspended subscriptions, not Unsubscribed ones, and counts what it did', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const active = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-a' });
    const suspended = {
      ...anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-b' }),
      status: 'Suspended' as const,
    };
    const cancelled = {
      ...anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-c' }),
      status: 'Unsubscribed' as const,
    };
    const withoutSettings = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z' });
    for (const s of [active, suspended, cancelled, withoutSettings]) {
      await world.subscriptions.put(s);
      await applyUsageMessage({ ledger: world.ledger }, callsAt(s.id, '2025-06-05T01:00:00Z', '55000'));
    }
    for (const [s, customerId] of [
      [active, 'customer-a'],
      [suspended, 'customer-b'],
      [cancelled, 'customer-c'],
    ] as const) {
      await world.budgets.putBudget(aBudget({ subscriptionId: s.id, customerId }));
    }

    const summary = await evaluateAllSubscriptionAlerts({
      ...world,
      subscriptionList: world.subscriptions,
      logger: { warn: () => undefined },
    });
    const again = await evaluateAllSubscriptionAlerts({
      ...world,
      subscriptionList: world.subscriptions,
      logger: { warn: () => undefined },
    });

    expect(summary).toMatchObject({ listed: 3, evaluated: 2, withoutSettings: 1, sent: 2, failed: 0 });
    expect(again.sent).toBe(0);
    expect(world.publisher.published.map((m) => m.recipient.id).sort()).toEqual(['customer-a', 'customer-b']);
  });

  it('stops starting evaluations at stopAt', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    await world.subscriptions.put(anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z' }));

    const summary = await evaluateAllSubscriptionAlerts(
      { ...world, subscriptionList: world.subscriptions, logger: { warn: () => undefined } },
      { stopAt: new Date('2025-06-20T02:00:00Z') },
    );

    expect(summary).toMatchObject({ evaluated: 0, withoutSettings: 0, stoppedEarly: true });
  });
});
