import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findLocalSystem, LOCAL_SYSTEM_FILE } from '#infra/local/local-system-file.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import { loadMarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { ENV } from '#shared/env-names.ts';
import { reconcileUsage } from '#shared/use-cases/metering/reconcile-usage.ts';

/**
 * Operator tool: compares the usage our ledger recorded as accepted with Microsoft's retrieval API, per UTC day,
 * subscription and dimension, and prints every difference (exit code 1 when there is one). Read-only.
 *
 *   npm run reconcile -- --from 2026-01-01 [--to 2026-01-02]            # the local system of `npm start`
 *   npm run reconcile -- --from 2026-01-01 --table <TableName output>  # a deployed stack
 *
 * Without `--table` (and without TABLE_NAME) it works on the running local system: its table in DynamoDB Local and
 * its marketplace emulator, found through `.local/local-system.json` (`LOCAL_DIR` as for `npm start`). With a table,
 * the marketplace client is configured from the environment as in the functions (ENTRA_TENANT_ID, ENTRA_CLIENT_ID,
 * ENTRA_CREDENTIAL_KIND, ENTRA_CLIENT_SECRET_PARAMETER, ENTRA_CLIENT_SECRET_ARN or ENTRA_CLIENT_SECRET, …; see
 * marketplace-config.ts) and AWS credentials are the operator's own.
 */
const { values } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string' }, table: { type: 'string' } },
});
if (!values.from) {
  console.error('Usage: npm run reconcile -- --from YYYY-MM-DD [--to YYYY-MM-DD] [--table <table name>]');
  process.exit(2);
}
let table = values.table ?? process.env[ENV.tableName];
if (!table) {
  const localDir = resolve(import.meta.dirname, '../..', process.env.LOCAL_DIR ?? '.local');
  const local = (await findLocalSystem(localDir))?.system.toolEnv;
  if (!local) {
    console.error(
      `No --table given and no local system found in ${relative(process.cwd(), localDir) || '.'}/ ` +
        `(no ${LOCAL_SYSTEM_FILE} from a current npm start): start it with npm start, or pass --table <table name>.`,
    );
    process.exit(2);
  }
  // The local system's own settings win over the shell's: a leftover ENTRA_* must not send the emulator's ledger
  // to Microsoft.
  Object.assign(process.env, local);
  table = local[ENV.tableName];
}

const result = await reconcileUsage(
  {
    ledger: new DynamoReportingLedger(createDocumentClient(), table ?? ''),
    marketplace: await createHttpMarketplace(loadMarketplaceConfig()),
  },
  { from: values.from, to: values.to ?? values.from },
);
console.log(JSON.stringify(result, null, 2));
console.log(
  `${result.compared} (day, subscription, dimension) compared, ${result.matched} matched, ` +
    `${result.differences.length} different.`,
);
process.exit(result.differences.length > 0 ? 1 : 0);
