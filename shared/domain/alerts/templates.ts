/**
 * (Over 400 lines: every text in both languages side by side, so a change to one is seen next to the other.)
 * Alert texts in Japanese and English (DESIGN "Alerts": in the recipient's language): an e-mail subject and body that
 * say what happened, the numbers, the threshold and what the recipient can do, and an SMS that fits ONE segment.
 * Both languages of every rule are kept side by side in this one module (hence its length): a change to one text is
 * then made, and reviewed, beside the other.
 *
 * Names: a text names the subscription by the name the customer knows — the marketplace subscription name, else the
 * offer and plan (`AlertTextContext`) — and a partner's text names the customer where its name is known. Ids appear in
 * the e-mail body (for support), never as a fragment in an SMS: `7c1b…` tells the reader nothing.
 *
 * SMS: one segment (sms.ts: 160 GSM-7 septets, or 70 UCS-2 units for every Japanese text), each text built to fit
 * by shortening the LEAST USEFUL PART FIRST: each rule lists its SMS from the fullest to the briefest, each dropping
 * the detail the reader can best do without (the planned amount beside the percentage, the month of "this month",
 * the day compared with); only then is the name shortened, and dropped last.
 *
 * THE YEN SIGN: amounts use `Intl.NumberFormat` for the locale and currency, rounded once to the currency's minor unit
 * by THE ROUNDING RULE (money.ts): `$1,234.56`, `¥1,234`. Yen are written with the half-width YEN SIGN U+00A5 `¥` in
 * both languages, in e-mail and SMS, where CLDR's Japanese data gives the full-width U+FFE5 `￥`: it is the sign of
 * Japanese receipts, price tags and bank notices beside half-width digits (`¥1,234`, not a full-width sign before
 * half-width digits), it is in the GSM-7 alphabet (an English SMS with `￥` would drop to UCS-2 and 70 characters),
 * and one sign everywhere is what the docs show. Texts are sent as UTF-8 (SNS), so the Shift_JIS confusion of U+00A5
 * with the backslash does not arise.
 */

import type { AlertCandidate } from '#shared/domain/alerts/alert.ts';
import { FORECAST_MIN_BASIS_DAYS } from '#shared/domain/alerts/rules.ts';
import type { AlertLocale, CreditLevelName } from '#shared/domain/alerts/settings.ts';
import { clip, fitSms } from '#shared/domain/alerts/sms.ts';
import { Dec, type Money } from '#shared/domain/money.ts';

/** The three texts of one alert. */
export interface RenderedAlert {
  /** E-mail subject: one line, under 100 characters (the SNS limit). */
  readonly subject: string;
  readonly body: string;
  /** One SMS segment. */
  readonly sms: string;
}

/** Names that make a text readable; ids are used (in the e-mail only) where they are absent. */
export interface AlertTextContext {
  /** How the customer knows the subscription: the marketplace subscription name, else the offer and plan. */
  readonly subscriptionLabel?: string;
  /** The offer and plan as bought ("Contoso Analytics Gold"): a second name, tried when the first does not fit. */
  readonly planLabel?: string;
  /** How the partner knows the customer (its company name). */
  readonly customerLabel?: string;
  /** Where the recipient can see the details and change the settings. */
  readonly portalUrl?: string;
}

const SUBJECT_MAX = 99;
const SUBJECT_LABEL_MAX = 40;
const FULL_WIDTH_YEN = '\uFFE5';
const YEN = '\u00A5';
/**
 * An amount for display: rounded once to the minor unit, grouped and with the currency symbol of the locale; yen
 * always with the half-width `¥` (see THE YEN SIGN above).
 */
export function formatMoney(money: Money, locale: AlertLocale): string {
  const rounded = money.roundToMinorUnit();
  return new Intl.NumberFormat(intlLocale(locale), { style: 'currency', currency: money.currency })
    .format(rounded.toDecimalString() as `${number}`)
    .replace(FULL_WIDTH_YEN, YEN);
}

/** A fraction as a percentage: `'0.5'` → `50%`, `'1.25'` → `125%`. */
export function formatPercent(fraction: string): string {
  return `${new Dec(fraction).times(100).toString()}%`;
}

/**
 * The e-mail subject and body and the SMS of an alert, in the recipient's language.
 */
export function renderAlert(
  candidate: AlertCandidate,
  locale: AlertLocale,
  context: AlertTextContext = {},
): RenderedAlert {
  const parts = locale === 'ja' ? japanese(candidate, context) : english(candidate, context);
  const footer = locale === 'ja' ? japaneseFooter(candidate, context) : englishFooter(candidate, context);
  return {
    subject: clip(parts.subject, SUBJECT_MAX, locale),
    body: `${parts.body.join('\n')}\n\n${footer.join('\n')}\n`,
    sms: fitSms(parts.sms, smsLabels(candidate, context), locale),
  };
}

interface Parts {
  readonly subject: string;
  readonly body: readonly string[];
  /** The SMS from the fullest to the briefest: each drops the least useful detail left. */
  readonly sms: readonly ((label: string) => string)[];
}

function english(c: AlertCandidate, context: AlertTextContext): Parts {
  const m = (money: Money) => formatMoney(money, 'en');
  const label = clip(labelFor(c, context), SUBJECT_LABEL_MAX, 'en');
  const sub = [
    `Subscription: ${context.subscriptionLabel ? `${context.subscriptionLabel} (${c.subscriptionId})` : c.subscriptionId}`,
    ...(context.planLabel && context.planLabel !== context.subscriptionLabel ? [`Plan: ${context.planLabel}`] : []),
  ].join('\n');
  const cust = `Customer: ${context.customerLabel ? `${context.customerLabel} (${c.customerId})` : c.customerId}`;
  switch (c.rule) {
    case 'budgetThreshold': {
      const pct = formatPercent(c.threshold ?? '1');
      const month = monthEn(c.periodKey);
      return {
        subject: `[Budget] ${label}: ${pct} of your planned monthly amount reached`,
        body: [
          `Your charges for ${month} have reached ${pct} of your planned monthly amount.`,
          '',
          sub,
          `Charges this month so far: ${m(c.facts.monthToDate)}`,
          `Planned monthly amount: ${m(c.facts.planned)}`,
          `Threshold: ${pct} of the planned amount (${m(c.facts.planned.multiply(c.threshold ?? '1'))})`,
          '',
          'What you can do: look at this month’s usage by category to see what drives the charges. If the usage is ' +
            'expected, raise the planned amount or the thresholds in your budget settings; if not, look for ' +
            'unplanned activity such as a traffic surge or a large backup.',
        ],
        sms: [
          (l) =>
            `Budget alert${at(l)}: ${shortMonthEn(c.periodKey)} charges ${m(c.facts.monthToDate)} reached ${pct} of planned ${m(c.facts.planned)}.`,
          (l) => `Budget alert${at(l)}: charges ${m(c.facts.monthToDate)} reached ${pct} of the planned amount.`,
        ],
      };
    }
    case 'budgetForecast': {
      const month = monthEn(c.periodKey);
      const basis = forecastBasisEn(c.facts);
      return {
        subject: `[Budget forecast] ${label}: ${month} is forecast to exceed your planned amount`,
        body: [
          `At the current rate, your charges for ${month} will exceed your planned monthly amount by the end of the month.`,
          '',
          sub,
          `Forecast for the month: ${m(c.facts.forecast)}`,
          `Planned monthly amount: ${m(c.facts.planned)}`,
          `Charges this month so far: ${m(c.facts.monthToDate)}`,
          ...(basis ? [`Based on: ${basis.long}`] : []),
          '',
          'What you can do: if the usage is expected, raise the planned amount in your budget settings; otherwise ' +
            'reduce the usage now, before the charges reach the planned amount. The forecast carries the rate of ' +
            'this month’s usage charges so far to the end of the month and adds the fixed fees due this month; it ' +
            `is made only once at least ${FORECAST_MIN_BASIS_DAYS} days of usage this month are known.`,
        ],
        sms: [
          (l) =>
            `Budget alert${at(l)}: ${shortMonthEn(c.periodKey)} forecast ${m(c.facts.forecast)} exceeds planned ${m(c.facts.planned)} (so far ${m(c.facts.monthToDate)}${basis ? `, ${basis.short}` : ''}).`,
          (l) =>
            `Budget alert${at(l)}: ${shortMonthEn(c.periodKey)} forecast ${m(c.facts.forecast)} exceeds planned ${m(c.facts.planned)}${basis ? ` (${basis.short})` : ''}.`,
          (l) =>
            `Budget alert${at(l)}: forecast ${m(c.facts.forecast)} exceeds the planned amount${basis ? ` (${basis.short})` : ''}.`,
        ],
      };
    }
    case 'spike': {
      const day = dayEn(c.periodKey);
      const sofar = c.facts.partialDay ? ' so far' : '';
      return {
        subject: `[Usage spike] ${label}: charges on ${day} at least doubled`,
        body: [
          `Your usage charges on ${day}${c.facts.partialDay ? ' (the day is not over yet)' : ''} are at least double ` +
            `those of ${dayEn(c.facts.comparedDay)}, one of the two days before.`,
          '',
          sub,
          `Charges on ${day}${sofar}: ${m(c.facts.dayAmount)}`,
          `Charges on ${dayEn(c.facts.comparedDay)}: ${m(c.facts.comparedAmount)}`,
          'Rule: a day’s charges reach twice those of either of the two previous days.',
          '',
          'What you can do: check whether the increase was planned. Unplanned access, a sudden backup or a job ' +
            'left running are common causes; stopping them early keeps the month within budget.',
        ],
        sms: [
          (l) =>
            `Spike alert${at(l)}: charges on ${shortDayEn(c.periodKey)}${sofar} ${m(c.facts.dayAmount)} are 2x+ those of ${shortDayEn(c.facts.comparedDay)} (${m(c.facts.comparedAmount)}).`,
          (l) =>
            `Spike alert${at(l)}: charges on ${shortDayEn(c.periodKey)}${sofar} ${m(c.facts.dayAmount)} are 2x+ those of ${shortDayEn(c.facts.comparedDay)}.`,
        ],
      };
    }
    case 'provisionalCreditExceeded': {
      const month = monthEn(c.periodKey);
      const basis =
        c.facts.basis === 'planned'
          ? 'the customer’s planned monthly amount, until a whole month with charges has closed'
          : 'the largest monthly charge of the past six months';
      return {
        subject: `[Credit] ${label}: charges exceed the provisional credit`,
        body: [
          `Your customer’s charges for ${month} exceed its provisional credit.`,
          '',
          cust,
          sub,
          `Charges this month so far: ${m(c.facts.monthToDate)}`,
          `Provisional credit: ${m(c.facts.provisionalCredit)} (${basis})`,
          '',
          'What you can do: confirm with the customer that the usage is intended. If its credit standing allows ' +
            'more, adjust its warning / approval-required / purchase-blocked levels.',
        ],
        sms: [
          (l) =>
            `Credit alert${at(l)}: ${shortMonthEn(c.periodKey)} charges ${m(c.facts.monthToDate)} exceed provisional credit ${m(c.facts.provisionalCredit)}.`,
          (l) =>
            `Credit alert${at(l)}: charges ${m(c.facts.monthToDate)} exceed provisional credit ${m(c.facts.provisionalCredit)}.`,
        ],
      };
    }
    case 'monthStartBlocked':
    case 'currentStatusBlocked': {
      const monthStart = c.rule === 'monthStartBlocked';
      const check = monthStart ? 'Month-start check' : 'Current status';
      return {
        subject: `[Credit] ${label}: ${check.toLowerCase()}: largest monthly charge above the purchase-blocked level`,
        body: [
          monthStart
            ? `Month-start check of ${monthEn(c.periodKey)}: your customer’s largest monthly charge of the past six ` +
              'months is above its purchase-blocked level.'
            : 'Current status, checked when the credit levels were set: your customer’s largest monthly charge of ' +
              'the past six months is above its purchase-blocked level.',
          '',
          cust,
          sub,
          `Largest monthly charge: ${m(c.facts.largestMonthlyCharge)} (${monthEn(c.facts.largestMonth)})`,
          `Purchase-blocked level: ${m(c.facts.purchaseBlocked)}`,
          '',
          'What this means: plan or quantity changes that raise the price are refused, in the marketplace and through ' +
            'the publisher, until the next month-start check or until you release the block.',
          'What you can do: review the customer’s credit. If its credit standing allows, release the block for this ' +
            'month or raise the purchase-blocked level; otherwise talk with the customer about its usage.',
        ],
        sms: [
          (l) =>
            `Credit alert${at(l)}: ${check.toLowerCase()}: largest month ${m(c.facts.largestMonthlyCharge)} (${shortMonthEn(c.facts.largestMonth)}) exceeds purchase-blocked level ${m(c.facts.purchaseBlocked)}; price increases blocked.`,
          (l) =>
            `Credit alert${at(l)}: ${check.toLowerCase()}: largest month ${m(c.facts.largestMonthlyCharge)} exceeds purchase-blocked level ${m(c.facts.purchaseBlocked)}; price increases blocked.`,
          (l) =>
            `Credit alert${at(l)}: largest month ${m(c.facts.largestMonthlyCharge)} exceeds purchase-blocked level ${m(c.facts.purchaseBlocked)}.`,
        ],
      };
    }
    case 'chargesOverCreditLevel':
    case 'plannedOverCreditLevel': {
      const level = levelName(c.threshold, 'en');
      const charges = c.rule === 'chargesOverCreditLevel';
      const amount = charges ? c.facts.monthToDate : c.facts.planned;
      const what = charges ? `charges for ${monthEn(c.periodKey)}` : 'planned monthly amount';
      return {
        subject: `[Credit: ${level}] ${label}: ${charges ? 'charges' : 'planned amount'} above the ${level.toLowerCase()} level`,
        body: [
          `Your customer’s ${what} ${charges ? 'exceed' : 'exceeds'} the ${level.toLowerCase()} level you set.`,
          '',
          cust,
          sub,
          `${charges ? 'Charges this month so far' : 'Planned monthly amount'}: ${m(amount)}`,
          `${level} level: ${m(c.facts.levelAmount)}`,
          '',
          `What this means and what you can do: ${levelAdviceEn(c.threshold)}`,
        ],
        sms: [
          (l) =>
            `Credit alert${at(l)}: ${charges ? `${shortMonthEn(c.periodKey)} charges` : 'planned amount'} ${m(amount)} ${charges ? 'exceed' : 'exceeds'} ${level.toLowerCase()} level ${m(c.facts.levelAmount)}.`,
          (l) =>
            `Credit alert${at(l)}: ${charges ? 'charges' : 'planned amount'} ${m(amount)} ${charges ? 'exceed' : 'exceeds'} ${level.toLowerCase()} level ${m(c.facts.levelAmount)}.`,
        ],
      };
    }
    case 'purchaseChangeRejected': {
      const level = levelName(c.threshold, 'en');
      const quantity = c.facts.requestedQuantity ? ` x ${c.facts.requestedQuantity}` : '';
      return {
        subject: `[Change refused] ${label}: plan or quantity change refused (${level.toLowerCase()})`,
        body: [
          'A plan or quantity change by your customer was refused because it raises the price and the customer is ' +
            `at the ${level.toLowerCase()} credit level.`,
          '',
          cust,
          sub,
          `Current plan: ${c.facts.currentPlanId} (${m(c.facts.currentPrice)} per month)`,
          `Requested: ${c.facts.requestedPlanId}${quantity} (${m(c.facts.newPrice)} per month)`,
          '',
          c.threshold === 'approvalRequired'
            ? 'What you can do: if you agree, approve this plan or quantity for the subscription; the customer can ' +
              'then make the same change again and it will be accepted.'
            : 'What you can do: purchases that raise the price stay refused until the customer’s charges and planned ' +
              'amount are below the purchase-blocked level and no month-start check blocks them, or you raise that ' +
              'level or release the block.',
        ],
        sms: [
          (l) =>
            `Change refused${at(l)}: ${c.facts.requestedPlanId}${quantity} (${m(c.facts.newPrice)}/mo) at ${level.toLowerCase()} level.`,
          (l) =>
            `Change refused${at(l)}: a price-raising change (${m(c.facts.newPrice)}/mo) at ${level.toLowerCase()} level.`,
        ],
      };
    }
  }
}

function japanese(c: AlertCandidate, context: AlertTextContext): Parts {
  const m = (money: Money) => formatMoney(money, 'ja');
  const label = clip(labelFor(c, context), SUBJECT_LABEL_MAX, 'ja');
  const sub = [
    `サブスクリプション: ${context.subscriptionLabel ? `${context.subscriptionLabel}(${c.subscriptionId})` : c.subscriptionId}`,
    ...(context.planLabel && context.planLabel !== context.subscriptionLabel ? [`プラン: ${context.planLabel}`] : []),
  ].join('\n');
  const cust = `お客様: ${context.customerLabel ? `${context.customerLabel}(${c.customerId})` : c.customerId}`;
  const sp = (l: string) => (l ? ` ${l} ` : '');
  switch (c.rule) {
    case 'budgetThreshold': {
      const pct = formatPercent(c.threshold ?? '1');
      const month = monthJa(c.periodKey);
      return {
        subject: `【予算アラート】${label} 利用予定金額の${pct}に達しました`,
        body: [
          `${month}の利用料金が、設定された利用予定金額の${pct}に達しました。`,
          '',
          sub,
          `今月の利用料金(現時点): ${m(c.facts.monthToDate)}`,
          `利用予定金額(月額): ${m(c.facts.planned)}`,
          `しきい値: 利用予定金額の${pct}(${m(c.facts.planned.multiply(c.threshold ?? '1'))})`,
          '',
          '対応のお願い: カテゴリー毎の利用状況をご確認ください。予定どおりの利用であれば、予算設定で利用予定金額または' +
            'しきい値を見直せます。予定外であれば、アクセスの急増や大きなバックアップなどがないかご確認ください。',
        ],
        sms: [
          (l) =>
            `【予算】${sp(l)}${shortMonthJa(c.periodKey)}の利用額${m(c.facts.monthToDate)}が予定額${m(c.facts.planned)}の${pct}に達しました`,
          (l) => `【予算】${sp(l)}利用額${m(c.facts.monthToDate)}が予定額の${pct}に達しました`,
        ],
      };
    }
    case 'budgetForecast': {
      const month = monthJa(c.periodKey);
      const basis = forecastBasisJa(c.facts);
      return {
        subject: `【予算アラート】${label} ${month}の利用料金が利用予定金額を超える見込みです`,
        body: [
          `現在のペースでは、${month}の利用料金が月末までに利用予定金額を超える見込みです。`,
          '',
          sub,
          `今月の見込額: ${m(c.facts.forecast)}`,
          `利用予定金額(月額): ${m(c.facts.planned)}`,
          `今月の利用料金(現時点): ${m(c.facts.monthToDate)}`,
          ...(basis ? [`見込みの根拠: ${basis.long}`] : []),
          '',
          '対応のお願い: 予定どおりの利用であれば、予算設定で利用予定金額を見直してください。予定外であれば、利用料金が' +
            '利用予定金額に達する前に利用を抑えてください。見込額は、今月これまでの従量料金のペースを月末まで延長し、今月の' +
            `固定料金を加えたものです。今月の利用実績が${FORECAST_MIN_BASIS_DAYS}日分以上そろってから算出します。`,
        ],
        sms: [
          (l) =>
            `【予算】${sp(l)}${shortMonthJa(c.periodKey)}の見込額${m(c.facts.forecast)}が予定額${m(c.facts.planned)}を超える見込み${basis ? `(${basis.short})` : ''}`,
          (l) =>
            `【予算】${sp(l)}見込額${m(c.facts.forecast)}が予定額${m(c.facts.planned)}を超える見込み${basis ? `(${basis.short})` : ''}`,
          (l) => `【予算】${sp(l)}見込額${m(c.facts.forecast)}が予定額を超える見込み${basis ? `(${basis.short})` : ''}`,
        ],
      };
    }
    case 'spike': {
      const day = dayJa(c.periodKey);
      const sofar = c.facts.partialDay ? '(途中)' : '';
      return {
        subject: `【利用急増】${label} ${day}の利用料金が倍以上になりました`,
        body: [
          `${day}${c.facts.partialDay ? '(集計途中)' : ''}の利用料金が、過去2日間のうち${dayJa(c.facts.comparedDay)}の利用料金の倍以上になりました。`,
          '',
          sub,
          `${day}の利用料金${sofar}: ${m(c.facts.dayAmount)}`,
          `${dayJa(c.facts.comparedDay)}の利用料金: ${m(c.facts.comparedAmount)}`,
          '条件: 過去2日間のいずれかの利用金額より倍以上の利用金額になった場合',
          '',
          '対応のお願い: 予定していた利用かどうかご確認ください。予定外のアクセスの増加や急なバックアップの実行、' +
            '停止し忘れた処理などが主な原因です。早めに止めることで、今月の予算内に収められます。',
        ],
        sms: [
          (l) =>
            `【急増】${sp(l)}${shortDayJa(c.periodKey)}${sofar}の利用額${m(c.facts.dayAmount)}が${shortDayJa(c.facts.comparedDay)}(${m(c.facts.comparedAmount)})の2倍以上です`,
          (l) =>
            `【急増】${sp(l)}${shortDayJa(c.periodKey)}${sofar}の利用額${m(c.facts.dayAmount)}が${shortDayJa(c.facts.comparedDay)}の2倍以上です`,
        ],
      };
    }
    case 'provisionalCreditExceeded': {
      const month = monthJa(c.periodKey);
      const basis =
        c.facts.basis === 'planned'
          ? 'お客様の利用予定金額設定値(料金のある1か月が締まるまで)'
          : '過去半年の最大利用月額';
      return {
        subject: `【与信アラート】${label} 利用料金が仮与信金額を超えました`,
        body: [
          `お客様の${month}の利用料金が仮与信金額を超えました。`,
          '',
          cust,
          sub,
          `今月の利用料金(現時点): ${m(c.facts.monthToDate)}`,
          `仮与信金額: ${m(c.facts.provisionalCredit)}(${basis})`,
          '',
          '対応のお願い: 意図した利用かどうか、お客様にご確認ください。与信に余裕がある場合は、警告/要承認/購入不可の' +
            '設定値を見直してください。',
        ],
        sms: [
          (l) =>
            `【与信】${sp(l)}${shortMonthJa(c.periodKey)}の利用額${m(c.facts.monthToDate)}が仮与信金額${m(c.facts.provisionalCredit)}を超えました`,
          (l) =>
            `【与信】${sp(l)}利用額${m(c.facts.monthToDate)}が仮与信金額${m(c.facts.provisionalCredit)}を超えました`,
        ],
      };
    }
    case 'monthStartBlocked':
    case 'currentStatusBlocked': {
      const monthStart = c.rule === 'monthStartBlocked';
      const check = monthStart ? '月初判定' : '現在の状況';
      return {
        subject: `【与信アラート】${label} ${check}: 最大利用月額が購入不可金額を超過しています`,
        body: [
          monthStart
            ? `${monthJa(c.periodKey)}の月初判定: お客様の過去半年の最大利用月額が購入不可金額を超過しています。`
            : '与信設定時点の現在の状況: お客様の過去半年の最大利用月額が購入不可金額を超過しています。',
          '',
          cust,
          sub,
          `最大利用月額: ${m(c.facts.largestMonthlyCharge)}(${monthJa(c.facts.largestMonth)})`,
          `購入不可金額: ${m(c.facts.purchaseBlocked)}`,
          '',
          '意味: 次の月初判定まで、またはパートナー様が解除するまで、料金が上がるプラン変更・数量変更は' +
            '(マーケットプレイスからもパブリッシャーからも)お断りされます。',
          '対応のお願い: お客様の与信をご確認ください。与信に余裕がある場合は今月の購入不可を解除するか、購入不可金額を' +
            '引き上げてください。そうでない場合は、お客様と利用状況をご相談ください。',
        ],
        sms: [
          (l) =>
            `【与信】${sp(l)}${check}:最大利用月額${m(c.facts.largestMonthlyCharge)}(${shortMonthJa(c.facts.largestMonth)})が購入不可金額${m(c.facts.purchaseBlocked)}を超過、増額不可`,
          (l) =>
            `【与信】${sp(l)}${check}:最大利用月額${m(c.facts.largestMonthlyCharge)}が購入不可金額${m(c.facts.purchaseBlocked)}を超過、増額不可`,
          (l) =>
            `【与信】${sp(l)}最大利用月額${m(c.facts.largestMonthlyCharge)}が購入不可金額${m(c.facts.purchaseBlocked)}を超過`,
        ],
      };
    }
    case 'chargesOverCreditLevel':
    case 'plannedOverCreditLevel': {
      const level = levelName(c.threshold, 'ja');
      const charges = c.rule === 'chargesOverCreditLevel';
      const amount = charges ? c.facts.monthToDate : c.facts.planned;
      return {
        subject: `【与信アラート:${level}】${label} ${charges ? '利用料金' : '利用予定額'}が${level}金額を上回りました`,
        body: [
          `お客様の${charges ? `${monthJa(c.periodKey)}の利用料金` : '利用予定額'}が、設定された${level}金額を上回りました。`,
          '',
          cust,
          sub,
          `${charges ? '今月の利用料金(現時点)' : '利用予定額(月額)'}: ${m(amount)}`,
          `${level}金額: ${m(c.facts.levelAmount)}`,
          '',
          `意味と対応: ${levelAdviceJa(c.threshold)}`,
        ],
        sms: [
          (l) =>
            `【与信】${sp(l)}${charges ? `${shortMonthJa(c.periodKey)}の利用額` : '利用予定額'}${m(amount)}が${level}金額${m(c.facts.levelAmount)}を上回りました`,
          (l) =>
            `【与信】${sp(l)}${charges ? '利用額' : '利用予定額'}${m(amount)}が${level}金額${m(c.facts.levelAmount)}を上回りました`,
          (l) => `【与信】${sp(l)}${charges ? '利用額' : '利用予定額'}${m(amount)}が${level}金額を上回りました`,
        ],
      };
    }
    case 'purchaseChangeRejected': {
      const level = levelName(c.threshold, 'ja');
      const quantity = c.facts.requestedQuantity ? ` ×${c.facts.requestedQuantity}` : '';
      return {
        subject: `【変更拒否】${label} プラン・数量の変更をお断りしました(${level})`,
        body: [
          `お客様のプラン・数量の変更は料金が上がるもので、お客様が与信の「${level}」に該当するため、お断りしました。`,
          '',
          cust,
          sub,
          `現在のプラン: ${c.facts.currentPlanId}(月額 ${m(c.facts.currentPrice)})`,
          `変更の申込: ${c.facts.requestedPlanId}${quantity}(月額 ${m(c.facts.newPrice)})`,
          '',
          c.threshold === 'approvalRequired'
            ? '対応のお願い: ご承認いただける場合は、このサブスクリプションのプランまたは数量を承認してください。お客様が' +
              '同じ変更を再度申し込むと受け付けられます。'
            : '対応のお願い: お客様の利用料金と利用予定額が購入不可金額を下回り月初判定でも購入不可でなくなるか、購入不可' +
              '金額を引き上げるか解除するまで、料金が上がる変更はお断りされます。',
        ],
        sms: [
          (l) =>
            `【変更拒否】${sp(l)}${clip(c.facts.requestedPlanId, 12, 'ja')}${quantity}(月額${m(c.facts.newPrice)})を${level}のため拒否`,
          (l) => `【変更拒否】${sp(l)}増額変更${quantity}(月額${m(c.facts.newPrice)})を${level}のため拒否`,
        ],
      };
    }
  }
}

function englishFooter(c: AlertCandidate, context: AlertTextContext): string[] {
  return [
    ...(context.portalUrl ? [`Details and settings: ${context.portalUrl}`] : []),
    `You receive this alert because this address is registered for the ${c.recipient.kind === 'partner' ? 'reseller partner' : 'customer'} ` +
      'it concerns. Each alert is sent once per period.',
  ];
}

function japaneseFooter(c: AlertCandidate, context: AlertTextContext): string[] {
  return [
    ...(context.portalUrl ? [`詳細と設定: ${context.portalUrl}`] : []),
    `このメールは、${c.recipient.kind === 'partner' ? 'パートナー様' : 'お客様'}の通知先として登録されたアドレスにお送りしています。` +
      '同じアラートは期間ごとに1回だけ送信されます。',
  ];
}

function levelName(threshold: string | undefined, locale: AlertLocale): string {
  const names: Record<CreditLevelName, { en: string; ja: string }> = {
    warning: { en: 'Warning', ja: '警告' },
    approvalRequired: { en: 'Approval required', ja: '要承認' },
    purchaseBlocked: { en: 'Purchase blocked', ja: '購入不可' },
  };
  const entry = names[(threshold ?? 'warning') as CreditLevelName] ?? names.warning;
  return entry[locale];
}

function levelAdviceEn(threshold: string | undefined): string {
  switch (threshold) {
    case 'approvalRequired':
      return (
        'plan or quantity changes that raise the price now need your approval. Approve a specific plan or quantity ' +
        'for the subscription when the customer asks; without it, such changes are refused.'
      );
    case 'purchaseBlocked':
      return (
        'plan or quantity changes that raise the price are now refused. Raise the purchase-blocked level if the ' +
        'customer’s credit allows, or talk with the customer about its usage.'
      );
    default:
      return (
        'nothing is blocked yet. Confirm with the customer that the usage is intended; at the approval-required ' +
        'level, price-raising changes will need your approval.'
      );
  }
}

function levelAdviceJa(threshold: string | undefined): string {
  switch (threshold) {
    case 'approvalRequired':
      return '料金が上がるプラン変更・数量変更には、パートナー様の承認が必要になりました。お客様から依頼があれば、対象のプランまたは数量を承認してください。承認がない場合、変更はお断りされます。';
    case 'purchaseBlocked':
      return '料金が上がるプラン変更・数量変更はお断りされます。与信に余裕がある場合は購入不可金額を引き上げるか、お客様と利用状況をご相談ください。';
    default:
      return 'まだ制限はありません。意図した利用かどうか、お客様にご確認ください。要承認金額を上回ると、料金が上がる変更には承認が必要になります。';
  }
}

/**
 * The name for the subject: the subscription's for customers, the customer's for partners (else the subscription's:
 * a partner sees its customers' subscription names too); the id only where no name is known.
 */
function labelFor(c: AlertCandidate, context: AlertTextContext): string {
  const subscription = context.subscriptionLabel ?? context.planLabel;
  return c.recipient.kind === 'partner'
    ? (context.customerLabel ?? subscription ?? c.customerId)
    : (subscription ?? c.subscriptionId);
}

/** The names an SMS may carry, the most telling first; never an id. */
function smsLabels(c: AlertCandidate, context: AlertTextContext): string[] {
  const names = [
    ...(c.recipient.kind === 'partner' ? [context.customerLabel] : []),
    context.subscriptionLabel,
    context.planLabel,
  ];
  return [...new Set(names.filter((name): name is string => name !== undefined && name.trim() !== ''))];
}

/** ` <name>` after the English SMS's tag, or nothing. */
const at = (label: string) => (label ? ` ${label}` : '');

function intlLocale(locale: AlertLocale): string {
  return locale === 'ja' ? 'ja-JP' : 'en-US';
}

type ForecastFacts = Extract<AlertCandidate, { rule: 'budgetForecast' }>['facts'];

/**
 * What a forecast is based on, in the e-mail (`long`: the days and their dates) and the SMS (`short`: the days only);
 * undefined for alerts recorded before the basis was (THE FORECAST EVIDENCE RULE, rules.ts).
 */
function forecastBasisEn(facts: ForecastFacts): { long: string; short: string } | undefined {
  if (!facts.basisFrom || !facts.basisTo || !facts.basisDays) return undefined;
  const days = facts.basisDays === '1' ? '1 day' : `${facts.basisDays} days`;
  return {
    long: `${days} of usage, ${dayEn(facts.basisFrom)} to ${dayEn(facts.basisTo)}, carried to the month end`,
    short: `based on ${days}`,
  };
}

function forecastBasisJa(facts: ForecastFacts): { long: string; short: string } | undefined {
  if (!facts.basisFrom || !facts.basisTo || !facts.basisDays) return undefined;
  return {
    long: `${dayJa(facts.basisFrom)}〜${dayJa(facts.basisTo)}の${facts.basisDays}日間の利用実績(このペースを月末まで延長)`,
    short: `${facts.basisDays}日間の実績から`,
  };
}

const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const ymd = (key: string) => key.split('-').map(Number) as [number, number, number?];

function monthEn(key: string): string {
  const [y, mo] = ymd(key);
  return `${MONTHS_EN[mo - 1] ?? key} ${y}`;
}

function shortMonthEn(key: string): string {
  const [y, mo] = ymd(key);
  return `${(MONTHS_EN[mo - 1] ?? key).slice(0, 3)} ${y}`;
}

function dayEn(key: string): string {
  const [y, mo, d] = ymd(key);
  return `${(MONTHS_EN[mo - 1] ?? key).slice(0, 3)} ${d}, ${y}`;
}

function shortDayEn(key: string): string {
  const [, mo, d] = ymd(key);
  return `${(MONTHS_EN[mo - 1] ?? key).slice(0, 3)} ${d}`;
}

function monthJa(key: string): string {
  const [y, mo] = ymd(key);
  return `${y}年${mo}月`;
}

function shortMonthJa(key: string): string {
  const [, mo] = ymd(key);
  return `${mo}月`;
}

function dayJa(key: string): string {
  const [y, mo, d] = ymd(key);
  return `${y}年${mo}月${d}日`;
}

function shortDayJa(key: string): string {
  const [, mo, d] = ymd(key);
  return `${mo}/${d}`;
}
