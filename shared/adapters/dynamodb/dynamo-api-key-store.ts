import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import type { ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';

/**
 * API keys in the main table: `pk = APIKEY#<keyId>`, `sk = APIKEY`; every key also sits in the `gsi1` partition
 * `APIKEYS` (sorted by creation time) so the publisher can list them without a scan.
 */
export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: ApiKeyRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `${TABLE_PARTITION.apiKey}${record.keyId}`,
            sk: 'APIKEY',
            gsi1pk: INDEX_PARTITION.apiKeys,
            gsi1sk: `${record.createdAt}#${record.keyId}`,
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`API key ${record.keyId} exists already`, { cause: error });
      }
      throw error;
    }
  }

  async findById(keyId: string): Promise<ApiKeyRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `${TABLE_PARTITION.apiKey}${keyId}`, sk: 'APIKEY' } }),
    );
    return result.Item ? toRecord(result.Item) : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MAIN_INDEX_NAME,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': INDEX_PARTITION.apiKeys },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async revoke(keyId: string, at: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${TABLE_PARTITION.apiKey}${keyId}`, sk: 'APIKEY' },
          // Keep the first revocation time if revoked twice.
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new NotFoundError(`No API key with id ${keyId}`, { cause: error });
      }
      throw error;
    }
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, ...record } = item;
  return record as unknown as ApiKeyRecord;
}
