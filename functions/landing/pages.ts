import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SubscriptionStatus } from '#shared/domain/subscription.ts';
import { html, htmlPage, pageStyle, type SafeHtml } from '#shared/http/html.ts';
import type { LandingView, PurchaseSummary } from '#shared/use-cases/fulfillment/resolve-purchase.ts';

/**
 * The landing page's HTML, in English or Japanese. Self-contained: one inline stylesheet allowed by its hash, no
 * scripts, no images, no external assets (the CSP in `htmlResponse` forbids them anyway).
 */

export type Language = 'en' | 'ja';

const STYLE = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Meiryo",sans-serif;background:#f5f6f8;color:#1b1f24}
main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.2rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
button{font-size:1rem;padding:.6rem 1.6rem;border:0;border-radius:4px;background:#0f6cbd;color:#fff;cursor:pointer}
.note{color:#555;font-size:.9rem}
`;
const PAGE_STYLE = pageStyle(STYLE);
export const STYLE_HASHES = PAGE_STYLE.hashes;

interface Texts {
  readonly title: string;
  readonly confirmHeading: string;
  readonly confirmIntro: string;
  readonly activate: string;
  readonly activateNote: string;
  readonly activatedHeading: string;
  readonly activatedIntro: string;
  readonly statusHeading: string;
  readonly labels: Readonly<
    Record<'name' | 'offer' | 'plan' | 'quantity' | 'purchaser' | 'beneficiary' | 'status' | 'term' | 'id', string>
  >;
  readonly statuses: Readonly<Record<SubscriptionStatus, string>>;
  readonly invalidHeading: string;
  readonly invalidBody: string;
  readonly invalidSteps: readonly string[];
  readonly conflictHeading: string;
  readonly unavailableHeading: string;
  readonly unavailableBody: string;
  readonly reference: string;
  readonly signedInAs: string;
  readonly forbiddenHeading: string;
}

const TEXTS: Readonly<Record<Language, Texts>> = {
  en: {
    title: 'Your subscription',
    confirmHeading: 'Confirm your subscription',
    confirmIntro: 'Check the details of your purchase, then activate it to start using the service.',
    activate: 'Activate subscription',
    activateNote: 'Billing starts when the subscription is activated.',
    activatedHeading: 'Your subscription is active',
    activatedIntro: 'Thank you. The service is being set up for you.',
    statusHeading: 'Your subscription',
    labels: {
      name: 'Subscription',
      offer: 'Offer',
      plan: 'Plan',
      quantity: 'Users',
      purchaser: 'Purchased by',
      beneficiary: 'For',
      status: 'Status',
      term: 'Current term',
      id: 'Subscription id',
    },
    statuses: {
      PendingFulfillmentStart: 'Waiting for activation',
      Subscribed: 'Active',
      Suspended: 'Suspended (payment issue)',
      Unsubscribed: 'Cancelled',
    },
    invalidHeading: 'This link is not valid or has expired',
    invalidBody: 'Links from the marketplace are valid for about 24 hours. To get a new one:',
    invalidSteps: [
      'Open your subscription in the Azure portal (SaaS resources) or in the Microsoft 365 admin center (Your products).',
      'Select "Configure account" or "Manage account". You will be brought back here with a fresh link.',
    ],
    conflictHeading: 'This subscription could not be activated',
    unavailableHeading: 'Something went wrong on our side',
    unavailableBody: 'Please try again in a few minutes. Nothing was charged twice: trying again is safe.',
    reference: 'Reference',
    signedInAs: 'Signed in as',
    forbiddenHeading: 'This request was refused',
  },
  ja: {
    title: 'ご契約内容',
    confirmHeading: 'ご契約内容の確認',
    confirmIntro: 'ご購入内容をご確認のうえ、有効化してサービスの利用を開始してください。',
    activate: 'サブスクリプションを有効化',
    activateNote: '課金は有効化した時点から開始されます。',
    activatedHeading: 'サブスクリプションが有効になりました',
    activatedIntro: 'ありがとうございます。サービスの準備を進めています。',
    statusHeading: 'ご契約内容',
    labels: {
      name: 'サブスクリプション',
      offer: 'オファー',
      plan: 'プラン',
      quantity: 'ユーザー数',
      purchaser: 'ご購入者',
      beneficiary: 'ご利用者',
      status: '状態',
      term: '現在の契約期間',
      id: 'サブスクリプション ID',
    },
    statuses: {
      PendingFulfillmentStart: '有効化待ち',
      Subscribed: '有効',
      Suspended: '一時停止中（お支払いの問題）',
      Unsubscribed: '解約済み',
    },
    invalidHeading: 'このリンクは無効か、有効期限が切れています',
    invalidBody: 'マーケットプレースからのリンクの有効期限は約 24 時間です。新しいリンクを取得するには:',
    invalidSteps: [
      'Azure portal（SaaS リソース）または Microsoft 365 管理センター（お使いの製品）でサブスクリプションを開きます。',
      '「アカウントを構成する」または「アカウントの管理」を選択すると、新しいリンクでこのページに戻ります。',
    ],
    conflictHeading: 'このサブスクリプションを有効化できませんでした',
    unavailableHeading: '現在処理を完了できません',
    unavailableBody: '数分後にもう一度お試しください。再度お試しいただいても二重に課金されることはありません。',
    reference: '問い合わせ番号',
    signedInAs: 'サインイン中のアカウント',
    forbiddenHeading: 'このリクエストは拒否されました',
  },
};

/**
 * The page language from `Accept-Language`: the most preferred of Japanese and English (quality values honoured),
 * English when neither is asked for.
 */
export function chooseLanguage(acceptLanguage: string | undefined): Language {
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

/** The page for a landing view: confirmation with the Activate form, or the subscription's state. */
export function landingPage(
  view: LandingView,
  options: {
    readonly language: Language;
    readonly formAction: string;
    readonly token: string;
    /** The session's CSRF token, sent back with the Activate form. */
    readonly csrfToken: string;
    /** Who is signed in, shown so a customer with several accounts sees which one activates. */
    readonly signedInAs: string;
  },
): APIGatewayProxyStructuredResultV2 {
  const t = TEXTS[options.language];
  if (view.kind === 'confirm') {
    return page(
      200,
      options.language,
      t.confirmHeading,
      html`<h1>${t.confirmHeading}</h1>
<p>${t.confirmIntro}</p>
${details(view.purchase, t, false)}
<form method="post" action="${options.formAction}">
<input type="hidden" name="token" value="${options.token}">
<input type="hidden" name="csrfToken" value="${options.csrfToken}">
<button type="submit">${t.activate}</button>
</form>
<p class="note">${t.activateNote}</p>
<p class="note">${t.signedInAs}: ${options.signedInAs}</p>`,
    );
  }
  const heading = view.activatedNow ? t.activatedHeading : t.statusHeading;
  return page(
    200,
    options.language,
    heading,
    html`<h1>${heading}</h1>
${view.activatedNow ? html`<p>${t.activatedIntro}</p>` : ''}
${details(view.purchase, t, true)}`,
  );
}

/** 400: the token is missing, malformed or expired; what to do (§1.2 Resolve: Microsoft's suggested message). */
export function invalidTokenPage(language: Language): APIGatewayProxyStructuredResultV2 {
  const t = TEXTS[language];
  return page(
    400,
    language,
    t.invalidHeading,
    html`<h1>${t.invalidHeading}</h1>
<p>${t.invalidBody}</p>
<ol>${t.invalidSteps.map((step) => html`<li>${step}</li>`)}</ol>`,
  );
}

/** 409: Microsoft refused the activation; the message says why. */
export function conflictPage(language: Language, message: string): APIGatewayProxyStructuredResultV2 {
  const t = TEXTS[language];
  return page(
    409,
    language,
    t.conflictHeading,
    html`<h1>${t.conflictHeading}</h1>
<p>${message}</p>`,
  );
}

/** 403: a form post that failed the cross-site request check; the message says what was missing. */
export function forbiddenPage(language: Language, message: string): APIGatewayProxyStructuredResultV2 {
  const t = TEXTS[language];
  return page(
    403,
    language,
    t.forbiddenHeading,
    html`<h1>${t.forbiddenHeading}</h1>
<p>${message}</p>`,
  );
}

/** 5xx: our failure; nothing about it but a reference for support (the request id, which is in our logs). */
export function unavailablePage(
  language: Language,
  statusCode: number,
  reference: string | undefined,
): APIGatewayProxyStructuredResultV2 {
  const t = TEXTS[language];
  return page(
    statusCode,
    language,
    t.unavailableHeading,
    html`<h1>${t.unavailableHeading}</h1>
<p>${t.unavailableBody}</p>
${reference ? html`<p class="note">${t.reference}: ${reference}</p>` : ''}`,
  );
}

function details(purchase: PurchaseSummary, t: Texts, withStatus: boolean): SafeHtml {
  const rows: [string, unknown][] = [
    [t.labels.name, purchase.subscriptionName],
    [t.labels.offer, purchase.offerName],
    [t.labels.plan, purchase.planName],
    [t.labels.quantity, purchase.quantity],
    [t.labels.purchaser, purchase.purchaserEmail],
    [t.labels.beneficiary, purchase.beneficiaryEmail],
    ...(withStatus
      ? ([
          [t.labels.status, t.statuses[purchase.status]],
          [
            t.labels.term,
            purchase.term ? `${day(purchase.term.startDate)} – ${day(purchase.term.endDate)}` : undefined,
          ],
        ] as [string, unknown][])
      : []),
    [t.labels.id, purchase.subscriptionId],
  ];
  return html`<dl>${rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/** `2026-03-12T00:00:00Z` → `2026-03-12` (terms are whole UTC days, §1.3). */
function day(value: string): string {
  return value.slice(0, 10);
}

function page(statusCode: number, language: Language, title: string, body: SafeHtml) {
  return htmlPage(statusCode, language, title, PAGE_STYLE, body);
}
