import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '#infra/constructs/app-function.ts';
import { catalogDefine, functionBundling, toEsbuildOptions } from '#infra/constructs/function-bundling.ts';
import type { FunctionDefinition } from '#infra/functions.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';

export interface FunctionBundle {
  readonly functionId: string;
  /** The bundle Lambda loads (`index.mjs`). */
  readonly file: string;
  readonly bytes: number;
  /** Its source map, beside it in the deployed asset. */
  readonly mapBytes: number;
  /** The npm packages bundled into it (`yaml`, `@azure/identity`, ...), from esbuild's metafile. */
  readonly packages: ReadonlySet<string>;
}

/**
 * Bundles a function exactly as `AppFunction` has CDK bundle it (`functionBundling` with the default catalog compiled
 * in, as `cdk synth` does), into `outdir/<function id>/index.mjs`.
 */
export async function bundleFunction(definition: FunctionDefinition, outdir: string): Promise<FunctionBundle> {
  const catalog = await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'));
  const dir = join(outdir, definition.id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({
    ...toEsbuildOptions(functionBundling(catalogDefine(catalog)), join(REPO_ROOT, definition.entry), file),
    metafile: true,
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const name = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (name) packages.add(name);
  }
  return {
    functionId: definition.id,
    file,
    bytes: (await stat(file)).size,
    mapBytes: (await stat(`${file}.map`)).size,
    packages,
  };
}
