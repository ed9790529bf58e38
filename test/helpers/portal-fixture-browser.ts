import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '#test/helpers/browser.ts';
import { type PortalFixtureServer, startPortalFixtureServer } from '#test/helpers/portal-fixture-server.ts';

export interface FixtureBrowser {
  /** The fixture server (`portal-fixture-server.ts`), started before the file's tests. */
  readonly server: PortalFixtureServer;
  /** A new browser profile, closed after the file's tests. */
  newContext(options: BrowserContextOptions): Promise<BrowserContext>;
}

/**
 * For a browser test file against the fixture server: starts the server (assets built into a temporary folder named
 * after `prefix`) and Chromium before its tests, and stops both, with every profile opened, after them.
 */
export function useFixtureBrowser(prefix: string): FixtureBrowser {
  let server: PortalFixtureServer | undefined;
  let browser: Browser | undefined;
  let workDir: string | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), prefix));
    server = await startPortalFixtureServer(join(workDir, 'assets'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  return {
    get server() {
      if (!server) throw new Error('The fixture server is started in beforeAll: use it inside a test');
      return server;
    },
    async newContext(options) {
      if (!browser) throw new Error('Chromium is started in beforeAll: use it inside a test');
      const context = await browser.newContext(options);
      contexts.push(context);
      return context;
    },
  };
}
