import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { launchChromium } from '#test/helpers/browser.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';
import { type PortalSystem, signInThroughFakeEntra, startPortalSystem } from '#test/helpers/portal-system.ts';

/**
 * Signing out of the portal on the whole local system (the Portal function, the fake Entra, the `/v1` API with the
 * session cookie) in a real Chromium: every page's header has a sign-out button that posts the session's CSRF token
 * to `POST /auth/sign-out`; afterwards the session is gone and the portal sends the browser to sign in again.
 */
describe('signing out of the portal on the whole local system, in a real browser', () => {
  let portal: PortalSystem;
  let system: LocalSystem;
  let browser: Browser;
  let workDir: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'portal-sign-out-'));
    portal = await startPortalSystem(workDir, { endpoints: localEndpoints() });
    system = portal.system;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function newPage() {
    // The fake Entra serves HTTPS with a certificate generated at start, which this browser has no reason to trust.
    const context = await browser.newContext({ locale: 'en-US', ignoreHTTPSErrors: true });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    return { context, page: await context.newPage() };
  }

  for (const [lang, label] of [
    ['en', 'Sign out'],
    ['ja', 'サインアウト'],
  ] as const) {
    it(`signs out from the page header (${lang}), after which /portal asks to sign in again`, async () => {
      const { context, page } = await newPage();
      const home = `/portal?lang=${lang}`;
      await signInThroughFakeEntra(page, system.apiUrl, 'customer', home);
      await page.waitForSelector('body[data-ready="true"]');
      expect((await page.request.get(`${system.apiUrl}/v1/me`)).status()).toBe(200);

      const signOut = page.locator('header').getByRole('button', { name: label, exact: true });
      // The form carries the session's token, the one the page's own calls send.
      const token = await page.getAttribute('meta[name="csrf-token"]', 'content');
      expect(await page.locator('header form[action="/auth/sign-out"] input[name="csrfToken"]').inputValue()).toBe(
        token,
      );
      const [answer] = await Promise.all([
        page.waitForResponse((response) => new URL(response.url()).pathname === '/auth/sign-out'),
        signOut.click(),
      ]);

      expect(answer.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBe('You are signed out');
      expect((await context.cookies(system.apiUrl)).map((cookie) => cookie.name)).not.toContain('mm_session');
      expect((await page.request.get(`${system.apiUrl}/v1/me`)).status()).toBe(401);
      await page.goto(system.apiUrl + home);
      expect(page.url().startsWith(system.emulator.entra.authorityHost)).toBe(true);
      expect(await page.getByRole('button', { name: 'Sign in as customer', exact: true }).count()).toBe(1);
    }, 60_000);
  }
});
