/**
 * The CDK app: a stateful stack (table, queues, topics) and a stateless stack (functions, API) that uses it.
 *
 * Context (`cdk synth -c key=value`):
 * - `stackPrefix` (default `Marketplace`): stacks are `<prefix>Stateful` and `<prefix>Stateless`, so several
 *   copies (e.g. staging and production) can live in one account.
 * - `catalog` (default `infra/catalog/catalog.yaml`, relative to the directory of `cdk.json`): the plan catalog,
 *   YAML or JSON. It is validated here, so an invalid catalog fails `cdk synth` before anything is deployed.
 *
 * Synthesis is offline: no lookups, no credentials; run with `CDK_DISABLE_CLI_TELEMETRY=true`.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '#infra/compliance.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { CatalogError } from '#shared/domain/catalog-rules.ts';

const DEFAULT_CATALOG = 'infra/catalog/catalog.yaml';

const app = new App();
const prefix = contextString(app, 'stackPrefix') ?? 'Marketplace';
const catalog = await readCatalog(resolve(contextString(app, 'catalog') ?? DEFAULT_CATALOG));

// Account and region come from the CLI's environment at deploy time (environment-agnostic stacks), which
// keeps synthesis free of lookups.
const stateful = new StatefulStack(app, `${prefix}Stateful`, {
  description: 'Marketplace metering: table, queues and topics (retained data)',
});
new StatelessStack(app, `${prefix}Stateless`, {
  description: 'Marketplace metering: functions and HTTP API',
  stateful,
  catalog,
});

// cdk-nag (AwsSolutions): synthesis fails on any finding that is neither fixed nor acknowledged with a reason.
addComplianceChecks(app);

app.synth();

function contextString(scope: App, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`Context "${key}" must be a non-empty string`);
  return value;
}

/** Loads and validates the catalog; on a bad catalog, prints the loader's list of problems and exits non-zero. */
async function readCatalog(path: string): Promise<Catalog> {
  try {
    return await loadCatalog(path);
  } catch (error) {
    if (error instanceof CatalogError) return fail(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return fail(`Catalog file not found: ${path} (set another one with -c catalog=<path>)`);
    }
    throw error;
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
