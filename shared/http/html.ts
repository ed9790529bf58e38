import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * HTML output for the pages Microsoft sends customers to (the landing page). Every value that reaches a page goes
 * through `html`, which escapes it unless it is already `SafeHtml`; there is no other way to put text into a page.
 */

/** Markup that is safe to insert as is: produced by `html` (escaped) or a constant of ours. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

/**
 * Text as HTML: the characters that can end an element, an attribute value or start an entity become entities, so a
 * value is inert in element content and in quoted attribute values. `undefined` and `null` become the empty string.
 */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(/[&<>"'`=]/g, (character) => ESCAPES[character] ?? character);
}

/**
 * Tagged template: `html\`<p>${name}</p>\`` escapes `name`. Nested `html` results and arrays of them are inserted as
 * they are; anything else is escaped. Use it only with quoted attribute values (`value="${x}"`), never to build
 * URLs, scripts or styles from input.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

/** The `sha256-…` source of an inline style or script, for the Content-Security-Policy. */
export function cspHash(content: string): string {
  return `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of our pages: nothing may load (`default-src 'none'`, no external assets), only the
 * page's own inline stylesheet applies (by hash), forms post back to us only, the page is never framed (no
 * clickjacking of the Activate button), and a `<base>` cannot redirect its relative URLs.
 */
export function contentSecurityPolicy(styleHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `style-src ${styleHashes.join(' ')}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * An HTML response with the security headers every page gets: CSP, no MIME sniffing, no referrer to other sites
 * (the landing URL carries the purchase token), never cached (the page shows a customer's purchase), not framed by older browsers.
 */
export function htmlResponse(
  statusCode: number,
  page: SafeHtml,
  options: { readonly styleHashes: readonly string[]; readonly language?: string },
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(options.styleHashes),
      'x-content-type-options': 'nosniff',
      // Same-origin only: the landing URL's purchase token never leaves our site, and our own form posts and fetches
      // keep a real `Origin` (under `no-referrer` browsers send `Origin: null`, which the CSRF check must refuse).
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      ...(options.language ? { 'content-language': options.language } : {}),
    },
    body: `<!doctype html>\n${page.value}`,
  };
}

/** A page's own stylesheet: the markup inserted verbatim, and the CSP hash that lets exactly it apply. */
export interface PageStyle {
  readonly sheet: SafeHtml;
  readonly hashes: readonly string[];
}

/** @param css our own constant (never user input): inserted verbatim, so that its hash matches the CSP. */
export function pageStyle(css: string): PageStyle {
  return { sheet: new SafeHtml(css), hashes: [cspHash(css)] };
}

/**
 * A whole server-rendered page (the landing page, the contact pages): the document shell around `body`, with the
 * page's own stylesheet as the only style the CSP allows, not indexed by search engines.
 */
export function htmlPage(
  statusCode: number,
  language: string,
  title: string,
  style: PageStyle,
  body: SafeHtml,
): APIGatewayProxyStructuredResultV2 {
  return htmlResponse(
    statusCode,
    html`<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${style.sheet}</style>
</head>
<body><main>
${body}
</main></body>
</html>`,
    { styleHashes: style.hashes, language },
  );
}
