import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PortalAssetManifest, writePortalAssets } from '#infra/portal-assets.ts';

/** Issue 13: at most 200 KB of compressed JavaScript on a page's first load. */
const JS_BUDGET_BYTES = 200 * 1024;

describe('the portal assets', () => {
  let outDir: string;
  let manifest: PortalAssetManifest;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'portal-assets-'));
    manifest = await writePortalAssets(outDir);
  }, 60_000);
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('fit the page weight budget: the JavaScript a page loads is at most 200 KB gzip-compressed', async () => {
    // Every script in the folder counts, in case a split chunk ever appears beside the entry.
    const scripts = (await readdir(outDir)).filter((name) => name.endsWith('.js'));
    const compressed = await Promise.all(
      scripts.map(async (name) => gzipSync(await readFile(join(outDir, name)), { level: 9 }).length),
    );
    const total = compressed.reduce((sum, size) => sum + size, 0);

    expect(scripts).toEqual([manifest.script]);
    expect(total).toBeGreaterThan(10_000); // uPlot is in it: nothing is fetched from elsewhere.
    expect(total).toBeLessThanOrEqual(JS_BUDGET_BYTES);
  });

  it('are named by content hash and listed in manifest.json', async () => {
    const written = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8'));

    expect(written).toEqual(manifest);
    expect(manifest.script).toMatch(/^main-[A-Z0-9]{8}\.js$/);
    expect(manifest.style).toMatch(/^style-[A-Z0-9]{8}\.css$/);
    const again = await mkdtemp(join(tmpdir(), 'portal-assets-again-'));
    try {
      expect(await writePortalAssets(again)).toEqual(manifest);
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  }, 60_000);

  it('bundle uPlot and its stylesheet, and load nothing from another origin', async () => {
    const script = await readFile(join(outDir, manifest.script), 'utf8');
    const style = await readFile(join(outDir, manifest.style), 'utf8');

    expect(style).toContain('.uplot');
    expect(style).toContain(':focus-visible');
    expect(style).not.toMatch(/@import|url\(\s*['"]?https?:/);
    expect(script).toContain('__portalCharts');
    expect(script).not.toMatch(/import\s*\(\s*["']https?:|from\s*["']https?:/);
  });
});
