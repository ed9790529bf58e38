import { jsonTextResponse } from '#shared/http/errors.ts';
import { referencePage } from '#shared/http/openapi/reference-page.ts';
import openApiDocument from '../../docs/openapi.json' with { type: 'json' };
import type { Route } from './routes.ts';

/**
 * The API's description, without an API key: `GET /openapi.json` (OpenAPI 3.1) and `GET /docs/api` (a readable
 * page rendered from it). The document is docs/openapi.json, written by `npm run openapi` from the zod schemas and
 * checked by `npm test` to be what they generate, so the one served cannot differ from the code; bundling the file
 * keeps the generator (and its library) out of the function.
 */
export function docsRoutes(): Route[] {
  let documentText: string | undefined;
  let page: ReturnType<typeof referencePage> | undefined;
  return [
    {
      method: 'GET',
      path: '/openapi.json',
      public: true,
      handler: async () => {
        documentText ??= JSON.stringify(openApiDocument);
        // Public and the same for everyone until the next deployment: caches may keep it for a while.
        return jsonTextResponse(200, documentText, { 'cache-control': 'public, max-age=300' });
      },
    },
    {
      method: 'GET',
      path: '/docs/api',
      public: true,
      handler: async () => {
        // The committed file's shape is the OpenAPI document that test/unit/openapi.test.ts validates.
        page ??= referencePage(openApiDocument as unknown as Parameters<typeof referencePage>[0]);
        return page;
      },
    },
  ];
}
