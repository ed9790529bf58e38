import { describe, expect, it } from 'vitest';
import type { AlertCandidate, AlertRule } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale } from '#shared/domain/alerts/settings.ts';
import { smsSegmentInfo } from '#shared/domain/alerts/sms.ts';
import { formatMoney, renderAlert } from '#shared/domain/alerts/templates.ts';
import { Money } from '#shared/domain/money.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';

// Realistic worst cases: tens of millions of yen, millions of dollars or euros (€ costs two GSM-7 septets).
const AMOUNTS = [
  ['JPY', '12345', '12345678'],
  ['USD', '1234.56', '1234567.89'],
  ['EUR', '1234.56', '1234567.89'],
] as const;
const LOCALES: readonly AlertLocale[] = ['ja', 'en'];
const CONTEXTS = [
  {},
  {
    customerLabel: '株式会社サンプル商事ホールディングス',
    subscriptionLabel: 'Contoso Analytics Enterprise (annual, 500 seats)',
    portalUrl: 'https://portal.example.com/alerts',
  },
  { customerLabel: 'Fabrikam Consolidated Holdings International', subscriptionLabel: 'データ分析プラットフォーム' },
];

const cases = AMOUNTS.flatMap(([currency, small, large]) => {
  const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? small : large, currency));
  return (Object.keys(candidates) as AlertRule[]).flatMap((rule) =>
    LOCALES.flatMap((locale) =>
      CONTEXTS.map((context, i) => ({
        name: `${rule} ${locale} ${currency} context ${i}`,
        candidate: candidates[rule],
        locale,
        context,
        large: Money.of(large, currency),
      })),
    ),
  );
});

describe('alert texts', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: SMS fits one segment and quotes the amount', (_n, c) => {
    const { sms } = renderAlert(c.candidate, c.locale, c.context);
    const info = smsSegmentInfo(sms);
    expect(info.fitsOneSegment, `${info.encoding} ${info.units}/${info.limit}: ${sms}`).toBe(true);
    // Japanese SMS are UCS-2 (70); English ones stay GSM-7 (160), so they never fall back to 70 characters.
    expect(info.encoding).toBe(c.locale === 'ja' ? 'UCS-2' : 'GSM-7');
    expect(sms).toContain(formatMoney(c.large, c.locale));
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: e-mail has a one-line subject under 100 characters', (_n, c) => {
    const { subject, body } = renderAlert(c.candidate, c.locale, c.context);
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(body).toContain(formatMoney(c.large, c.locale));
    expect(body).toContain(c.candidate.subscriptionId);
    expect(body).toMatch(c.locale === 'ja' ? /対応|意味と対応/ : /What (you can do|this means)/);
  });

  it('says what a forecast is based on, in the e-mail with its dates and in the SMS briefly', () => {
    const forecast = oneCandidatePerRule((scale) =>
      Money.of(scale === 'small' ? '1234.56' : '1234567.89', 'USD'),
    ).budgetForecast;
    const en = renderAlert(forecast, 'en', { subscriptionLabel: 'Contoso Analytics Enterprise (annual, 500 seats)' });
    const ja = renderAlert(forecast, 'ja', { subscriptionLabel: '経理部データ分析基盤本番環境東日本リージョン第二' });

    expect(en.body).toContain('Based on: 27 days of usage, Dec 1, 2025 to Dec 28, 2025, carried to the month end');
    expect(en.body).toContain('only once at least 7 days of usage this month are known');
    expect(en.sms).toContain('based on 27 days');
    expect(ja.body).toContain('見込みの根拠: 2025年12月1日〜2025年12月28日の27日間の利用実績');
    expect(ja.body).toContain('今月の利用実績が7日分以上そろってから算出します');
    expect(ja.sms).toContain('27日間の実績から');
    for (const sms of [en.sms, ja.sms]) expect(smsSegmentInfo(sms).fitsOneSegment).toBe(true);
  });

  it('still renders a forecast alert recorded before its basis was stated, without inventing one', () => {
    const forecast = oneCandidatePerRule((scale) =>
      Money.of(scale === 'small' ? '12345' : '12345678', 'JPY'),
    ).budgetForecast;
    if (forecast.rule !== 'budgetForecast') throw new Error('the builder gave no forecast alert');
    const { basisFrom: _from, basisTo: _to, basisDays: _days, ...facts } = forecast.facts;
    const old: AlertCandidate = { ...forecast, facts };
    const en = renderAlert(old, 'en');
    const ja = renderAlert(old, 'ja');

    expect(en.body).not.toContain('Based on:');
    expect(en.sms).not.toContain('based on');
    expect(ja.body).not.toContain('見込みの根拠');
    expect(en.sms).toContain('¥12,345,678');
  });

  it('formats amounts for the locale and currency, JPY without decimals, rounding half up once', () => {
    expect(formatMoney(Money.of('1234.565', 'USD'), 'en')).toBe('$1,234.57');
    expect(formatMoney(Money.of('1234', 'JPY'), 'en')).toBe('¥1,234');
    // One yen sign in both languages: the half-width U+00A5, not CLDR's full-width ￥ (templates.ts THE YEN SIGN).
    expect(formatMoney(Money.of('1234.5', 'JPY'), 'ja')).toBe('\u00A51,235');
    expect(formatMoney(Money.of('1234.56', 'USD'), 'ja')).toBe('$1,234.56');
  });

  it.each(cases.filter((c) => c.large.currency === 'JPY').map((c) => [c.name, c] as const))(
    '%s: writes yen with the one half-width sign everywhere',
    (_n, c) => {
      const { subject, body, sms } = renderAlert(c.candidate, c.locale, c.context);
      for (const text of [subject, body, sms]) expect(text).not.toContain('\uFFE5');
      expect(`${body}${sms}`).toContain('\u00A5');
    },
  );

  it('states the threshold, the numbers and the advice of a budget alert', () => {
    const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '50000' : '100000', 'JPY'));
    const en = renderAlert(candidates.budgetThreshold, 'en');
    expect(en.subject).toContain('80%');
    expect(en.body).toContain('Threshold: 80% of the planned amount (¥80,000)');
    const ja = renderAlert(candidates.budgetThreshold, 'ja');
    expect(ja.subject).toContain('利用予定金額の80%に達しました');
    expect(ja.body).toContain('しきい値: 利用予定金額の80%(¥80,000)');
  });

  it('counts GSM-7 extension characters twice and switches to UCS-2 for anything outside GSM-7', () => {
    expect(smsSegmentInfo('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, fitsOneSegment: true });
    expect(smsSegmentInfo('€'.repeat(81)).fitsOneSegment).toBe(false);
    expect(smsSegmentInfo('…')).toMatchObject({ encoding: 'UCS-2', units: 1 });
    expect(smsSegmentInfo('あ'.repeat(71)).fitsOneSegment).toBe(false);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: an SMS never carries a fragment of an id', (_n, c) => {
    const { sms } = renderAlert(c.candidate, c.locale, c.context);
    expect(sms).not.toContain(c.candidate.subscriptionId.slice(0, 4));
    if (c.candidate.recipient.kind === 'partner') expect(sms).not.toContain(c.candidate.customerId);
  });
});

/**
 * Which part goes first when an SMS is too long (templates.ts: the least useful part first, then the name is
 * shortened, then dropped). Japanese budget alert at ¥12,345,678 of ¥12,345,678 planned; the seed's wording:
 * 「利用料金が、設定されている利用予定額(エンドユーザーが設定)の50%に達した時」.
 */
describe('fitting one SMS segment by dropping the least useful part first', () => {
  const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '12345' : '12345678', 'JPY'));
  const budget = candidates.budgetThreshold;
  const sms = (subscriptionLabel: string) => renderAlert(budget, 'ja', { subscriptionLabel }).sms;

  // [case, name, what the SMS holds, what it no longer holds]
  const CASES: readonly (readonly [string, string, readonly string[], readonly string[]])[] = [
    ['a short name: everything fits', '本番', ['本番', '12月の利用額', '予定額¥12,345,678の80%'], []],
    [
      'a longer name: the planned amount (the percentage says it) and the month go first, the name stays whole',
      '経理部データ分析基盤本番環境東日本リージョン第二',
      ['経理部データ分析基盤本番環境東日本リージョン第二', '利用額¥12,345,678', '予定額の80%'],
      ['12月の'],
    ],
    [
      'a name too long even then: it is shortened, never replaced by an id',
      '株式会社サンプル商事ホールディングス経理部データ分析基盤本番環境東日本リージョン',
      ['株式会社サンプル', '…', '利用額¥12,345,678', '予定額の80%'],
      ['7c1b'],
    ],
  ];

  it.each(CASES)('%s', (_case, label, holds, drops) => {
    const text = sms(label);

    expect(smsSegmentInfo(text).fitsOneSegment).toBe(true);
    for (const part of holds) expect(text).toContain(part);
    for (const part of drops) expect(text).not.toContain(part);
  });

  it('names the subscription, not the customer id, in a partner’s SMS when the customer’s name is unknown', () => {
    const text = renderAlert(candidates.monthStartBlocked, 'ja', { subscriptionLabel: '本番環境' }).sms;

    expect(text).toContain('本番環境');
    expect(text).toContain('月初判定');
    expect(text).not.toContain('customer-a');
  });

  it('keeps an English SMS in GSM-7 by leaving out a Japanese name, using the offer and plan instead', () => {
    const text = renderAlert(budget, 'en', { subscriptionLabel: 'データ分析基盤', planLabel: 'Cloud All Gold' }).sms;

    expect(smsSegmentInfo(text).encoding).toBe('GSM-7');
    expect(text).toContain('Cloud All Gold');
  });

  it('says in the e-mail whether a block comes from the month start or from the current status', () => {
    const monthStart = renderAlert(candidates.monthStartBlocked, 'en');
    const current = renderAlert(candidates.currentStatusBlocked, 'en');
    const currentJa = renderAlert(candidates.currentStatusBlocked, 'ja');

    expect(monthStart.subject).toContain('month-start check');
    expect(monthStart.body).toContain('until the next month-start check or until you release the block');
    expect(current.subject).toContain('current status');
    expect(current.subject).not.toContain('month-start');
    expect(currentJa.subject).toContain('現在の状況');
    expect(currentJa.subject).not.toContain('月初');
  });
});
