import { gunzipSync } from 'node:zlib';
import { jsonTextResponse } from '#shared/http/errors.ts';
import { referencePage } from '#shared/http/openapi/reference-page.ts';
import { OPENAPI_DOCUMENT_GZIP_BASE64 } from './openapi-document.generated.ts';
import type { Route } from './routes.ts';

/**
 * The API's description, without an API key: `GET /openapi.json` (OpenAPI 3.1) and `GET /docs/api` (a readable
 * page rendered from it). The document is docs/openapi.json, written by `npm run openapi` from the zod schemas and
 * checked by `npm test` to be what they generate, so the one served cannot differ from the code; bundling the file
 * keeps the generator (and its library) out of the function. It is bundled compressed (openapi-document.generated.ts,
 * written with it) and expanded once, on the first request for either route.
 */
export function docsRoutes(): Route[] {
  let documentText: string | undefined;
  let page: ReturnType<typeof referencePage> | undefined;
  const openApiText = () => {
    documentText ??= gunzipSync(Buffer.from(OPENAPI_DOCUMENT_GZIP_BASE64, 'base64')).toString('utf8');
    return documentText;
  };
  return [
    {
      method: 'GET',
      path: '/openapi.json',
      public: true,
      handler: async () => {
        // Public and the same for everyone until the next deployment: caches may keep it for a while.
        return jsonTextResponse(200, openApiText(), { 'cache-control': 'public, max-age=300' });
      },
    },
    {
      method: 'GET',
      path: '/docs/api',
      public: true,
      handler: async () => {
        // The committed file's shape is the OpenAPI document that test/unit/openapi.test.ts validates.
        page ??= referencePage(JSON.parse(openApiText()) as Parameters<typeof referencePage>[0]);
        return page;
      },
    },
  ];
}
