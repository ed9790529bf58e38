import type { AlertRule } from '#shared/domain/alerts/alert.ts';
import { html, htmlPage, pageStyle, type SafeHtml } from '#shared/http/html.ts';
import type { ConfirmOutcome, UnsubscribeScope } from '#shared/use-cases/alerts/follow-contact-link.ts';
import type { ContactLinkPurpose, ContactLinkRefusal } from '#shared/use-cases/alerts/ports/contact-links.ts';
import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';

/**
 * The pages a person reaches from a confirmation message or an alert: in Japanese or English, self-contained (one
 * inline stylesheet allowed by its hash, no script, nothing external; `htmlResponse` sets the CSP), each with one
 * button that POSTs back, since opening a link must change nothing.
 */

export type Language = 'en' | 'ja';

const STYLE = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Meiryo",sans-serif;background:#f5f6f8;color:#1b1f24}
main{max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.3rem;margin-top:0}
.address{font-weight:600;overflow-wrap:anywhere}
button{font-size:1rem;padding:.6rem 1.6rem;border:0;border-radius:4px;background:#0f6cbd;color:#fff;cursor:pointer}
.note{color:#555;font-size:.9rem}
`;
const PAGE_STYLE = pageStyle(STYLE);
export const STYLE_HASHES = PAGE_STYLE.hashes;

const RULE_NAMES: Readonly<Record<Language, Readonly<Record<AlertRule, string>>>> = {
  en: {
    budgetThreshold: 'budget threshold',
    budgetForecast: 'budget forecast',
    spike: 'usage spike',
    provisionalCreditExceeded: 'provisional credit',
    monthStartBlocked: 'month-start check',
    currentStatusBlocked: 'current-status check',
    chargesOverCreditLevel: 'credit level',
    plannedOverCreditLevel: 'planned amount over credit level',
    purchaseChangeRejected: 'refused change',
  },
  ja: {
    budgetThreshold: '予算のしきい値',
    budgetForecast: '予算の見込み',
    spike: '利用の急増',
    provisionalCreditExceeded: '仮与信金額',
    monthStartBlocked: '月初チェック',
    currentStatusBlocked: '現状チェック',
    chargesOverCreditLevel: '与信レベル',
    plannedOverCreditLevel: '利用予定額の与信レベル超過',
    purchaseChangeRejected: '変更の拒否',
  },
};

const TEXTS = {
  en: {
    confirmTitle: 'Confirm alert address',
    confirmAsk: 'Confirm that this address may receive usage alerts:',
    confirmButton: 'Confirm',
    confirmIgnore: 'If you did not expect this, close this page: nothing is sent until the address is confirmed.',
    outcomes: {
      confirmed: 'Confirmed. Alerts will be sent to this address. Each one has a link to stop them.',
      alreadyActive: 'This address is already confirmed: alerts are sent to it.',
      undeliverable:
        'Alerts to this address were stopped earlier (it unsubscribed, or messages to it could not be delivered), ' +
        'and this link does not start them again. Ask the support of the service that sends the alerts.',
      unknown:
        'This address is not registered for alerts (any more): there is nothing to confirm. Ask whoever manages the ' +
        'alert settings to add it again.',
    } satisfies Record<ConfirmOutcome, string>,
    unsubscribeTitle: 'Stop alerts',
    unsubscribeAllAsk: 'Stop every alert to this address?',
    unsubscribeRuleAsk: (rule: string) => `Stop the “${rule}” alerts to this address? Other alerts continue.`,
    unsubscribeButton: 'Unsubscribe',
    unsubscribedAll: 'Unsubscribed. No more alerts are sent to this address.',
    unsubscribedRule: (rule: string) =>
      `Unsubscribed from the “${rule}” alerts. Other alerts continue; each has a link to stop all of them.`,
    refusedTitle: 'This link cannot be used',
    invalid:
      'This link is not valid: it may have been cut off by your mail or messaging app. Open it again from the ' +
      'message, or copy the whole link into the address bar.',
    expired: {
      confirm:
        'This confirmation link has expired (links are valid for 7 days). Ask whoever entered your address to save ' +
        'the alert settings again: a new confirmation message is then sent.',
      unsubscribe: 'This unsubscribe link has expired. Use the link in a more recent alert.',
    } satisfies Record<ContactLinkPurpose, string>,
    unavailableTitle: 'Please try again',
    unavailable: 'The service could not handle this just now. Nothing was changed. Please try again in a minute.',
  },
  ja: {
    confirmTitle: 'アラート送信先の確認',
    confirmAsk: '次の送信先で利用アラートを受信することを確認してください:',
    confirmButton: '確認する',
    confirmIgnore: 'お心当たりがない場合は、このページを閉じてください。確認されるまでアラートは送信されません。',
    outcomes: {
      confirmed: '確認しました。この送信先にアラートを送信します。各アラートに配信停止のリンクがあります。',
      alreadyActive: 'この送信先は確認済みです。アラートが送信されています。',
      undeliverable:
        'この送信先へのアラートは停止されています（配信停止済み、または配信できませんでした）。このリンクでは再開できません。アラートを送信しているサービスのサポートにお問い合わせください。',
      unknown:
        'この送信先はアラートの送信先として登録されていません。確認するものはありません。アラート設定の管理者に再登録を依頼してください。',
    } satisfies Record<ConfirmOutcome, string>,
    unsubscribeTitle: 'アラートの配信停止',
    unsubscribeAllAsk: 'この送信先へのすべてのアラートを停止しますか？',
    unsubscribeRuleAsk: (rule: string) =>
      `この送信先への「${rule}」のアラートを停止しますか？ 他のアラートは届きます。`,
    unsubscribeButton: '配信を停止する',
    unsubscribedAll: '配信を停止しました。この送信先にはアラートを送信しません。',
    unsubscribedRule: (rule: string) =>
      `「${rule}」のアラートを停止しました。他のアラートは届きます（各アラートにすべて停止するリンクがあります）。`,
    refusedTitle: 'このリンクは使用できません',
    invalid:
      'このリンクは無効です。メールやメッセージのアプリで途中が切れた可能性があります。メッセージから開き直すか、リンク全体をアドレスバーに貼り付けてください。',
    expired: {
      confirm:
        'この確認リンクは有効期限（7日間）が切れています。送信先を登録した方にアラート設定をもう一度保存してもらうと、新しい確認メッセージが届きます。',
      unsubscribe: 'この配信停止リンクは有効期限が切れています。最近のアラートにあるリンクをお使いください。',
    } satisfies Record<ContactLinkPurpose, string>,
    unavailableTitle: 'もう一度お試しください',
    unavailable: '現在処理できませんでした。何も変更されていません。少し待ってからもう一度お試しください。',
  },
} as const;

/** The language of the page: the contact's own (the one it registered with) when known, else the browser's. */
export function chooseLanguage(stored: Language | undefined, acceptLanguage: string | undefined): Language {
  if (stored) return stored;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
      return { primary: tag.split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && (entry.primary === 'ja' || entry.primary === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.primary === 'ja' ? 'ja' : 'en';
}

/** GET /contacts/confirm: the address and the Confirm button (a POST carrying the token). */
export function confirmPage(language: Language, contact: ContactAddress, token: string) {
  const t = TEXTS[language];
  return page(
    200,
    language,
    t.confirmTitle,
    html`<p>${t.confirmAsk}</p>
<p class="address">${contact.address}</p>
<form method="post" action="/contacts/confirm">
<input type="hidden" name="token" value="${token}">
<button type="submit">${t.confirmButton}</button>
</form>
<p class="note">${t.confirmIgnore}</p>`,
  );
}

/** POST /contacts/confirm: what happened. */
export function confirmedPage(language: Language, contact: ContactAddress, outcome: ConfirmOutcome) {
  const t = TEXTS[language];
  return page(
    200,
    language,
    t.confirmTitle,
    html`<p class="address">${contact.address}</p>
<p>${t.outcomes[outcome]}</p>`,
  );
}

/** GET /contacts/unsubscribe: the address, what would stop, and the button (a POST to the same URL). */
export function unsubscribePage(
  language: Language,
  contact: ContactAddress,
  rule: AlertRule | undefined,
  token: string,
) {
  const t = TEXTS[language];
  const ask = rule ? t.unsubscribeRuleAsk(RULE_NAMES[language][rule]) : t.unsubscribeAllAsk;
  return page(
    200,
    language,
    t.unsubscribeTitle,
    html`<p>${ask}</p>
<p class="address">${contact.address}</p>
<form method="post" action="/contacts/unsubscribe">
<input type="hidden" name="token" value="${token}">
<button type="submit">${t.unsubscribeButton}</button>
</form>`,
  );
}

/** POST /contacts/unsubscribe (the button, or a mail client's one-click): what stopped. */
export function unsubscribedPage(language: Language, contact: ContactAddress, stopped: UnsubscribeScope) {
  const t = TEXTS[language];
  const text = stopped.scope === 'rule' ? t.unsubscribedRule(RULE_NAMES[language][stopped.rule]) : t.unsubscribedAll;
  return page(
    200,
    language,
    t.unsubscribeTitle,
    html`<p class="address">${contact.address}</p>
<p>${text}</p>`,
  );
}

/** 400 for a link that is not ours or was cut, 410 for one whose time is over; each says what to do. */
export function refusedPage(language: Language, purpose: ContactLinkPurpose, reason: ContactLinkRefusal) {
  const t = TEXTS[language];
  return page(
    reason === 'expired' ? 410 : 400,
    language,
    t.refusedTitle,
    html`<p>${reason === 'expired' ? t.expired[purpose] : t.invalid}</p>`,
  );
}

/** 503: a store could not be reached; nothing changed, trying again is safe. */
export function unavailablePage(language: Language) {
  const t = TEXTS[language];
  return page(503, language, t.unavailableTitle, html`<p>${t.unavailable}</p>`);
}

function page(statusCode: number, language: Language, title: string, body: SafeHtml) {
  return htmlPage(statusCode, language, title, PAGE_STYLE, html`<h1>${title}</h1>\n${body}`);
}
