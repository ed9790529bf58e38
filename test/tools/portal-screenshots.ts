import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '#test/helpers/browser.ts';
import { startPortalFixtureServer } from '#test/helpers/portal-fixture-server.ts';
import { PARTNER_ID, SUBSCRIPTION_ID } from '#test/helpers/portal-fixtures.ts';

/**
 * `npm run screenshots`: a full-page PNG of each portal page in English and Japanese, written to docs/screenshots/.
 * The pages are drawn from the browser-test fixtures (test/helpers/portal-fixtures.ts), served with the built assets
 * and the real HTML shells; set PORTAL_URL to photograph a running portal instead (its session must already let the
 * browser in).
 */
const OUT_DIR = join(import.meta.dirname, '../../docs/screenshots');
const PAGES = [
  { name: 'home', path: '/portal' },
  { name: 'subscription', path: `/portal/subscriptions/${SUBSCRIPTION_ID}` },
  { name: 'partner', path: `/portal/partners/${PARTNER_ID}` },
] as const;

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'portal-screenshots-'));
  const server = process.env.PORTAL_URL ? undefined : await startPortalFixtureServer(join(workDir, 'assets'));
  const baseUrl = process.env.PORTAL_URL ?? server?.url ?? '';
  const browser = await launchChromium();
  try {
    await mkdir(OUT_DIR, { recursive: true });
    for (const language of ['en', 'ja'] as const) {
      const context = await browser.newContext({ locale: language, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      for (const { name, path } of PAGES) {
        await page.goto(`${baseUrl}${path}?lang=${language}`);
        await page.waitForSelector('body[data-ready]');
        // Show one graph's data table open, as a reader would after pressing "Show the data as a table".
        if (name === 'subscription') await page.locator('details summary').first().click();
        const file = join(OUT_DIR, `portal-${name}-${language}.png`);
        await page.screenshot({ path: file, fullPage: true });
        process.stdout.write(`wrote ${file}\n`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
