import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { isTestSubscriptionId, TEST_SUBSCRIPTION_PREFIX } from '#shared/domain/test-subscriptions.ts';

const WEBHOOK_KEY_SK = 'TEST_WEBHOOK_KEY';

/** Where the smoke check's test webhooks find their verification key (read by the webhook in test mode). */
export interface TestWebhookKeys {
  /** The public key registered for this test subscription, or undefined when none is, or it has expired. */
  webhookKeyOf(subscriptionId: string, now: Date): Promise<JWK | undefined>;
}

/**
 * The smoke check's test subscriptions in the main table (shared/domain/test-subscriptions.ts): each in its own
 * `SUB#smoke-test-…` partition like any subscription, plus, in the same partition, `sk = TEST_WEBHOOK_KEY`: the
 * public key of the one smoke run that made it, with its expiry (also the table's TTL attribute). A key lives with
 * its subscription, so it can verify webhooks about that subscription only, and goes when the partition is deleted.
 *
 * Every method refuses an id outside the test namespace: neither the smoke tool nor the webhook can register a key
 * for, or delete, a real subscription through it.
 */
export class DynamoTestSubscriptions implements TestWebhookKeys {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Registers the public half of a smoke run's key pair for `subscriptionId` until `expiresAt`. */
  async putWebhookKey(subscriptionId: string, publicJwk: JWK, expiresAt: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(requireTestId(subscriptionId)),
          type: 'TestWebhookKey',
          publicJwk,
          keyExpiresAt: expiresAt.toISOString(),
          [MAIN_TABLE_KEYS.ttlAttribute]: Math.ceil(expiresAt.getTime() / 1000),
        },
      }),
    );
  }

  async webhookKeyOf(subscriptionId: string, now: Date): Promise<JWK | undefined> {
    if (!isTestSubscriptionId(subscriptionId)) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(subscriptionId), ConsistentRead: true }),
    );
    // DynamoDB removes expired items only eventually: the expiry is checked here.
    if (!Item || typeof Item.keyExpiresAt !== 'string' || Date.parse(Item.keyExpiresAt) <= now.getTime()) {
      return undefined;
    }
    return Item.publicJwk as JWK;
  }

  /** Deletes everything stored under the test subscription: itself, its operations, audit trail and key. */
  async deleteAll(subscriptionId: string): Promise<number> {
    const pk = `${TABLE_PARTITION.subscription}${requireTestId(subscriptionId)}`;
    let deleted = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
      for (let start = 0; start < keys.length; start += 25) {
        let requests = keys
          .slice(start, start + 25)
          .map((Key) => ({ DeleteRequest: { Key } }) as { DeleteRequest: { Key: Record<string, unknown> } });
        // BatchWrite may leave some undone under load: those are sent again.
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt === 5) throw new Error(`Could not delete every item of ${pk}: ${requests.length} left`);
          const result = await this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
          );
          requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        }
      }
      deleted += keys.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }
}

const keyOf = (subscriptionId: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: WEBHOOK_KEY_SK,
});

function requireTestId(subscriptionId: string): string {
  if (!isTestSubscriptionId(subscriptionId)) {
    throw new Error(`${subscriptionId} is not a test subscription id (${TEST_SUBSCRIPTION_PREFIX}…): refused`);
  }
  return subscriptionId;
}
