import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SCHEDULES, watchedSchedules } from '#infra/functions.ts';
import { installDynamoDbAccessGuard } from '#infra/local/dynamodb-access-guard.ts';
import { localAwsEnv } from '#infra/local/function-env.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import type { ResourceEnv } from '#infra/local/provision.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { watchedSchedulesValue } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';
import { localEndpoints, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * Gives this test file's process what a deployed function gets: fresh tables, queues and topics (from the CDK
 * definitions) and the environment variables naming them, pointed at DynamoDB Local and fauxqs.
 * Import a handler only after this: handlers read their configuration when their module loads.
 */
export async function prepareFunctionEnvironment(): Promise<ResourceEnv> {
  // Before any handler loads (they create their DynamoDB clients then): their requests are checked against their
  // declared table access when called through asDeclaredFunction (test/helpers/guarded-handler.ts).
  installDynamoDbAccessGuard();
  const resources = await provisionIsolatedResources();
  const endpoints = localEndpoints();
  Object.assign(process.env, {
    ...resources,
    ...localAwsEnv(endpoints),
    // As the CDK app compiles it into each bundle: functions read the catalog as JSON only.
    [ENV.catalogJson]: JSON.stringify(await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'))),
    // The API and the landing page open sign-in sessions (test/helpers/session.ts mints them with this secret).
    [ENV.sessionSecret]: randomBytes(48).toString('base64url'),
    // Where the links sent to alert contacts point (the contact pages of the API).
    [ENV.contactLinksBaseUrl]: 'https://api.test.example',
    // Confirmation messages to new alert contacts are kept in the table, as in the local mode.
    [ENV.localMailbox]: 'true',
    // The schedules the dispatcher watches, as the stack sets them.
    [ENV.watchedSchedules]: watchedSchedulesValue(watchedSchedules(SCHEDULES)),
  });
  return resources;
}
