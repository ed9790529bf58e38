import type { AlertLocale } from '#shared/domain/alerts/settings.ts';

/**
 * The e-mail of an alert as the notifier sends it: the rendered subject and body (`templates.ts`) as the plain-text
 * part, an HTML part with the same text, and in both a footer with the two unsubscribe links (this kind of alert
 * only, or every alert to this address). The footer is in the alert's language (the recipient's); the text itself
 * is not re-rendered, so the history and the mail say the same.
 */
export interface AlertEmailInput {
  readonly subject: string;
  readonly body: string;
  readonly locale: AlertLocale;
  /** Stops this rule only for this address. */
  readonly unsubscribeRuleUrl: string;
  /** Stops every alert to this address. */
  readonly unsubscribeAllUrl: string;
}

export interface AlertEmail {
  readonly text: string;
  readonly html: string;
}

const FOOTER: Readonly<Record<AlertLocale, { intro: string; rule: string; all: string }>> = {
  en: {
    intro: 'You receive this alert because this address is a contact of the alert settings.',
    rule: 'Stop alerts of this kind',
    all: 'Stop all alerts to this address',
  },
  ja: {
    intro: 'このメールは、アラート設定の連絡先としてこのアドレスが登録されているため送信されています。',
    rule: 'この種類のアラートを停止する',
    all: 'このアドレスへのすべてのアラートを停止する',
  },
};

export function renderAlertEmail(input: AlertEmailInput): AlertEmail {
  const footer = FOOTER[input.locale];
  const text =
    `${input.body}\n\n--\n${footer.intro}\n` +
    `${footer.rule}: ${input.unsubscribeRuleUrl}\n${footer.all}: ${input.unsubscribeAllUrl}\n`;
  const paragraphs = input.body
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeText(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const html = `<!doctype html>
<html lang="${input.locale}">
<head><meta charset="utf-8"><title>${escapeText(input.subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1b1b1b; max-width: 40em;">
<h1 style="font-size: 1.2em;">${escapeText(input.subject)}</h1>
${paragraphs}
<hr style="border: 0; border-top: 1px solid #ccc; margin-top: 2em;">
<p style="font-size: 0.85em; color: #555;">${escapeText(footer.intro)}<br>
<a href="${escapeText(input.unsubscribeRuleUrl)}">${escapeText(footer.rule)}</a> ·
<a href="${escapeText(input.unsubscribeAllUrl)}">${escapeText(footer.all)}</a></p>
</body>
</html>
`;
  return { text, html };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML element content or a double-quoted attribute value. */
function escapeText(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}
