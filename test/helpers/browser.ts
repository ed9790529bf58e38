import { access, constants } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (reference/local-stack.md "Browser"): playwright-core drives it; nothing downloads a browser. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless flags that work as root in a container and keep the browser off the network except for the test. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches the Chromium of the browser tests: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`.
 * @throws Error saying how to install Chromium or point `CHROMIUM_PATH` at one, when the executable is missing
 *   (instead of playwright's "executable doesn't exist").
 */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `The browser tests need Chromium, and there is none at ${executablePath}. Install Debian's: ` +
        "`sudo apt-get install -y chromium` (or your distribution's chromium package), or set CHROMIUM_PATH to a " +
        'Chromium or Chrome executable. Only the browser tests (*.browser.test.ts) need it.',
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
