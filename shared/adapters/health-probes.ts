import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import type { HealthProbe } from '#shared/use-cases/operations/ports/health-probe.ts';

/** Reads a key that never exists: proves the table is reachable with only the read permission the function has. */
export function tableProbe(client: DynamoDBDocumentClient, tableName: string): HealthProbe {
  return {
    name: 'table',
    check: async () => {
      await client.send(new GetCommand({ TableName: tableName, Key: { pk: TABLE_PARTITION.health, sk: 'HEALTH' } }));
    },
  };
}

/** Reads the queue's depth: `sqs:GetQueueAttributes` comes with the send grant, so no extra permission is needed. */
export function queueProbe(client: SQSClient, queueUrl: string): HealthProbe {
  return {
    name: 'usageQueue',
    check: async () => {
      await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
    },
  };
}
