import { html } from '#shared/http/html.ts';
import { CSRF_FORM_FIELD } from '#shared/http/session.ts';
import { format, MESSAGES, type PortalLanguage } from './ui/messages.ts';

/**
 * The portal's HTML shells (issue 13, docs/portal.md "Pages"). A shell carries only what the script needs to start —
 * which view, the language, the CSRF token — and the text a reader sees before the script has drawn the page; the
 * bundled script (`functions/portal/ui/main.ts`) fetches the figures from the same-origin `/v1` API and draws them.
 * No inline script or style: the CSP below allows only our own files.
 */

export type PortalView =
  | { kind: 'home' }
  | { kind: 'subscription'; subscriptionId: string }
  | { kind: 'partner'; partnerId: string };

/** The public names of the bundled files under `/portal/assets/` (written by `infra/portal-assets.ts`). */
export interface PortalAssetManifest {
  readonly script: string;
  readonly style: string;
}

/** Where the Portal function serves the bundled files. */
export const PORTAL_ASSETS_PATH = '/portal/assets/';

/**
 * The portal's Content-Security-Policy (portal contract): scripts, styles, fonts and fetches from our own origin only,
 * images from us or `data:` URLs, nothing framed, forms post back to us, no `<base>` redirection.
 */
export const PORTAL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The cookie the language switcher sets (`functions/portal/ui/main.ts`). */
export const LANGUAGE_COOKIE = 'mm_lang';

/**
 * The page language (portal contract): `?lang=ja|en` wins, then the `mm_lang` cookie, then the most preferred of
 * Japanese and English in `Accept-Language` (quality values honoured); English otherwise.
 */
export function choosePortalLanguage(input: {
  readonly query?: string | undefined;
  readonly cookieHeader?: string | undefined;
  readonly acceptLanguage?: string | undefined;
}): PortalLanguage {
  const known = (value: string | undefined): PortalLanguage | undefined =>
    value === 'ja' || value === 'en' ? value : undefined;
  const fromQuery = known(input.query);
  if (fromQuery) return fromQuery;
  const cookie = (input.cookieHeader ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === LANGUAGE_COOKIE)?.[1];
  const fromCookie = known(cookie);
  if (fromCookie) return fromCookie;
  const ranked = (input.acceptLanguage ?? '')
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

/** The path of a view, for links and the language switcher. */
export function portalPath(view: PortalView): string {
  switch (view.kind) {
    case 'home':
      return '/portal';
    case 'subscription':
      return `/portal/subscriptions/${encodeURIComponent(view.subscriptionId)}`;
    case 'partner':
      return `/portal/partners/${encodeURIComponent(view.partnerId)}`;
  }
}

/**
 * The HTML shell of a portal page with its security headers. Never cached (it carries the session's CSRF token);
 * the script and stylesheet it names are content-hashed and cached for good by the asset route. Only signed-in users
 * get a shell, so its header always has the sign-out form (a POST with the CSRF token as a form field: a link could
 * be followed by another site, or prefetched, and sign the user out).
 */
export function portalPage(input: {
  view: PortalView;
  language: PortalLanguage;
  csrfToken: string;
  assets: PortalAssetManifest;
}): { statusCode: number; headers: Record<string, string>; body: string } {
  const { view, language, assets } = input;
  const t = MESSAGES[language];
  const title =
    view.kind === 'home'
      ? t.homeTitle
      : view.kind === 'subscription'
        ? format(t.subscriptionTitle, { name: view.subscriptionId })
        : format(t.partnerTitle, { name: view.partnerId });
  const path = portalPath(view);
  const switcher = (['en', 'ja'] as const).map(
    (lang) =>
      html`<li><a href="${`${path}?lang=${lang}`}" hreflang="${lang}" lang="${lang}" data-lang-switch="${lang}"${
        lang === language ? html` aria-current="true"` : html``
      }>${MESSAGES[lang].languageName}</a></li>`,
  );
  const page = html`<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${input.csrfToken}">
<link rel="icon" href="data:,">
<title>${title} · ${t.siteName}</title>
<link rel="stylesheet" href="${PORTAL_ASSETS_PATH + assets.style}">
<script type="module" src="${PORTAL_ASSETS_PATH + assets.script}"></script>
</head>
<body data-view="${view.kind}" data-lang="${language}"${
    view.kind === 'subscription' ? html` data-subscription-id="${view.subscriptionId}"` : html``
  }${view.kind === 'partner' ? html` data-partner-id="${view.partnerId}"` : html``}>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="site-header">
<a class="brand" href="/portal">${t.siteName}</a>
<nav aria-label="${t.languageSwitcher}"><ul class="language-switcher">${switcher}</ul></nav>
<form class="sign-out" method="post" action="/auth/sign-out"><input type="hidden" name="${CSRF_FORM_FIELD}" value="${input.csrfToken}"><button type="submit" class="secondary" data-sign-out>${t.signOut}</button></form>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
<p id="portal-status" role="status">${t.loading}</p>
<noscript><p>${t.noScript}</p></noscript>
</main>
</body>
</html>`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PORTAL_CSP,
      'content-language': language,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    },
    body: `<!doctype html>\n${page.value}`,
  };
}
