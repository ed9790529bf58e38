/**
 * The plan catalog file (`infra/catalog/catalog.yaml`): our own format, so it is parsed strictly (an unknown key is
 * most likely a typo that would otherwise silently change a price), then checked with `validateCatalog`.
 * The CDK app, local mode and the tools read it here; functions get it compiled in as JSON (`configured-catalog.ts`).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';
import type { Catalog } from '#shared/domain/catalog.ts';
import { CatalogError } from '#shared/domain/catalog-rules.ts';
import { checkCatalogData, parseCatalogJson } from './catalog-schema.ts';

export { type CatalogFile, catalogFileSchema, toDecimalString } from './catalog-schema.ts';

/** The file formats a catalog can be written in. */
export type CatalogFormat = 'yaml' | 'json';

/** `catalog.yaml` / `.yml` → YAML, `.json` → JSON. */
export function catalogFormatOf(path: string): CatalogFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') {
    return 'yaml';
  }
  if (extension === '.json') {
    return 'json';
  }
  throw new CatalogError(
    [{ field: '(file)', message: `cannot tell the format of "${path}": name it *.yaml, *.yml or *.json` }],
    `catalog file ${path}`,
  );
}

/**
 * Reads, parses and validates a catalog file; the format follows the extension.
 * @throws {CatalogError} listing every problem in the file (syntax, shape, or business rules).
 */
export async function loadCatalog(path: string): Promise<Catalog> {
  const format = catalogFormatOf(path);
  const text = await readFile(path, 'utf8');
  return parseCatalog(text, format, `catalog file ${path}`);
}

/**
 * Parses and validates catalog text. Shape problems are reported first; the business rules run only on a catalog
 * whose shape is right, since they cannot reason about a half-parsed one.
 * @param source how error messages name the input, e.g. the file path.
 * @throws {CatalogError} listing every problem found.
 */
export function parseCatalog(text: string, format: CatalogFormat, source = 'the plan catalog'): Catalog {
  return format === 'yaml' ? checkCatalogData(parseYaml(text, source), source) : parseCatalogJson(text, source);
}

function parseYaml(text: string, source: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new CatalogError(
      // The first line holds the reason and position; the rest is a source excerpt that breaks the bullet list.
      document.errors.map((error) => ({ field: '(syntax)', message: error.message.split('\n')[0] ?? error.code })),
      source,
    );
  }
  // YAML reads `price: 100.10` as the float 100.1. Keep the text as written whenever the float would not print
  // back the same (trailing zeros, more digits than a double holds), so amounts reach the domain exactly.
  visit(document, {
    Scalar(_key, node) {
      if (
        isScalar(node) &&
        typeof node.value === 'number' &&
        node.source !== undefined &&
        /^-?\d+(\.\d+)?$/.test(node.source) &&
        String(node.value) !== node.source
      ) {
        node.value = node.source;
      }
    },
  });
  return document.toJS();
}
