import {
  BatchWriteItemCommand,
  CreateTableCommand,
  type DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '#infra/local/provision.ts';
import type { TableDefinition } from '#infra/resources.ts';

/**
 * DynamoDB Local cannot restore from a backup or a point in time, so a restore drill there copies the table instead:
 * a new table of the same definition under another name, with every item as stored (raw attribute values, TTL
 * attribute included). In AWS the restore itself makes that new table (docs/restore.md).
 * @returns how many items were copied.
 */
export async function copyTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  from: string,
  to: string,
): Promise<number> {
  await client.send(new CreateTableCommand(createTableInput(definition, to)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: to,
      TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
    }),
  );
  let copied = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: startKey }));
    const items = page.Items ?? [];
    for (let start = 0; start < items.length; start += 25) {
      let requests: WriteRequest[] = items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } }));
      // BatchWriteItem may leave some writes unprocessed; they are sent again until none are left.
      while (requests.length > 0) {
        const written = await client.send(new BatchWriteItemCommand({ RequestItems: { [to]: requests } }));
        requests = written.UnprocessedItems?.[to] ?? [];
      }
    }
    copied += items.length;
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return copied;
}
