import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#infra/local/local-system.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { launchChromium } from '#test/helpers/browser.ts';
import { aPurchaseInput } from '#test/helpers/fulfillment-flow.ts';
import { localEndpoints } from '#test/helpers/local-aws.ts';

/** Set it to keep the screenshots (they go to the test's temporary folder otherwise, deleted at the end). */
const screenshotDir = () => process.env.LANDING_SCREENSHOT_DIR || workDirOfRun;
let workDirOfRun = '';

/**
 * Runs in the page before its own content (installed through the DevTools protocol, which the page's CSP does not
 * govern): records every Content-Security-Policy violation the page reports. Browser code, kept as text because the
 * project compiles against Node's types, not the DOM's.
 */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ': ' + (event.blockedURI || 'inline'));
  });
`;

/**
 * The landing page as a customer meets it: the whole local system (`startLocalSystem`, on the test run's DynamoDB
 * Local and fauxqs), a purchase in the marketplace emulator, and a real browser that opens the landing URL Microsoft
 * would open, reads the purchase and clicks Activate.
 */
describe('the landing page in a real browser, signing in through the fake Entra first', () => {
  let system: LocalSystem;
  let browser: Browser;
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'landing-browser-'));
    workDirOfRun = workDir;
    system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `b${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** A page that records CSP violations (the listener is installed by the browser, which the CSP does not govern). */
  async function watchedPage(): Promise<{ page: Page; consoleErrors: string[] }> {
    // The fake Entra serves HTTPS with a certificate generated at start, which this browser has no reason to trust.
    const page = await browser.newPage({ locale: 'en-US', ignoreHTTPSErrors: true });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.addInitScript({ content: RECORD_CSP_VIOLATIONS });
    return { page, consoleErrors };
  }
  const violationsOf = (page: Page) => page.evaluate<string[]>('window.__cspViolations');

  /**
   * Opens the landing URL as Microsoft sends the customer there: the page first sends them to sign in, the fake
   * Entra shows its test-user form, and choosing the preset customer brings them back to the very same URL.
   */
  async function openSignedIn(page: Page, landingUrl: string) {
    await page.goto(landingUrl);
    expect(page.url().startsWith(`${system.emulator.entra.authorityHost}/common/oauth2/v2.0/authorize?`)).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('Sign in to your account');
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.url() === landingUrl),
      page.getByRole('button', { name: 'Sign in as customer' }).click(),
    ]);
    expect(page.url()).toBe(landingUrl);
    return response;
  }

  it('shows the purchase, activates it on click and says so; Microsoft and the store agree it is Subscribed', async () => {
    const purchase = await system.emulator.control.purchase(aPurchaseInput({ planId: 'team', quantity: 3 }));
    expect(purchase.landingUrl.startsWith(`${system.apiUrl}/landing?token=`)).toBe(true);
    const { page, consoleErrors } = await watchedPage();

    const opened = await openSignedIn(page, purchase.landingUrl);
    const details = await page.locator('dl').textContent();
    const confirmScreenshot = join(screenshotDir(), 'landing-confirm.png');
    await page.screenshot({ path: confirmScreenshot, fullPage: true });

    expect(opened?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Confirm your subscription');
    expect(details).toContain('Contoso Analytics');
    expect(details).toContain('Team');
    expect(details).toContain('3');
    expect(details).toContain('buyer@customer.example');
    expect(details).toContain('user@customer.example');
    // The inline stylesheet applied (allowed by its hash): the button is the page's blue, not the browser's grey.
    expect(await page.evaluate<string>("getComputedStyle(document.querySelector('button')).backgroundColor")).toBe(
      'rgb(15, 108, 189)',
    );
    expect((await stat(confirmScreenshot)).size).toBeGreaterThan(1_000);
    expect(await page.locator('main').textContent()).toContain('Signed in as: Casey Customer <it@customer.example>');

    await Promise.all([
      page.waitForURL(`${system.apiUrl}/landing`),
      page.getByRole('button', { name: 'Activate subscription' }).click(),
    ]);
    await page.screenshot({ path: join(screenshotDir(), 'landing-activated.png'), fullPage: true });

    expect(await page.locator('h1').textContent()).toBe('Your subscription is active');
    expect(await page.locator('dl').textContent()).toContain('Active');
    expect(await violationsOf(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(system.emulator.control.subscription(purchase.subscriptionId)?.saasSubscriptionStatus).toBe('Subscribed');
    const store = new DynamoSubscriptionStore(
      createDocumentClient(system.endpoints),
      system.resources[MAIN_TABLE.envVar] ?? '',
    );
    expect(await store.get(purchase.subscriptionId)).toMatchObject({
      status: 'Subscribed',
      planId: 'team',
      quantity: 3,
    });
    const customer = system.emulator.entra.signIn.users[0];
    const audit = new DynamoAuditLog(createDocumentClient(system.endpoints), system.resources[MAIN_TABLE.envVar] ?? '');
    expect((await audit.list(purchase.subscriptionId)).entries).toContainEqual(
      expect.objectContaining({
        what: 'activate clicked',
        result: 'activated',
        actor: {
          tenantId: customer?.tenantId,
          objectId: customer?.objectId,
          name: customer?.name,
          email: customer?.email,
        },
      }),
    );
    await page.close();
  }, 60_000);

  it('shows an auto-activated purchase as active on its first visit, with nothing to activate', async () => {
    // Plan `instant` has auto-activation on: Microsoft made it Subscribed at purchase (marketplace-2026.md).
    const purchase = await system.emulator.control.purchase(aPurchaseInput({ planId: 'instant', quantity: undefined }));
    const { page, consoleErrors } = await watchedPage();

    const opened = await openSignedIn(page, purchase.landingUrl);
    await page.screenshot({ path: join(screenshotDir(), 'landing-auto-activated.png'), fullPage: true });

    expect(opened?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Your subscription');
    expect(await page.locator('dl').textContent()).toContain('Active');
    expect(await page.locator('dl').textContent()).toContain('Instant');
    expect(await page.locator('form').count()).toBe(0);
    expect(await page.getByRole('button').count()).toBe(0);
    expect(await violationsOf(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // Subscribed once, at purchase: nobody activated it again.
    expect(system.emulator.control.subscription(purchase.subscriptionId)?.statusHistory).toEqual([
      { status: 'Subscribed', at: expect.any(String) },
    ]);
    const store = new DynamoSubscriptionStore(
      createDocumentClient(system.endpoints),
      system.resources[MAIN_TABLE.envVar] ?? '',
    );
    expect(await store.get(purchase.subscriptionId)).toMatchObject({ status: 'Subscribed', planId: 'instant' });
    await page.close();
  }, 60_000);

  it('would notice a CSP violation: a style the policy does not allow is reported', async () => {
    const purchase = await system.emulator.control.purchase(aPurchaseInput());
    const { page, consoleErrors } = await watchedPage();
    await openSignedIn(page, purchase.landingUrl);

    await page.evaluate(`{
      const style = document.createElement('style');
      style.textContent = 'body { background: red }';
      document.head.append(style);
    }`);
    await page.waitForFunction('window.__cspViolations.length > 0');

    expect((await violationsOf(page))[0]).toMatch(/^style-src/);
    expect(consoleErrors.join('\n')).toMatch(/Content Security Policy/);
    await page.close();
  }, 30_000);
});
