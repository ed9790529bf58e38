import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { PortalAssetManifest } from './pages.ts';

/** What the bundler writes beside the assets: the current file names. Not an asset itself. */
const MANIFEST = 'manifest.json';

/** Asset names are content-hashed file names in one flat folder: no separators, no leading dot, nothing else. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const TEXT = new Set(['.js', '.css', '.map', '.svg']);

let manifest: Promise<PortalAssetManifest> | undefined;

/**
 * The asset manifest (`manifest.json` of the assets folder), read once per cold start: the names change only with a
 * new deployment (a new bundle), which is a new cold start.
 * @throws Error when the folder holds no manifest with a script and a stylesheet (a broken build).
 */
export function readAssetManifest(dir: string): Promise<PortalAssetManifest> {
  manifest ??= readFile(join(dir, MANIFEST), 'utf8').then((text) => {
    const parsed = JSON.parse(text) as Partial<PortalAssetManifest>;
    if (typeof parsed.script !== 'string' || typeof parsed.style !== 'string') {
      throw new Error(`${join(dir, MANIFEST)} names no script and stylesheet`);
    }
    return { script: parsed.script, style: parsed.style };
  });
  manifest.catch(() => {
    manifest = undefined;
  });
  return manifest;
}

/**
 * `GET /portal/assets/<name>`: a file of the assets folder with its content type, cached for a year as immutable
 * (names are content hashes: a changed file is a new name). 404 for anything else: unknown names, the manifest,
 * sub-paths, encoded separators or dot segments (no way out of the folder).
 */
export async function portalAsset(dir: string, name: string): Promise<APIGatewayProxyStructuredResultV2> {
  const extension = extname(name).toLowerCase();
  const contentType = CONTENT_TYPES[extension];
  if (!ASSET_NAME.test(name) || name === MANIFEST || contentType === undefined) return notFound();
  let content: Buffer;
  try {
    content = await readFile(join(dir, name));
  } catch {
    return notFound();
  }
  const text = TEXT.has(extension);
  return {
    statusCode: 200,
    headers: {
      'content-type': contentType,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    },
    body: text ? content.toString('utf8') : content.toString('base64'),
    isBase64Encoded: !text,
  };
}

function notFound(): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: 'No such portal asset.',
  };
}
