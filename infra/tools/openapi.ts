import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `npm run openapi`: writes the OpenAPI 3.1 description generated from the zod schemas (infra/openapi/) to
 * docs/openapi.json, and the same compressed into the module the Api function serves at `GET /openapi.json`.
 * `npm test` fails while the committed files differ from what the code generates, and the generation fails naming
 * any route without a description.
 */
const REPO_ROOT = resolve(import.meta.dirname, '../..');
// The generator reads the routes, and the Api's routes import the compressed module: it must exist (empty will do)
// before the generator loads, or a deleted module could not be written again.
const MODULE_FILE = 'functions/api/openapi-document.generated.ts';
if (!existsSync(resolve(REPO_ROOT, MODULE_FILE))) {
  writeFileSync(resolve(REPO_ROOT, MODULE_FILE), "export const OPENAPI_DOCUMENT_GZIP_BASE64 = '';\n");
}
const { compressedOpenApiModule, OPENAPI_FILE, OPENAPI_MODULE_FILE, openApiText } = await import(
  '#infra/openapi/document.ts'
);
if (OPENAPI_MODULE_FILE !== MODULE_FILE)
  throw new Error(`infra/tools/openapi.ts: MODULE_FILE is not ${OPENAPI_MODULE_FILE}`);
const text = openApiText();
writeFileSync(resolve(REPO_ROOT, OPENAPI_FILE), text);
writeFileSync(resolve(REPO_ROOT, OPENAPI_MODULE_FILE), compressedOpenApiModule(text));
const operations = Object.values(JSON.parse(text).paths as Record<string, object>).reduce(
  (count: number, item) => count + Object.keys(item).length,
  0,
);
console.log(
  `Wrote ${OPENAPI_FILE}: ${operations} operations, ${Buffer.byteLength(text)} bytes; and ${OPENAPI_MODULE_FILE}.`,
);
