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
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import { type BudgetSettings, parseBudgetSettings } from '#shared/domain/alerts/settings.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';

const BUDGET_SK = 'BUDGET';
export const budgetKey = (subscriptionId: string) => ({ pk: `SUB#${subscriptionId}`, sk: BUDGET_SK });
const customerIndexKey = (customerId: string) => `CUSTOMER#${customerId}#BUDGETS`;

/**
 * Customer budgets in the main table (single-table design):
 *
 * - budget: `pk = SUB#<subscriptionId>`, `sk = BUDGET`, beside the subscription's other items;
 *   `gsi1pk = CUSTOMER#<customerId>#BUDGETS`, `gsi1sk = <subscriptionId>` (a customer's budgets, e.g. to register its
 *   contacts once for all of them).
 *
 * Amounts are `{ amount, currency }` maps with decimal strings. Items are read back through `parseBudgetSettings`, so a
 * stored budget that no longer validates fails loudly instead of producing wrong alerts.
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
    return items.map(toBudget);
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

/** A stored budget item as the domain's settings (validated again). */
export function toBudget(item: Item): BudgetSettings {
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
