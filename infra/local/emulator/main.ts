/**
 * Runs the marketplace emulator on its own: `npx tsx infra/local/emulator/main.ts` (Ctrl-C stops it).
 *
 * Environment (all optional):
 * - `CATALOG_PATH`: plan catalog (default `infra/catalog/catalog.yaml`);
 * - `EMULATOR_PORT` (default 7070), `EMULATOR_ENTRA_PORT` (default 7071), `EMULATOR_CONTROL_PORT` (default: the
 *   control API shares `EMULATOR_PORT` under `/_emulator`);
 * - `EMULATOR_TENANT_ID`, `EMULATOR_CLIENT_ID`, `EMULATOR_CLIENT_SECRET`, `EMULATOR_PUBLISHER_ID`: the publisher app
 *   it accepts (default: generated at each start);
 * - `EMULATOR_WEBHOOK_URL`, `EMULATOR_LANDING_PAGE_URL`, `EMULATOR_SEED`, `EMULATOR_START_TIME` (ISO 8601).
 *
 * The Entra certificate is written to `.local/emulator-ca.pem`: pass it as `NODE_EXTRA_CA_CERTS` to a Node process
 * that should trust the fake authority, or to curl with `--cacert`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { startMarketplaceEmulator } from './index.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

function portOf(name: string, fallback: number | undefined): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number, not "${value}"`);
  return port;
}

const env = process.env;
const catalogPath = resolve(env.CATALOG_PATH ?? join(REPO_ROOT, 'infra/catalog/catalog.yaml'));
const emulator = await startMarketplaceEmulator({
  catalog: await loadCatalog(catalogPath),
  port: portOf('EMULATOR_PORT', 7070),
  entraPort: portOf('EMULATOR_ENTRA_PORT', 7071),
  ...(env.EMULATOR_CONTROL_PORT ? { controlPort: portOf('EMULATOR_CONTROL_PORT', 0) } : {}),
  publisher: {
    ...(env.EMULATOR_TENANT_ID ? { tenantId: env.EMULATOR_TENANT_ID } : {}),
    ...(env.EMULATOR_CLIENT_ID ? { clientId: env.EMULATOR_CLIENT_ID } : {}),
    ...(env.EMULATOR_CLIENT_SECRET ? { clientSecret: env.EMULATOR_CLIENT_SECRET } : {}),
    ...(env.EMULATOR_PUBLISHER_ID ? { publisherId: env.EMULATOR_PUBLISHER_ID } : {}),
  },
  ...(env.EMULATOR_WEBHOOK_URL ? { webhookUrl: env.EMULATOR_WEBHOOK_URL } : {}),
  ...(env.EMULATOR_LANDING_PAGE_URL ? { landingPageUrl: env.EMULATOR_LANDING_PAGE_URL } : {}),
  ...(env.EMULATOR_SEED ? { seed: Number(env.EMULATOR_SEED) } : {}),
  ...(env.EMULATOR_START_TIME ? { startTime: new Date(env.EMULATOR_START_TIME) } : {}),
  log: (line) => console.error(line),
});

const caPath = join(REPO_ROOT, '.local/emulator-ca.pem');
await mkdir(join(REPO_ROOT, '.local'), { recursive: true });
await writeFile(caPath, emulator.entra.caCertificatePem);

const { entra } = emulator;
console.log(`Marketplace emulator (catalog ${catalogPath})

  Marketplace API   ${emulator.baseUrl}   (api-version=2018-08-31)
  Control API       ${emulator.controlUrl}
  Entra authority   ${entra.authorityHost}   (CA certificate: ${caPath})
  OpenID config     ${entra.openIdConfigurationUrl}
  JWKS              ${entra.jwksUri}

  Publisher app it accepts:
    tenant id       ${entra.tenantId}
    client id       ${entra.clientId}
    client secret   ${entra.clientSecret}
    scope           20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default

  Buy a subscription:
    curl -s -X POST ${emulator.controlUrl}/purchases -H 'content-type: application/json' \\
      -d '{"offerId":"contoso-analytics","planId":"basic","beneficiary":{"tenantId":"${crypto.randomUUID()}","emailId":"user@customer.example"},"purchaser":{"tenantId":"${crypto.randomUUID()}","emailId":"buyer@customer.example"}}'
  Get a token:
    curl -s --cacert ${caPath} ${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token \\
      -d grant_type=client_credentials -d client_id=${entra.clientId} \\
      --data-urlencode client_secret=${entra.clientSecret} -d scope=20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default
  Set the webhook:  curl -s -X PUT ${emulator.controlUrl}/webhook -H 'content-type: application/json' -d '{"url":"http://127.0.0.1:3000/webhook"}'
  Move the clock:   curl -s -X POST ${emulator.controlUrl}/clock -H 'content-type: application/json' -d '{"advanceMs":10000}'

Ctrl-C stops it.`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
