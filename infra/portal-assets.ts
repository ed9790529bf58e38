import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { build } from 'esbuild';
import type { PortalAssetManifest } from '#functions/portal/pages.ts';

export type { PortalAssetManifest } from '#functions/portal/pages.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const UI = join(ROOT, 'functions/portal/ui');

/** Browsers the portal supports: evergreen ones (ES2020 modules, `Intl.supportedValuesOf` is used if present). */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

/**
 * Builds the portal's browser assets into `outDir`: one script (`functions/portal/ui/main.ts` with uPlot bundled in,
 * no CDN) and one stylesheet (ours with uPlot's), minified, named by content hash so the asset route can cache them
 * for good, their brotli (`.br`) and gzip (`.gz`) copies, plus `manifest.json` naming them (what `portalPage`
 * links). Returns the manifest.
 */
export async function writePortalAssets(outDir: string): Promise<PortalAssetManifest> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: join(UI, 'main.ts'), style: join(UI, 'styles.css') },
    outdir: outDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: TARGETS,
    platform: 'browser',
    tsconfig: join(UI, 'tsconfig.json'),
    metafile: true,
    legalComments: 'linked',
    logLevel: 'silent',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const fileOf = (entry: string, extension: string) => {
    const found = outputs.find(([file, output]) => file.endsWith(extension) && output.entryPoint?.endsWith(entry));
    if (!found) throw new Error(`esbuild produced no ${extension} output for ${entry}`);
    return basename(found[0]);
  };
  const manifest: PortalAssetManifest = {
    script: fileOf('main.ts', '.js'),
    style: fileOf('styles.css', '.css'),
  };
  // Compressed copies beside each asset, made once here rather than per request: the Portal function serves them to
  // browsers that accept them (API Gateway's HTTP API does not compress), CloudFront passes them through.
  for (const name of [manifest.script, manifest.style]) {
    const content = await readFile(join(outDir, name));
    await writeFile(
      join(outDir, `${name}.br`),
      brotliCompressSync(content, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      }),
    );
    await writeFile(join(outDir, `${name}.gz`), gzipSync(content, { level: zlibConstants.Z_BEST_COMPRESSION }));
  }
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
