import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { budgetKey, toBudget } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import type { Item } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { creditLinkKey, toCreditLink } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { StoredValueInvalidError } from '#shared/domain/errors.ts';
import type { AlertSettings, AlertSettingsReader } from '#shared/use-cases/alerts/ports/alert-settings-reader.ts';

/** DynamoDB's limit of keys per BatchGetItem: 50 subscriptions (a budget and a credit link each) per request. */
const KEYS_PER_REQUEST = 100;
/** Rounds for keys DynamoDB left unprocessed (throttling) before giving up; backoff doubles from 25 ms. */
const UNPROCESSED_ROUNDS = 5;

/**
 * Budgets (`SUB#<id>` / `BUDGET`) and credit links (`SUB#<id>` / `CREDIT_LINK`) of many subscriptions with
 * BatchGetItem, consistently read, parsed by the same functions as the budget and partner stores.
 */
export class DynamoAlertSettingsReader implements AlertSettingsReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async readMany(subscriptionIds: readonly string[]): Promise<Map<string, AlertSettings>> {
    const unique = [...new Set(subscriptionIds)];
    const found = new Map<
      string,
      {
        budget?: AlertSettings['budget'];
        budgetProblem?: AlertSettings['budgetProblem'];
        creditLink?: AlertSettings['creditLink'];
      }
    >(unique.map((id) => [id, {}]));
    const keys = unique.flatMap((id) => [budgetKey(id), creditLinkKey(id)]);
    for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST) {
      for (const item of await this.getAll(keys.slice(start, start + KEYS_PER_REQUEST))) {
        const subscriptionId = String(item.pk).slice(TABLE_PARTITION.subscription.length);
        const settings = found.get(subscriptionId);
        if (!settings) continue;
        if (item.sk === budgetKey(subscriptionId).sk) {
          try {
            settings.budget = toBudget(item);
          } catch (error) {
            // One stored budget that no longer validates must not fail the whole batch's evaluation (for good).
            if (!(error instanceof StoredValueInvalidError)) throw error;
            settings.budgetProblem = error;
          }
        } else if (item.sk === creditLinkKey(subscriptionId).sk) settings.creditLink = toCreditLink(item);
      }
    }
    return found;
  }

  /** One BatchGetItem of at most 100 keys, with the unprocessed keys asked again after a backoff. */
  private async getAll(keys: readonly Item[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Item[] = [...keys];
    for (let round = 0; pending.length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS) {
        throw new Error(`DynamoDB left ${pending.length} alert setting keys unprocessed after ${round} rounds`);
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (round - 1)));
      const result = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...((result.Responses?.[this.tableName] ?? []) as Item[]));
      pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Item[];
    }
    return items;
  }
}
