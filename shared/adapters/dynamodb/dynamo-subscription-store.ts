import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/** Subscriptions in the main table: `pk = SUB#<id>`, `sk = SUBSCRIPTION`. */
export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(subscriptionId: string): Promise<Subscription | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `SUB#${subscriptionId}`, sk: 'SUBSCRIPTION' } }),
    );
    if (!result.Item) return undefined;
    const { pk: _pk, sk: _sk, ...subscription } = result.Item;
    return subscription as Subscription;
  }

  async put(subscription: Subscription): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `SUB#${subscription.id}`, sk: 'SUBSCRIPTION', ...subscription },
      }),
    );
  }
}
