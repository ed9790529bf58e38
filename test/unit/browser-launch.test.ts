import { describe, expect, it } from 'vitest';
import { launchChromium } from '#test/helpers/browser.ts';

describe('launching the browser of the browser tests', () => {
  it('says how to install Chromium, or where to point CHROMIUM_PATH, when there is none', async () => {
    const launched = launchChromium({ CHROMIUM_PATH: '/nonexistent/chromium' });

    await expect(launched).rejects.toThrow(/apt-get install -y chromium.*CHROMIUM_PATH/s);
    await expect(launched).rejects.toThrow('/nonexistent/chromium');
  });
});
