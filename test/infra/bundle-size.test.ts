import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES } from '#infra/constructs/function-bundling.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { bundleFunction } from '#test/helpers/function-bundles.ts';

/*
 * Bundle sizes are deterministic for a given lock file, so a limit on them is a fair test; how fast a bundle loads is
 * not, and is measured by `npm run bench:cold-start` only.
 */

const KB = 1024;

/**
 * The functions still over the 1 MB target, each with the size it may not grow beyond until it is brought under
 * (measured size rounded up to the next 50 KB, then one more 50 KB of room for work in progress). A function brought
 * under 1 MB must leave this list (the last test says so), and a function not listed, such as a new one, gets the
 * 1 MB limit. See docs/testing-and-benchmarks.md "Bundle size and cold start".
 */
const OVER_TARGET_CEILINGS: Readonly<Record<string, number>> = {};

/**
 * MSAL (through `@azure/identity`'s credentials) is about 330 KB with its JWT library: the system gets its Entra
 * tokens through openid-client instead (shared/adapters/marketplace/entra-client-credential.ts), and no bundle may
 * bring MSAL back by a runtime import of `@azure/identity` (type imports are free).
 */
const NEVER_BUNDLED = ['@azure/identity', '@azure/msal-node', '@azure/msal-common', 'jsonwebtoken', 'semver'];

/**
 * Packages BUNDLE_ALIASES replace (and what only they bring): none may reach a bundle by another path, such as a
 * dependency importing a file inside the package.
 */
const REPLACED_PACKAGES = [
  'form-data',
  'mime-db',
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/nested-clients',
  'debug',
  'supports-color',
];

/** Functions that never call Microsoft: they must not bundle the marketplace client's Entra client or HTTP client. */
const NO_MARKETPLACE = ['Api', 'UsageAggregator', 'AlertChecks', 'UsageReportDispatcher', 'Portal'];
const MARKETPLACE_CLIENT_PACKAGES = ['axios', 'axios-retry', 'follow-redirects'];

describe('function bundles', () => {
  const outdir = mkdtemp(join(tmpdir(), 'bundle-size-'));
  const sizes = new Map<string, number>();
  afterAll(async () => rm(await outdir, { recursive: true, force: true }));

  it.each(FUNCTIONS.map((definition) => [definition.id, definition] as const))(
    '%s stays within its size limit, bundled as CDK bundles it',
    { timeout: 60_000 },
    async (id, definition) => {
      const bundle = await bundleFunction(definition, await outdir);
      sizes.set(id, bundle.bytes);
      const limit = OVER_TARGET_CEILINGS[id] ?? MAX_BUNDLE_BYTES;

      expect(
        bundle.bytes,
        `${id} bundles to ${(bundle.bytes / KB).toFixed(0)} KB, over its ${(limit / KB).toFixed(0)} KB limit; see ` +
          `what makes it big with \`npm run bench:cold-start -- --why ${id}\``,
      ).toBeLessThanOrEqual(limit);
      // The catalog is compiled in as JSON (`catalogDefine`): a function that bundles the YAML parser has a path to
      // `catalog-file.ts` again (functions read the catalog through `configured-catalog.ts`).
      expect(bundle.packages.has('yaml'), `${id} bundles the YAML parser`).toBe(false);
      expect(REPLACED_PACKAGES.filter((name) => bundle.packages.has(name))).toEqual([]);
      expect(
        NEVER_BUNDLED.filter((name) => bundle.packages.has(name)),
        `${id} bundles MSAL: import only types from @azure/identity (trace it with \`npm run bench:cold-start -- --why ${id}\`)`,
      ).toEqual([]);
      if (NO_MARKETPLACE.includes(id)) {
        expect(
          MARKETPLACE_CLIENT_PACKAGES.filter((name) => bundle.packages.has(name)),
          `${id} never calls Microsoft but bundles the marketplace client's packages: trace the import with ` +
            `\`npm run bench:cold-start -- --why ${id}\` and import only the adapters it uses`,
        ).toEqual([]);
      }
    },
  );

  it('names only existing functions as never calling Microsoft', () => {
    const ids = new Set(FUNCTIONS.map((definition) => definition.id));
    expect(NO_MARKETPLACE.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('lists as over the 1 MB target only functions that still are', () => {
    for (const id of Object.keys(OVER_TARGET_CEILINGS)) {
      const bytes = sizes.get(id);
      expect(
        bytes,
        `${id} was not measured: its bundle failed, or OVER_TARGET_CEILINGS names no function of that id`,
      ).toBeDefined();
      expect(
        bytes,
        `${id} is now ${((bytes ?? 0) / KB).toFixed(0)} KB: remove it from OVER_TARGET_CEILINGS`,
      ).toBeGreaterThan(MAX_BUNDLE_BYTES);
    }
  });
});
