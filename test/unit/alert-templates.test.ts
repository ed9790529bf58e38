import { describe, expect, it } from 'vitest';
import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import type { AlertLocale } from '#shared/domain/alerts/settings.ts';
import { formatMoney, renderAlert, smsSegmentInfo } from '#shared/domain/alerts/templates.ts';
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

  it('formats amounts for the locale and currency, JPY without decimals, rounding half up once', () => {
    expect(formatMoney(Money.of('1234.565', 'USD'), 'en')).toBe('$1,234.57');
    expect(formatMoney(Money.of('1234', 'JPY'), 'en')).toBe('¥1,234');
    expect(formatMoney(Money.of('1234.5', 'JPY'), 'ja')).toBe('￥1,235');
    expect(formatMoney(Money.of('1234.56', 'USD'), 'ja')).toBe('$1,234.56');
  });

  it('states the threshold, the numbers and the advice of a budget alert', () => {
    const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '50000' : '100000', 'JPY'));
    const en = renderAlert(candidates.budgetThreshold, 'en');
    expect(en.subject).toContain('80%');
    expect(en.body).toContain('Threshold: 80% of the planned amount (¥80,000)');
    const ja = renderAlert(candidates.budgetThreshold, 'ja');
    expect(ja.subject).toContain('利用予定金額の80%に達しました');
    expect(ja.body).toContain('しきい値: 利用予定金額の80%(￥80,000)');
  });

  it('counts GSM-7 extension characters twice and switches to UCS-2 for anything outside GSM-7', () => {
    expect(smsSegmentInfo('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, fitsOneSegment: true });
    expect(smsSegmentInfo('€'.repeat(81)).fitsOneSegment).toBe(false);
    expect(smsSegmentInfo('…')).toMatchObject({ encoding: 'UCS-2', units: 1 });
    expect(smsSegmentInfo('あ'.repeat(71)).fitsOneSegment).toBe(false);
  });
});
