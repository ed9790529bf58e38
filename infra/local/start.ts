import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { HTTP_ROUTES, SCHEDULES } from '#infra/functions.ts';
import { REPO_ROOT, startLocalSystem } from '#infra/local/local-system.ts';

/**
 * `npm start`: the whole system on this machine. Data survives restarts in `.local/dynamodb` (git-ignored);
 * Ctrl-C stops the HTTP server, fauxqs and the DynamoDB Local JVM before exiting.
 */
// Lambda runs Node 24; the SDK's notice about Node 20 support ending is noise for a local run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const localDir = resolve(REPO_ROOT, process.env.LOCAL_DIR ?? '.local');
const dataDir = join(localDir, 'dynamodb');
mkdirSync(dataDir, { recursive: true });
const apiPort = Number(process.env.PORT ?? 3000);
const bootstrapKeyFile = join(localDir, 'bootstrap-key');

const system = await startLocalSystem({
  dataDir,
  apiPort,
  bootstrapKeyFile,
  localDir,
  log: (line) => console.error(line),
});
const { emulator } = system;

const lines = [
  '',
  'Marketplace metering and fulfillment: local mode',
  '',
  `  HTTP API         ${system.apiUrl}`,
  ...HTTP_ROUTES.map((route) => `    ${route.methods.join(',').padEnd(6)} ${route.path}  → ${route.functionId}`),
  `  DynamoDB Local   ${system.endpoints.dynamodb}   data in ${dataDir}`,
  `  SQS/SNS (fauxqs) ${system.endpoints.sqs}`,
  ...Object.entries(system.resources).map(([name, value]) => `    ${name}=${value}`),
  `    Dead letters (failed queue messages, and scheduled runs that threw) ${system.deadLetterQueueUrl}`,
  `  Marketplace emulator (stands in for Microsoft; state is in memory and starts empty at each start)`,
  `    Marketplace API  ${emulator.baseUrl}`,
  `    Control API      ${emulator.controlUrl}   (buy, change, suspend, renew, cancel; move its clock)`,
  `    Fake Entra       ${emulator.entra.authorityHost}   (CA: ${relative(REPO_ROOT, join(localDir, 'emulator-ca.pem'))})`,
  `  Schedules        ${SCHEDULES.length === 0 ? 'none yet' : SCHEDULES.map((s) => `${s.id} every ${s.everyMinutes} min`).join(', ')}`,
  `  Local clock      ${system.clock.now().toISOString()}${system.clock.offsetMs > 0 ? ` (moved ${Math.round(system.clock.offsetMs / 60_000)} min ahead of the real clock)` : ''}`,
  '    shared by the functions, the schedules and the emulator; move it forward and the due schedules run at once:',
  '    npm run clock -- +2h',
  '',
  system.bootstrapKey.created
    ? `  A publisher API key was created for you (kept in ${relative(REPO_ROOT, bootstrapKeyFile)}):`
    : `  Publisher API key (from ${relative(REPO_ROOT, bootstrapKeyFile)}):`,
  `    ${system.bootstrapKey.token}`,
  '',
  '  Try:',
  `    curl -H "Authorization: Bearer $(cat ${relative(REPO_ROOT, bootstrapKeyFile)})" ${system.apiUrl}/health`,
  `    curl -H "Authorization: Bearer $(cat ${relative(REPO_ROOT, bootstrapKeyFile)})" ${system.apiUrl}/v1/catalog`,
  '',
  '  Alerts: the notifier sends them to confirmed contacts through local stand-ins of SES and End User Messaging SMS',
  `    Mails (SES)      ${system.mail.endpoint}   (open in a browser: every mail the notifier sent)`,
  `    SMS              ${system.sms.endpoint}/messages`,
  '    Every alert also lands in the outbox, whoever its contacts are:',
  `    curl -H "Authorization: Bearer $(cat ${relative(REPO_ROOT, bootstrapKeyFile)})" ${system.apiUrl}/v1/outbox`,
  '',
  "  Portal and sign-in (through the fake Entra's test-user form; the landing page signs in first too):",
  `    Portal           ${system.apiUrl}/portal`,
  `    Sign in          ${system.apiUrl}/auth/sign-in`,
  ...emulator.entra.signIn.users.map(
    (user) =>
      `    ${user.label.padEnd(16)} ${user.name} <${user.email}>  tenant ${user.tenantId}  object ${user.objectId}`,
  ),
  "    (the customer is the tenant of the purchase below; register a partner with the partner's tenant id to make it one)",
  '',
  '  Buy a subscription in the emulator (then open the landingUrl it answers with):',
  `    curl -s -X POST ${emulator.controlUrl}/purchases -H 'content-type: application/json' \\`,
  `      -d '{"offerId":"contoso-analytics","planId":"basic","beneficiary":{"tenantId":"11111111-1111-4111-8111-111111111111","emailId":"it@customer.example"},"purchaser":{"tenantId":"11111111-1111-4111-8111-111111111111","emailId":"buyer@customer.example"}}'`,
  '',
  '  Ctrl-C stops everything.',
  '',
];
console.log(lines.join('\n'));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local system…`);
  await system.stop();
  console.log('Stopped: HTTP server, marketplace emulator, fauxqs and DynamoDB Local are down.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
