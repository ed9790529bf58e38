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
 * (names are content hashes: a changed file is a new name), brotli- or gzip-compressed when `acceptEncoding` allows.
 * 404 for anything else: unknown names, the manifest, sub-paths, encoded separators or dot segments (no way out of
 * the folder).
 */
export async function portalAsset(
  dir: string,
  name: string,
  acceptEncoding = '',
): Promise<APIGatewayProxyStructuredResultV2> {
  const extension = extname(name).toLowerCase();
  const contentType = CONTENT_TYPES[extension];
  if (!ASSET_NAME.test(name) || name === MANIFEST || contentType === undefined) return notFound();
  const headers = {
    'content-type': contentType,
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  };
  const text = TEXT.has(extension);
  if (text) {
    // The copy the build compressed (brotli, else gzip) when the browser accepts it: the script is ~100 KB as is.
    for (const encoding of acceptedEncodings(acceptEncoding)) {
      const compressed = await readFile(join(dir, `${name}.${ENCODING_SUFFIX[encoding]}`)).catch(() => undefined);
      if (compressed) {
        return {
          statusCode: 200,
          headers: { ...headers, 'content-encoding': encoding, vary: 'accept-encoding' },
          body: compressed.toString('base64'),
          isBase64Encoded: true,
        };
      }
    }
  }
  let content: Buffer;
  try {
    content = await readFile(join(dir, name));
  } catch {
    return notFound();
  }
  return {
    statusCode: 200,
    headers: text ? { ...headers, vary: 'accept-encoding' } : headers,
    body: text ? content.toString('utf8') : content.toString('base64'),
    isBase64Encoded: !text,
  };
}

const ENCODING_SUFFIX = { br: 'br', gzip: 'gz' } as const;
type ContentEncoding = keyof typeof ENCODING_SUFFIX;

/**
 * The encodings of an `Accept-Encoding` header we have copies in, best first (brotli is smaller): `br` and `gzip`
 * unless refused with `q=0`, or `*` (RFC 9110 §12.5.3).
 */
export function acceptedEncodings(header: string): ContentEncoding[] {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [coding = '', ...parameters] = part.trim().split(';');
    if (!coding) continue;
    const q = parameters.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    weights.set(coding.trim(), q === undefined ? 1 : Number(q));
  }
  const weightOf = (coding: string) => weights.get(coding) ?? weights.get('*') ?? 0;
  return (Object.keys(ENCODING_SUFFIX) as ContentEncoding[]).filter((coding) => weightOf(coding) > 0);
}

function notFound(): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: 'No such portal asset.',
  };
}
