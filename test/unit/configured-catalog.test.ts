import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { loadConfiguredCatalog } from '#shared/adapters/catalog/configured-catalog.ts';
import { ConfigError } from '#shared/config/load-settings.ts';
import { CatalogError } from '#shared/domain/catalog-rules.ts';

const catalogYaml = join(REPO_ROOT, 'infra/catalog/catalog.yaml');

describe('loadConfiguredCatalog (the catalog a function runs with)', () => {
  const dir = mkdtemp(join(tmpdir(), 'configured-catalog-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('takes the catalog compiled in as JSON, equal to the YAML file it came from', async () => {
    const fromYaml = await loadCatalog(catalogYaml);

    expect(loadConfiguredCatalog({ json: JSON.stringify(fromYaml) })).toEqual(fromYaml);
  });

  it('reads a JSON catalog file', async () => {
    const fromYaml = await loadCatalog(catalogYaml);
    const path = join(await dir, 'catalog.json');
    await writeFile(path, JSON.stringify(fromYaml));

    expect(loadConfiguredCatalog({ path })).toEqual(fromYaml);
  });

  it('refuses a YAML file with what to set instead (functions bundle no YAML parser)', () => {
    expect(() => loadConfiguredCatalog({ path: catalogYaml })).toThrow(ConfigError);
    expect(() => loadConfiguredCatalog({ path: catalogYaml })).toThrow(/CATALOG_PATH must name a JSON.*CATALOG_JSON/s);
  });

  it('checks the compiled-in catalog like a file: every problem named', () => {
    const broken = JSON.stringify({ offers: [{ id: 'o', displayName: 'O', plans: [], extra: 1 }] });

    expect(() => loadConfiguredCatalog({ json: broken })).toThrow(CatalogError);
    expect(() => loadConfiguredCatalog({ json: broken })).toThrow(/extra/);
  });
});
