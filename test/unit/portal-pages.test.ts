import { describe, expect, it } from 'vitest';
import { choosePortalLanguage, PORTAL_CSP, portalPage } from '#functions/portal/pages.ts';

const assets = { script: 'main-ABC123.js', style: 'style-DEF456.css' };

describe('the portal HTML shells', () => {
  it('send the contract CSP and the other security headers, never cached', () => {
    const page = portalPage({ view: { kind: 'home' }, language: 'en', csrfToken: 't', assets });

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(PORTAL_CSP).toBe(page.headers['content-security-policy']);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-language': 'en',
    });
  });

  it('carry the CSRF token, the view and the language, link only our own hashed assets and hold no inline code', () => {
    const page = portalPage({
      view: { kind: 'subscription', subscriptionId: 'sub-1' },
      language: 'ja',
      csrfToken: 'tok"<en>',
      assets,
    });

    expect(page.body).toMatch(/^<!doctype html>\n<html lang="ja">/);
    expect(page.body).toContain('<meta name="csrf-token" content="tok&quot;&lt;en&gt;">');
    expect(page.body).toContain('data-view="subscription"');
    expect(page.body).toContain('data-subscription-id="sub-1"');
    expect(page.body).toContain('<script type="module" src="/portal/assets/main-ABC123.js"></script>');
    expect(page.body).toContain('<link rel="stylesheet" href="/portal/assets/style-DEF456.css">');
    expect(page.body).toContain('サブスクリプション sub-1');
    expect(page.body).not.toMatch(/<script>|<style|\sstyle="|\son\w+="/);
  });

  it('escape ids from the URL', () => {
    const page = portalPage({
      view: { kind: 'partner', partnerId: '"><script>alert(1)</script>' },
      language: 'en',
      csrfToken: 't',
      assets,
    });
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('data-partner-id="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('offer a language switcher to both languages on every page', () => {
    for (const view of [
      { kind: 'home' } as const,
      { kind: 'subscription', subscriptionId: 's' } as const,
      { kind: 'partner', partnerId: 'p' } as const,
    ]) {
      const body = portalPage({ view, language: 'en', csrfToken: 't', assets }).body;
      expect(body).toContain('data-lang-switch="en"');
      expect(body).toContain('data-lang-switch="ja"');
    }
  });
});

describe('the portal language', () => {
  it('is the ?lang query first, then the mm_lang cookie, then Accept-Language, else English', () => {
    expect(choosePortalLanguage({ query: 'ja', cookieHeader: 'mm_lang=en', acceptLanguage: 'en' })).toBe('ja');
    expect(choosePortalLanguage({ query: 'fr', cookieHeader: 'a=1; mm_lang=ja', acceptLanguage: 'en' })).toBe('ja');
    expect(choosePortalLanguage({ cookieHeader: 'mm_lang=de', acceptLanguage: 'ja-JP,en;q=0.8' })).toBe('ja');
    expect(choosePortalLanguage({ acceptLanguage: 'en;q=0.5, ja;q=0.9' })).toBe('ja');
    expect(choosePortalLanguage({ acceptLanguage: 'ja;q=0, en' })).toBe('en');
    expect(choosePortalLanguage({ acceptLanguage: 'fr-FR' })).toBe('en');
    expect(choosePortalLanguage({})).toBe('en');
  });
});
