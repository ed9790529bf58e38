import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPENAPI_FILE, openApiText } from '#infra/openapi/document.ts';

/**
 * `npm run openapi`: writes the OpenAPI 3.1 description generated from the zod schemas (infra/openapi/) to
 * docs/openapi.json, the file the Api function serves at `GET /openapi.json`. `npm test` fails while the committed
 * file differs from what the code generates, and the generation fails naming any route without a description.
 */
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const text = openApiText();
writeFileSync(resolve(REPO_ROOT, OPENAPI_FILE), text);
const operations = Object.values(JSON.parse(text).paths as Record<string, object>).reduce(
  (count: number, item) => count + Object.keys(item).length,
  0,
);
console.log(`Wrote ${OPENAPI_FILE}: ${operations} operations, ${Buffer.byteLength(text)} bytes.`);
