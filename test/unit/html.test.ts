import { describe, expect, it } from 'vitest';
import { chooseLanguage, invalidTokenPage, landingPage, STYLE_HASHES } from '#functions/landing/pages.ts';
import { contentSecurityPolicy, cspHash, escapeHtml, html } from '#shared/http/html.ts';
import type { PurchaseSummary } from '#shared/use-cases/fulfillment/resolve-purchase.ts';

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile value that looks like a template literal
  '`${alert(1)}`',
  '&lt;already&gt; & more',
  '</textarea></style><svg onload=alert(1)>',
  'a=b',
];

describe('HTML escaping', () => {
  it('turns every character that can end an element or attribute into an entity', () => {
    expect(escapeHtml(`<>&"'\`=`)).toBe('&lt;&gt;&amp;&quot;&#39;&#96;&#61;');
  });

  it.each(HOSTILE)('leaves no markup of %s in element content or a quoted attribute', (value) => {
    const escaped = escapeHtml(value);

    expect(html`<p title="${value}">${value}</p>`.value).toBe(`<p title="${escaped}">${escaped}</p>`);
    expect(escaped).not.toMatch(/[<>"'`]/);
  });

  it('inserts nested templates and lists of them as markup, and escapes everything else', () => {
    const items = ['<a>', 'b'].map((item) => html`<li>${item}</li>`);

    expect(html`<ul>${items}</ul>${'<b>'}${undefined}${null}${3}`.value).toBe(
      '<ul><li>&lt;a&gt;</li><li>b</li></ul>&lt;b&gt;3',
    );
  });

  it('makes a CSP hash source that matches the inline stylesheet', () => {
    expect(cspHash('p{}')).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(contentSecurityPolicy(["'sha256-abc'"])).toBe(
      "default-src 'none'; style-src 'sha256-abc'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });
});

describe('the landing page markup', () => {
  const hostilePurchase: PurchaseSummary = {
    subscriptionId: 'sub-1',
    subscriptionName: HOSTILE[0],
    offerId: 'contoso-analytics',
    offerName: HOSTILE[1] as string,
    planId: 'basic',
    planName: HOSTILE[2] as string,
    purchaserEmail: HOSTILE[5],
    beneficiaryEmail: 'user@example.com',
    status: 'PendingFulfillmentStart',
  };

  it('escapes hostile purchase details and token, and carries the security headers', () => {
    const response = landingPage(
      { kind: 'confirm', purchase: hostilePurchase },
      {
        language: 'en',
        formAction: '/landing',
        token: '"><script>x</script>',
        csrfToken: '"><img src=x>',
        signedInAs: '<b>Mallory</b>',
      },
    );

    const body = response.body ?? '';
    expect(body).not.toContain('<script>');
    expect(body).not.toContain('<img');
    expect(body).not.toContain('<svg');
    expect(body).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    expect(String(response.headers?.['content-security-policy'])).toContain(`style-src ${STYLE_HASHES[0]}`);
  });

  it('has exactly one inline style, whose hash the CSP allows, and no script or external reference', () => {
    const body = invalidTokenPage('en').body ?? '';

    const styles = [...body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? '');
    expect(styles).toHaveLength(1);
    expect(STYLE_HASHES).toContain(cspHash(styles[0] as string));
    expect(body).not.toMatch(/<script|src=|href=|url\(/i);
  });
});

describe('choosing the page language', () => {
  it.each([
    [undefined, 'en'],
    ['ja', 'ja'],
    ['ja-JP,ja;q=0.9,en-US;q=0.8', 'ja'],
    ['en-US,en;q=0.9,ja;q=0.8', 'en'],
    ['fr-FR,ja;q=0.5,en;q=0.4', 'ja'],
    ['de-DE', 'en'],
    ['ja;q=0, en', 'en'],
  ])('%s → %s', (header, language) => {
    expect(chooseLanguage(header)).toBe(language);
  });
});
