/**
 * The CDK app: a stateful stack (table, queues, topics) and a stateless stack (functions, API) that uses it.
 *
 * Context (`cdk synth -c key=value`): the settings of `infra/deployment-settings.ts` (stack prefix, catalog, …).
 * With `domainName`, two more stacks: `<prefix>Firewall` (us-east-1) and `<prefix>Edge` (infra/edge-stacks.ts).
 * The catalog is validated here, so an invalid catalog fails `cdk synth` before anything is deployed.
 *
 * Synthesis is offline: no lookups, no credentials; run with `CDK_DISABLE_CLI_TELEMETRY=true`.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '#infra/compliance.ts';
import { DeploymentSettingsError, readDeploymentSettings } from '#infra/deployment-settings.ts';
import { addEdgeStacks } from '#infra/edge-stacks.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { CatalogError } from '#shared/domain/catalog-rules.ts';

const app = new App();
const settings = readSettings(app);
const prefix = settings.stackPrefix;
const catalog = await readCatalog(resolve(settings.catalogPath));

// Account and region come from the CLI's environment at deploy time (environment-agnostic stacks), which
// keeps synthesis free of lookups.
const stateful = new StatefulStack(app, `${prefix}Stateful`, {
  description: 'Marketplace metering: table, queues and topics (retained data)',
  settings,
});
const stateless = new StatelessStack(app, `${prefix}Stateless`, {
  description: 'Marketplace metering: functions and HTTP API',
  stateful,
  catalog,
  settings,
});
// Opt-in (`-c domainName=…`): the custom domain behind CloudFront and AWS WAF, in two stacks of their own.
if (settings.customDomain) {
  addEdgeStacks(app, prefix, settings.customDomain, stateless, { onCallEmail: settings.onCallEmail });
}

// cdk-nag (AwsSolutions): synthesis fails on any finding that is neither fixed nor acknowledged with a reason.
addComplianceChecks(app);

app.synth();

/** The context settings (infra/deployment-settings.ts); a bad one is printed with its key, and synthesis stops. */
function readSettings(scope: App) {
  try {
    return readDeploymentSettings(scope.node);
  } catch (error) {
    if (error instanceof DeploymentSettingsError) return fail(error.message);
    throw error;
  }
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
