/**
 * The fanned-out reporter's run records, shard leases and work queue, apart from `usage-reporter-dependencies.ts`:
 * the dispatcher needs only these and never calls Microsoft, so it must not import the marketplace client (the Entra
 * client and axios, about 650 KB of its bundle otherwise).
 */
import { createDocumentClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { SqsShardWorkQueue } from '#shared/adapters/sqs/sqs-shard-work-queue.ts';

/**
 * The fanned-out reporter's extra adapters on top of its own: the run records and shard leases (both in the table)
 * and the usage-report queue, for the dispatcher (which needs only these and the ledger) and the workers.
 */
export function buildReportingRunAdapters(tableName: string, usageReportQueueUrl: string) {
  const documentClient = createDocumentClient();
  const runs = new DynamoReportingRuns(documentClient, tableName);
  return {
    ledger: new DynamoReportingLedger(documentClient, tableName),
    runs,
    leases: runs,
    queue: new SqsShardWorkQueue(createSqsClient(), usageReportQueueUrl),
  };
}
