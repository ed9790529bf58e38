// Lambda runs Node 24; the SDK's notice about Node 20 support ending is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { type LocalMessaging, startLocalMessaging } from '#infra/local/fauxqs.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    messagingEndpoint: string;
    dynamodbPid: number;
  }
}

let dynamodb: DynamoDbLocal | undefined;
let messaging: LocalMessaging | undefined;

/**
 * Real components for the whole test run: DynamoDB Local (in memory, free port, telemetry off) and fauxqs.
 * Tests reach them through `inject(...)` (see `test/helpers/local-aws.ts`); each suite provisions its own
 * resources under a unique prefix, so suites never see each other's data.
 */
export async function setup(project: TestProject): Promise<void> {
  [dynamodb, messaging] = await Promise.all([startDynamoDbLocal(), startLocalMessaging()]);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  project.provide('messagingEndpoint', messaging.endpoint);
  project.provide('dynamodbPid', dynamodb.pid ?? -1);
}

export async function teardown(): Promise<void> {
  await Promise.all([dynamodb?.stop(), messaging?.stop()]);
}
