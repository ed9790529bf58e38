/**
 * `tsx infra/tools/write-portal-assets.ts <dir>`: builds the portal's page script and stylesheet into `<dir>`
 * (`writePortalAssets`). The CDK app runs it after bundling the Portal function, so the assets travel in the
 * function's own deployment package (`portal-assets/`, read through `PORTAL_ASSETS_DIR`).
 */
import { resolve } from 'node:path';
import { writePortalAssets } from '#infra/portal-assets.ts';

const outDir = process.argv[2];
if (!outDir) {
  console.error('Usage: tsx infra/tools/write-portal-assets.ts <output folder>');
  process.exit(2);
}
const manifest = await writePortalAssets(resolve(outDir));
console.log(`Portal assets written to ${outDir}: ${manifest.script}, ${manifest.style}`);
