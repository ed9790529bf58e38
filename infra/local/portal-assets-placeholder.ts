import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * PLACEHOLDER — REPLACE AT MERGE with the portal UI's `writePortalAssets(outDir)` (`infra/portal-assets.ts`), which
 * bundles the real script and stylesheet. Until then the local mode serves these two empty files so that the
 * portal's pages and its asset route work end to end.
 */
export async function writePlaceholderPortalAssets(outDir: string): Promise<{ script: string; style: string }> {
  await mkdir(outDir, { recursive: true });
  const manifest = { script: 'portal-placeholder.js', style: 'portal-placeholder.css' };
  await writeFile(join(outDir, manifest.script), '// The portal UI script is bundled here at merge.\n');
  await writeFile(join(outDir, manifest.style), '/* The portal UI stylesheet is bundled here at merge. */\n');
  await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}
