import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';

/**
 * Helpers for reading and writing items of the main table, shared by the alert settings and alert log adapters.
 * Stored items are read defensively: a malformed item is a bug or a manual edit, and must not become a setting.
 */

export type Item = Record<string, unknown>;

/** One action (Put, Update, Delete, ConditionCheck) of a document-client TransactWriteItems call. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** Money as stored: a decimal string and the currency code, never a float. */
export function moneyAttribute(money: Money): { amount: string; currency: string } {
  return { amount: money.toDecimalString(), currency: money.currency };
}

export function readMoney(item: Item, name: string): Money {
  const value = readMap(item, name);
  return Money.of(readString(value, 'amount'), readString(value, 'currency'));
}

export function readString(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new Error(`Stored item attribute ${name} is not a string`);
  return value;
}

export function readOptionalString(item: Item, name: string): string | undefined {
  const value = item[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`Stored item attribute ${name} is not a string`);
  return value;
}

export function readNumber(item: Item, name: string): number {
  const value = item[name];
  if (typeof value !== 'number') throw new Error(`Stored item attribute ${name} is not a number`);
  return value;
}

export function readBoolean(item: Item, name: string): boolean {
  const value = item[name];
  if (typeof value !== 'boolean') throw new Error(`Stored item attribute ${name} is not a boolean`);
  return value;
}

export function readDate(item: Item, name: string): Date {
  const value = new Date(readString(item, name));
  if (Number.isNaN(value.getTime())) throw new Error(`Stored item attribute ${name} is not an ISO date`);
  return value;
}

export function readStringList(item: Item, name: string): string[] {
  const value = item[name];
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw new Error(`Stored item attribute ${name} is not a list of strings`);
  }
  return value as string[];
}

export function readMap(item: Item, name: string): Item {
  const value = item[name];
  if (!isItem(value)) throw new Error(`Stored item attribute ${name} is not a map`);
  return value;
}

export function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Epoch seconds, the unit DynamoDB TTL reads. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** Which actions of a cancelled transaction failed their condition or met a concurrent transaction. */
export function cancelledIndexes(error: unknown): { condition: Set<number>; conflict: Set<number> } | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const condition = new Set<number>();
  const conflict = new Set<number>();
  (error.CancellationReasons ?? []).forEach((reason, index) => {
    if (reason.Code === 'ConditionalCheckFailed') condition.add(index);
    if (reason.Code === 'TransactionConflict') conflict.add(index);
  });
  return { condition, conflict };
}

const MAX_PAGE = 100;
const DEFAULT_PAGE = 50;

/**
 * Page size for a history query.
 * @throws {ValidationError} when it is not a whole number from 1 to 100.
 */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PAGE}`, 'limit');
  }
  return limit;
}

/** An opaque cursor for the next page: the query's LastEvaluatedKey, base64url-encoded. */
export function encodeCursor(lastEvaluatedKey: Item | undefined): string | undefined {
  return lastEvaluatedKey ? Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url') : undefined;
}

/**
 * Decodes a cursor made by `encodeCursor`, checking that it names only the given key attributes as strings, so a
 * forged cursor cannot steer the query to another partition.
 * @throws {ValidationError} when the cursor is not one this service issued for that query.
 */
export function decodeCursor(
  cursor: string | undefined,
  expected: { readonly attribute: string; readonly value: string },
  keyAttributes: readonly string[],
): Item | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new ValidationError('cursor is not valid; pass the nextCursor of the previous page', 'cursor', { cause });
  }
  if (
    !isItem(decoded) ||
    !Object.entries(decoded).every(([key, value]) => keyAttributes.includes(key) && typeof value === 'string') ||
    decoded[expected.attribute] !== expected.value
  ) {
    throw new ValidationError('cursor does not belong to this history', 'cursor');
  }
  return decoded;
}

/** Every item a query matches, following its pages. */
export async function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
