import { join } from 'node:path';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import type { ResourceEnv } from '#infra/local/provision.ts';
import { ENV } from '#shared/env-names.ts';
import { localEndpoints, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * Gives this test file's process what a deployed function gets: fresh tables, queues and topics (from the CDK
 * definitions) and the environment variables naming them, pointed at DynamoDB Local and fauxqs.
 * Import a handler only after this: handlers read their configuration when their module loads.
 */
export async function prepareFunctionEnvironment(): Promise<ResourceEnv> {
  const resources = await provisionIsolatedResources();
  const endpoints = localEndpoints();
  Object.assign(process.env, {
    ...resources,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    [ENV.catalogPath]: join(REPO_ROOT, 'infra/catalog/catalog.yaml'),
  });
  return resources;
}
