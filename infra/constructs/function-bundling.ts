import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled, stated once: `AppFunction` hands these options to CDK's `NodejsFunction`, and the
 * bundle-size test and `npm run bench:cold-start` turn the same object into esbuild options (`toEsbuildOptions`),
 * so what they measure is what deploys.
 */

/** The Lambda runtime's Node.js major version; `AppFunction` picks the matching `lambda.Runtime`. */
export const LAMBDA_NODE_MAJOR = 24;

/** Largest function bundle (`index.mjs`, source map not counted) the bundle-size test accepts. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/**
 * Lets CommonJS dependencies bundled into the ESM output call `require` (esbuild's ESM output has none, and some
 * dependencies still `require` Node built-ins).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild substitution that compiles the validated catalog into a bundle: esbuild replaces the literal expression
 * `process.env.CATALOG_JSON` (see `runtimeEnv` in shared/config/load-settings.ts) with the catalog's JSON text.
 */
export function catalogDefine(catalog: unknown): Record<string, string> {
  return { 'process.env.CATALOG_JSON': JSON.stringify(JSON.stringify(catalog)) };
}

/**
 * The bundling options of one function. `define`: esbuild substitutions compiled into the bundle (the catalog).
 */
export function functionBundling(define?: Readonly<Record<string, string>>): BundlingOptions {
  return {
    // The runtime's Node version, even though local development runs on Node 20.
    target: `node${LAMBDA_NODE_MAJOR}`,
    format: OutputFormat.ESM,
    // Prefer the ESM build of dependencies that ship both: esbuild can drop what an ESM module exports and nobody
    // imports (tree shaking), which it cannot do for CommonJS.
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    sourceMap: true,
    // Stack traces map to file and line without the sources themselves in the map: with `--enable-source-maps`
    // Node reads and parses the whole map when the bundle loads (cold start), and the sources made it ~4x bigger.
    sourcesContent: false,
    // Minifying renames classes; error names come from `new.target.name` (STYLE §6) and must survive.
    keepNames: true,
    // The AWS SDK is bundled, not taken from the runtime. The runtime's copy is whatever version that runtime
    // release carries (older than ours, and changing under us when AWS patches the runtime), and CDK's default
    // would mark only `@aws-sdk/*` external while bundling our `@smithy/*` packages: two SDK versions mixed in one
    // client. Bundled, the functions run the exact versions the tests run against.
    bundleAwsSDK: true,
    define: define ? { ...define } : undefined,
    // Packages replaced by a smaller stand-in in every bundle (BUNDLE_ALIASES).
    esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([name, path]) => [`--alias:${name}`, path])),
  };
}

/**
 * Imports that bundles resolve to a file of ours instead of the package:
 * - `form-data` (pulled in by axios with its MIME database, ~150 KB of every bundle that calls Microsoft) becomes
 *   Node's own FormData (bundling-shims/form-data.ts);
 * - `@aws-sdk/credential-provider-node` (every SDK client's default credential chain, with the STS and SSO clients of
 *   its later links, ~100 KB of every bundle) becomes its first link, the environment provider, the only one that
 *   answers on Lambda (bundling-shims/lambda-credentials.ts);
 * - `debug` (the tracer of axios' redirects, silent unless `DEBUG` is set) becomes a tracer
 *   that is always off (bundling-shims/no-debug.cjs).
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'form-data': fileURLToPath(new URL('./bundling-shims/form-data.ts', import.meta.url)),
  '@aws-sdk/credential-provider-node': fileURLToPath(
    new URL('./bundling-shims/lambda-credentials.ts', import.meta.url),
  ),
  debug: fileURLToPath(new URL('./bundling-shims/no-debug.cjs', import.meta.url)),
};

/**
 * The esbuild options CDK's `NodejsFunction` derives from `bundling` (its local bundling runs the esbuild CLI with
 * the equivalent flags: `--bundle --platform=node`, output `index.mjs` for ESM), for building a bundle outside CDK.
 *
 * @throws Error when `bundling` sets an option this translation does not know, so a new option added to
 *   `functionBundling` cannot silently make the measured bundles differ from the deployed ones.
 */
export function toEsbuildOptions(bundling: BundlingOptions, entry: string, outfile: string): BuildOptions {
  const known = new Set([
    'target',
    'format',
    'mainFields',
    'banner',
    'minify',
    'sourceMap',
    'sourcesContent',
    'keepNames',
    'bundleAwsSDK',
    'define',
    'esbuildArgs',
  ]);
  const unknown = Object.keys(bundling).filter(
    (key) => !known.has(key) && bundling[key as keyof BundlingOptions] !== undefined,
  );
  if (unknown.length > 0) {
    throw new Error(`toEsbuildOptions does not translate bundling option(s) ${unknown.join(', ')}: add them there`);
  }
  if (!bundling.bundleAwsSDK) throw new Error('toEsbuildOptions expects bundleAwsSDK: true (no externals)');
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: bundling.target,
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    mainFields: bundling.mainFields ? [...bundling.mainFields] : undefined,
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    keepNames: bundling.keepNames ?? false,
    define: bundling.define ? { ...bundling.define } : undefined,
    alias: aliasesOf(bundling.esbuildArgs),
    logLevel: 'silent',
  };
}

/** The `--alias:<name>` entries of `esbuildArgs` as esbuild's `alias` option; any other argument is refused. */
function aliasesOf(args: BundlingOptions['esbuildArgs']): Record<string, string> | undefined {
  if (!args) return undefined;
  const aliases: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    const name = /^--alias:(.+)$/.exec(key)?.[1];
    if (!name || typeof value !== 'string')
      throw new Error(`toEsbuildOptions does not translate esbuild argument ${key}`);
    aliases[name] = value;
  }
  return aliases;
}
