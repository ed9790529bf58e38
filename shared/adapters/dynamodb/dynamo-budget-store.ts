import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Item,
  moneyAttribute,
  queryAll,
  readBoolean,
  readMap,
  readString,
  readStringList,
} from '#shared/adapters/dynamodb/dynamo-item.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import { type BudgetSettings, parseBudgetSettings } from '#shared/domain/alerts/settings.ts';
import { StoredValueInvalidError, ValidationError } from '#shared/domain/errors.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';

const BUDGET_SK = 'BUDGET';
export const budgetKey = (subscriptionId: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: BUDGET_SK,
});
const customerIndexKey = (customerId: string) => `${INDEX_PARTITION.customer}${customerId}#BUDGETS`;

/**
 * Customer budgets in the main table (single-table design):
 *
 * - budget: `pk = SUB#<subscriptionId>`, `sk = BUDGET`, beside the subscription's other items;
 *   `gsi1pk = CUSTOMER#<customerId>#BUDGETS`, `gsi1sk = <subscriptionId>` (a customer's budgets, e.g. to register its
 *   contacts once for all of them).
 *
 * Amounts are `{ amount, currency }` maps with decimal strings. Items are read back through `parseBudgetSettings`, so a
 * stored budget that no longer validates (written by an older version) is never used for alerts: `getBudget` throws
 * `StoredValueInvalidError` saying how to replace it, and `listBudgetsOfCustomer` leaves it out.
 */
export class DynamoBudgetStore implements BudgetStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getBudget(subscriptionId: string): Promise<BudgetSettings | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: budgetKey(subscriptionId), ConsistentRead: true }),
    );
    return result.Item ? toBudget(result.Item) : undefined;
  }

  async putBudget(budget: BudgetSettings): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: budgetItem(budget) }));
  }

  async deleteBudget(subscriptionId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: budgetKey(subscriptionId) }));
  }

  async listBudgetsOfCustomer(customerId: string): Promise<BudgetSettings[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: MAIN_INDEX_NAME,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': customerIndexKey(customerId) },
    });
    return items.flatMap((item) => {
      try {
        return [toBudget(item)];
      } catch (error) {
        if (error instanceof StoredValueInvalidError) return [];
        throw error;
      }
    });
  }
}

function budgetItem(budget: BudgetSettings): Item {
  return {
    ...budgetKey(budget.subscriptionId),
    type: 'Budget',
    gsi1pk: customerIndexKey(budget.customerId),
    gsi1sk: budget.subscriptionId,
    subscriptionId: budget.subscriptionId,
    customerId: budget.customerId,
    plannedMonthlyAmount: moneyAttribute(budget.plannedMonthlyAmount),
    thresholds: [...budget.thresholds],
    forecastAlert: budget.forecastAlert,
    spikeMinimumAmount: moneyAttribute(budget.spikeMinimumAmount),
    timeZone: budget.timeZone,
    locale: budget.locale,
    contacts: { emails: [...budget.contacts.emails], phones: [...budget.contacts.phones] },
  };
}

/**
 * A stored budget item as the domain's settings (validated again).
 * @throws {StoredValueInvalidError} when the stored budget no longer validates (the message says to PUT a new one).
 */
export function toBudget(item: Item): BudgetSettings {
  try {
    return parseBudgetItem(item);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const subscriptionId = String(item.subscriptionId ?? String(item.pk).slice(TABLE_PARTITION.subscription.length));
    throw new StoredValueInvalidError(
      `The stored budget of subscription ${subscriptionId} no longer validates (${error.field ?? 'budget'}: ` +
        `${error.message}); PUT /v1/subscriptions/${subscriptionId}/budget to replace it. Until then it sends no alerts.`,
      error.field,
      { cause: error },
    );
  }
}

function parseBudgetItem(item: Item): BudgetSettings {
  const planned = readMap(item, 'plannedMonthlyAmount');
  const spikeMinimum = readMap(item, 'spikeMinimumAmount');
  const contacts = readMap(item, 'contacts');
  return parseBudgetSettings({
    subscriptionId: readString(item, 'subscriptionId'),
    customerId: readString(item, 'customerId'),
    plannedMonthlyAmount: { amount: readString(planned, 'amount'), currency: readString(planned, 'currency') },
    thresholds: readStringList(item, 'thresholds'),
    forecastAlert: readBoolean(item, 'forecastAlert'),
    spikeMinimumAmount: { amount: readString(spikeMinimum, 'amount'), currency: readString(spikeMinimum, 'currency') },
    timeZone: readString(item, 'timeZone'),
    locale: readString(item, 'locale'),
    contacts: { emails: readStringList(contacts, 'emails'), phones: readStringList(contacts, 'phones') },
  });
}
