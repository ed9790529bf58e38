import type { AlertLocale } from '#shared/domain/alerts/settings.ts';

/**
 * The confirmation message a new contact receives (our own opt-in, replacing SNS's English "AWS Notification"
 * subscription mail): in the recipient's language, under the name of the offer the alerts are about, saying who
 * registered the address, what will be sent, and that ignoring the message sends nothing.
 */
export interface ConfirmationMessageInput {
  readonly locale: AlertLocale;
  /** What the person knows: the offer's display name (`Contoso Analytics`), or the publisher's offers for a partner. */
  readonly brand: string;
  /** Whose alerts: a customer's budget alerts or a reseller partner's credit alerts. */
  readonly recipientKind: 'customer' | 'partner';
  readonly link: string;
}

export interface ConfirmationEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const ABOUT = {
  en: {
    customer: 'usage and budget alerts about your subscription',
    partner: 'credit alerts about your customers’ subscriptions',
  },
  ja: {
    customer: 'ご契約の利用料金・予算に関するアラート',
    partner: 'お客様の与信に関するアラート',
  },
} as const;

export function confirmationEmail(input: ConfirmationMessageInput): ConfirmationEmail {
  const about = ABOUT[input.locale][input.recipientKind];
  if (input.locale === 'ja') {
    const lines = [
      `${input.brand} の${about}の送信先として、このメールアドレスが登録されました。`,
      '',
      '受信を始めるには、次のリンクを開いて「確認する」を押してください（7日間有効）:',
      input.link,
      '',
      'お心当たりがない場合は、このメールを無視してください。確認されるまでアラートは送信されません。',
    ];
    return {
      subject: `【${input.brand}】アラートの受信確認のお願い`,
      text: lines.join('\n'),
      html: htmlOf(lines, input.link, '受信を確認する'),
    };
  }
  const lines = [
    `This address was registered to receive ${input.brand} ${about}.`,
    '',
    'To start receiving them, open this link and press "Confirm" (valid for 7 days):',
    input.link,
    '',
    'If you did not expect this, ignore this message: nothing is sent until the address is confirmed.',
  ];
  return {
    subject: `${input.brand}: please confirm your alert address`,
    text: lines.join('\n'),
    html: htmlOf(lines, input.link, 'Confirm alerts'),
  };
}

/**
 * The SMS: brand first (the sender the person knows), the link, and nothing else, so it stays in as few segments as
 * the link allows.
 */
export function confirmationSms(input: ConfirmationMessageInput): string {
  return input.locale === 'ja'
    ? `${input.brand}: アラート受信の確認はこちら ${input.link}`
    : `${input.brand}: confirm alerts to this number: ${input.link}`;
}

function htmlOf(lines: readonly string[], link: string, button: string): string {
  const body = lines
    .map((line) =>
      line === link
        ? `<p><a href="${escapeHtml(link)}">${escapeHtml(button)}</a></p>`
        : line === ''
          ? ''
          : `<p>${escapeHtml(line)}</p>`,
    )
    .join('\n');
  return `<!doctype html>\n<html><body>\n${body}\n</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
