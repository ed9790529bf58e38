import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCatalogJson } from '#shared/adapters/catalog/catalog-schema.ts';
import { ConfigError } from '#shared/config/load-settings.ts';
import type { CatalogSource } from '#shared/config/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The catalog a function runs with: compiled into the bundle as JSON by the CDK app in AWS; locally (local mode, the
 * handler tests) the catalog YAML is read by the caller (`loadCatalog`) and handed over the same way, as
 * `CATALOG_JSON`, or as a JSON file. Functions read JSON only, so the YAML parser (about 117 KB minified) stays out
 * of every function bundle: importing it here would bundle it even though AWS never takes this path.
 * Read synchronously because it happens once, at cold start, before the first request.
 * @throws CatalogError listing every problem (offer, plan, field) when the catalog is invalid.
 * @throws ConfigError when `CATALOG_PATH` names a file that is not JSON.
 */
export function loadConfiguredCatalog(source: CatalogSource): Catalog {
  if ('json' in source) return parseCatalogJson(source.json, 'the catalog compiled into this function');
  if (extname(source.path).toLowerCase() !== '.json') {
    throw new ConfigError(
      `Invalid configuration: ${ENV.catalogPath} must name a JSON catalog file (functions do not read YAML), got ` +
        `"${source.path}". Set ${ENV.catalogJson} to the catalog as JSON instead, e.g. ` +
        `JSON.stringify(await loadCatalog('infra/catalog/catalog.yaml')), as local mode does.`,
    );
  }
  return parseCatalogJson(readFileSync(source.path, 'utf8'), `catalog file ${source.path}`);
}
