import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { provisionLocalResources, type ResourceEnv } from '#infra/local/provision.ts';
import {
  type AwsEndpoints,
  createDocumentClient,
  createSnsClient,
  createSqsClient,
} from '#shared/adapters/aws-clients.ts';

/** Endpoints of the DynamoDB Local and fauxqs started by the global setup. */
export function localEndpoints(): AwsEndpoints {
  const messaging = inject('messagingEndpoint');
  return { dynamodb: inject('dynamodbEndpoint'), sqs: messaging, sns: messaging };
}

/** SDK clients bound to the local stand-ins. */
export function localClients() {
  const endpoints = localEndpoints();
  return {
    endpoints,
    documentClient: createDocumentClient(endpoints),
    sqs: createSqsClient(endpoints),
    sns: createSnsClient(endpoints),
  };
}

/**
 * Creates a fresh copy of every table, queue and topic (from `infra/resources.ts`) under a unique prefix and
 * returns the environment variables naming them, so a suite starts from empty storage.
 */
export async function provisionIsolatedResources(): Promise<ResourceEnv> {
  const endpoints = localEndpoints();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: 'us-east-1', credentials });
  try {
    return await provisionLocalResources(
      { dynamodb, sqs: createSqsClient(endpoints), sns: createSnsClient(endpoints) },
      `t${randomUUID().slice(0, 8)}`,
    );
  } finally {
    dynamodb.destroy();
  }
}
