import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CLOCK_PATH } from '#infra/local/clock-endpoint.ts';
import { findLocalSystem, LOCAL_SYSTEM_FILE } from '#infra/local/local-system-file.ts';
import { type CheckResult, formatResults, runSmokeChecks, type SmokeTarget } from '#infra/tools/smoke-checks.ts';
import {
  checkDataProtection,
  describeDeployedStack,
  readDataProtection,
  SmokeSetupError,
  withTemporaryPublisherKey,
} from '#infra/tools/smoke-stack.ts';
import type { TestWebhookTarget } from '#infra/tools/smoke-test-webhook.ts';
import { createDocumentClient, createDynamoDbClient } from '#shared/adapters/aws-clients.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoTestSubscriptions } from '#shared/adapters/dynamodb/dynamo-test-subscriptions.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * `npm run smoke`: checks a running system end to end, one line per check, and exits non-zero when any fails.
 * Run it after every deploy (docs/deploy.md); what each check does and why it is safe: infra/tools/smoke-checks.ts.
 *
 *   npm run smoke -- --stack Marketplace      the deployed <prefix>Stateful / <prefix>Stateless (your AWS credentials)
 *   npm run smoke -- --local                  the local system of `npm start` (LOCAL_DIR as for npm start)
 *   npm run smoke -- --url <api url> --api-key <publisher key>
 *
 * Options: `--api-key` (or SMOKE_API_KEY; with `--stack` a temporary publisher key is made and revoked when absent),
 * `--subscription-id <id> --dimension <id> [--quantity <n>]` for the usage round trip on a test subscription (its
 * usage is real and reported to Microsoft). With `--local` and no subscription, one is bought in the emulator.
 */
// The SDK's notice about Node 20 support ending is noise in a one-line-per-check report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE =
  'Usage: npm run smoke -- --stack <prefix> | --local | --url <api url> --api-key <key>\n' +
  '       [--api-key <publisher key>] [--subscription-id <id> --dimension <id> [--quantity <n>]]';

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        stack: { type: 'string' },
        local: { type: 'boolean', default: false },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        'subscription-id': { type: 'string' },
        dimension: { type: 'string' },
        quantity: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return exit(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

const targets = [values.stack, values.local || undefined, values.url].filter((target) => target !== undefined);
if (values.help || targets.length !== 1) exit(USAGE, values.help ? 0 : 2);
if (values['subscription-id'] && !values.dimension) {
  exit('--subscription-id needs --dimension: the id of a metered dimension of its plan', 2);
}
if (!/^\d+(\.\d{1,6})?$/.test(values.quantity) || Number(values.quantity) <= 0) {
  exit('--quantity must be a number above 0 with at most 6 decimals', 2);
}

const apiKey = values['api-key'] ?? process.env.SMOKE_API_KEY;
const testSubscription = values['subscription-id']
  ? { id: values['subscription-id'], dimension: values.dimension ?? '', quantity: values.quantity }
  : undefined;

try {
  const results = values.stack
    ? await smokeStack(values.stack)
    : values.local
      ? await smokeLocal()
      : await runSmokeChecks({ apiUrl: values.url ?? '', apiKey, testSubscription });
  console.log(formatResults(results));
  const failed = results.filter((result) => result.status === 'fail');
  console.log(failed.length === 0 ? 'Smoke check passed.' : `Smoke check FAILED: ${failed.length} check(s).`);
  process.exit(failed.length === 0 ? 0 : 1);
} catch (error) {
  if (error instanceof SmokeSetupError) exit(error.message, 1);
  const name = (error as Error).name;
  if ((error as Error).message === 'Region is missing') {
    exit("No AWS region: set AWS_REGION (or a profile with a region in AWS_PROFILE) to the stacks' region", 1);
  }
  if (name === 'CredentialsProviderError' || name === 'ExpiredTokenException') {
    exit(`No usable AWS credentials (${(error as Error).message}): set AWS_PROFILE or log in, then retry`, 1);
  }
  throw error;
}

async function smokeStack(prefix: string): Promise<CheckResult[]> {
  const stack = await describeDeployedStack(prefix);
  console.log(`Checking ${prefix}: ${stack.apiUrl} (table ${stack.tableName})`);
  const protection: CheckResult = {
    name: 'data protection',
    ...(await readDataProtection(createDynamoDbClient(), stack).then(checkDataProtection, (error: Error) => ({
      status: 'fail' as const,
      detail: `cannot read table ${stack.tableName} (${error.name}: ${error.message})`,
    }))),
  };
  const documents = createDocumentClient();
  const run = (key: string) =>
    runSmokeChecks({
      apiUrl: stack.apiUrl,
      ...(stack.executeApiUrl ? { executeApiUrl: stack.executeApiUrl } : {}),
      apiKey: key,
      entra: stack.entra,
      testSubscription,
      ...(stack.entra
        ? { testWebhooks: testWebhookTarget(documents, stack.tableName, stack.testWebhooks, stack.entra.clientId) }
        : {}),
    });
  const checks = apiKey ? await run(apiKey) : await withTemporaryPublisherKey(documents, stack.tableName, run);
  return [protection, ...checks];
}

async function smokeLocal(): Promise<CheckResult[]> {
  const localDir = resolve(import.meta.dirname, '../..', process.env.LOCAL_DIR ?? '.local');
  const found = await findLocalSystem(localDir);
  if (!found) {
    throw new SmokeSetupError(`No local system in ${localDir} (no ${LOCAL_SYSTEM_FILE}): start it with npm start`);
  }
  const { system, bootstrapKey } = found;
  const key = apiKey ?? bootstrapKey;
  // The local table and the emulator's app, as the local functions have them (the shell's AWS settings must not
  // send the test subscription elsewhere).
  Object.assign(process.env, system.toolEnv ?? {});
  const tableName = system.toolEnv?.[ENV.tableName];
  const appId = system.toolEnv?.[ENV.entraClientId];
  console.log(`Checking the local system: ${system.apiUrl}`);
  const target: SmokeTarget = {
    apiUrl: system.apiUrl,
    apiKey: key,
    clockOffsetMs: await localClockOffsetMs(system.apiUrl, bootstrapKey),
    entra: system.toolEnv?.ENTRA_TENANT_ID
      ? { tenantId: system.toolEnv.ENTRA_TENANT_ID, clientId: system.toolEnv.ENTRA_CLIENT_ID ?? '' }
      : undefined,
    testSubscription: testSubscription ?? (await buyLocalTestSubscription(system, key)),
    // The local mode always accepts test webhooks (infra/local/local-system.ts).
    ...(tableName && appId ? { testWebhooks: testWebhookTarget(createDocumentClient(), tableName, 'on', appId) } : {}),
  };
  return runSmokeChecks(target);
}

/** The `test webhook` check's access to the table: the operator's own rights, as for the temporary API key. */
function testWebhookTarget(
  documents: DynamoDBDocumentClient,
  tableName: string,
  mode: 'on' | 'off',
  appId: string,
): TestWebhookTarget {
  const subscriptions = new DynamoSubscriptionStore(documents, tableName);
  return {
    mode,
    appId,
    createSubscription: (subscription) => subscriptions.createIfAbsent(subscription),
    testSubscriptions: new DynamoTestSubscriptions(documents, tableName),
  };
}

/** How far `npm run clock` has moved the local system's clock ahead (0 when it cannot be read). */
async function localClockOffsetMs(apiUrl: string, bootstrapKey: string): Promise<number> {
  try {
    const response = await fetch(`${apiUrl}${LOCAL_CLOCK_PATH}`, {
      headers: { authorization: `Bearer ${bootstrapKey}` },
    });
    return response.ok ? (((await response.json()) as { offsetMs?: number }).offsetMs ?? 0) : 0;
  } catch {
    return 0;
  }
}

/**
 * A subscription bought in the local marketplace emulator (no Microsoft involved) on a plan that is active at
 * purchase and has a metered dimension, so the round trip needs no landing page visit.
 * @throws SmokeSetupError when the catalog has no such plan (then pass --subscription-id).
 */
async function buyLocalTestSubscription(
  system: { apiUrl: string; emulatorControlUrl: string },
  key: string,
): Promise<SmokeTarget['testSubscription']> {
  const catalog = (await (
    await fetch(`${system.apiUrl}/v1/catalog`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as {
    offers?: {
      id: string;
      plans: { id: string; autoActivation?: boolean; meteredDimensions: { dimensionId: string }[] }[];
    }[];
  };
  for (const offer of catalog.offers ?? []) {
    const plan = offer.plans.find((candidate) => candidate.autoActivation && candidate.meteredDimensions.length > 0);
    const dimension = plan?.meteredDimensions[0]?.dimensionId;
    if (!plan || !dimension) continue;
    const tenant = { tenantId: '11111111-1111-4111-8111-111111111111', emailId: 'smoke@customer.example' };
    const bought = await fetch(`${system.emulatorControlUrl}/purchases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offerId: offer.id, planId: plan.id, beneficiary: tenant, purchaser: tenant }),
    });
    if (!bought.ok) throw new SmokeSetupError(`The emulator refused a test purchase: ${await bought.text()}`);
    const { subscriptionId } = (await bought.json()) as { subscriptionId: string };
    return { id: subscriptionId, dimension, quantity: values.quantity };
  }
  throw new SmokeSetupError(
    'The local catalog has no auto-activated plan with a metered dimension to buy a test subscription on: ' +
      'pass --subscription-id <id> --dimension <id> of an activated subscription',
  );
}

function exit(message: string, code: number): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}
