import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface SynthResult {
  readonly exitCode: number;
  readonly stderr: string;
  readonly outputDir: string;
}

const outputDirs: string[] = [];

/** Runs the real CLI the way a publisher does, offline: telemetry off, notices off (cdk.json), no credentials. */
async function cdkSynth(...extraArgs: string[]): Promise<SynthResult> {
  const outputDir = await mkdtemp(join(tmpdir(), 'cdk-synth-'));
  outputDirs.push(outputDir);
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['cdk', 'synth', '--quiet', '--output', outputDir, ...extraArgs],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, _stdout, stderr) => {
        resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stderr, outputDir });
      },
    );
  });
}

describe('cdk synth', () => {
  afterEach(async () => {
    await Promise.all(outputDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('synthesizes both stacks offline, with the default catalog compiled into the function bundles', {
    timeout: 120_000,
  }, async () => {
    const catalog = await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'));

    const result = await cdkSynth();

    expect(result.exitCode, result.stderr).toBe(0);
    const files = await readdir(result.outputDir);
    expect(files).toContain('MarketplaceStateful.template.json');
    expect(files).toContain('MarketplaceStateless.template.json');
    const bundles = files
      .filter((file) => file.startsWith('asset.'))
      .map((dir) => join(result.outputDir, dir, 'index.mjs'))
      .filter((file) => existsSync(file));
    expect(bundles.length).toBeGreaterThan(0);
    const firstOffer = catalog.offers[0]?.id ?? 'no offer in the default catalog';
    for (const bundle of bundles) {
      const code = await readFile(bundle, 'utf8');
      expect(code).toContain(firstOffer);
      // BUNDLE_ALIASES reach CDK's own esbuild run: no bundle carries the MIME database axios' form-data brings.
      expect(code, bundle).not.toContain('application/vnd.openxmlformats-officedocument');
    }
    // The portal's page script and stylesheet travel in the Portal function's package (the afterBundling step), and
    // only there: without them every portal page would link assets that answer 404.
    const withPortalAssets = files.filter((dir) =>
      existsSync(join(result.outputDir, dir, 'portal-assets', 'manifest.json')),
    );
    expect(withPortalAssets).toHaveLength(1);
    const assetsDir = join(result.outputDir, withPortalAssets[0] ?? '', 'portal-assets');
    const manifest = JSON.parse(await readFile(join(assetsDir, 'manifest.json'), 'utf8')) as {
      script: string;
      style: string;
    };
    expect(existsSync(join(assetsDir, manifest.script)), manifest.script).toBe(true);
    expect(existsSync(join(assetsDir, manifest.style)), manifest.style).toBe(true);
    const template = JSON.parse(
      await readFile(join(result.outputDir, 'MarketplaceStateless.template.json'), 'utf8'),
    ) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    const portalFunctions = Object.values(template.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(resource.Properties?.Environment ?? {}).includes('PORTAL_ASSETS_DIR'),
    );
    expect(portalFunctions).toHaveLength(1);
    expect(JSON.stringify(portalFunctions[0]?.Properties?.Code)).toContain(withPortalAssets[0]?.replace('asset.', ''));
  });

  it("fails with the catalog loader's list of problems when the catalog is invalid", { timeout: 120_000 }, async () => {
    const catalogDir = await mkdtemp(join(tmpdir(), 'bad-catalog-'));
    outputDirs.push(catalogDir);
    const catalogPath = join(catalogDir, 'catalog.yaml');
    await writeFile(catalogPath, 'offers:\n  - id: x\n    displayName: X\n    plans: []\n    pricePlan: 1\n');

    const result = await cdkSynth('-c', `catalog=${catalogPath}`);

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(catalogPath);
    expect(result.stderr).toContain('pricePlan');
  });
});
