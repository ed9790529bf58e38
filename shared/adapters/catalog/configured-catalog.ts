import { readFileSync } from 'node:fs';
import { catalogFormatOf, parseCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import type { CatalogSource } from '#shared/config/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';

/**
 * The catalog a function runs with: compiled into the bundle by the CDK app in AWS, read from a file locally.
 * Read synchronously because it happens once, at cold start, before the first request.
 * @throws CatalogError listing every problem (offer, plan, field) when the catalog is invalid.
 */
export function loadConfiguredCatalog(source: CatalogSource): Catalog {
  if ('json' in source) return parseCatalog(source.json, 'json', 'the catalog compiled into this function');
  return parseCatalog(readFileSync(source.path, 'utf8'), catalogFormatOf(source.path), source.path);
}
