import { type AttributeValue, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { Dec } from '#shared/domain/money.ts';

/**
 * Items fetched with the low-level client, which the usage and reporting ledgers use so that DynamoDB Numbers arrive
 * as strings and never pass through a JavaScript float: the queries that fetch them and the readers of their
 * attributes. Stored items are read defensively: a malformed item is a bug or a manual edit, and must not become usage.
 */
export type RawItem = Record<string, AttributeValue>;

/** @throws Error naming the attribute when it is not a string. */
export function rawString(item: RawItem, name: string, what: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`Stored ${what} item attribute ${name} is not a string`);
  return value;
}

/** The attribute's exact decimal, normalised (e.g. "1.50" → "1.5"). @throws Error when it is not a number. */
export function rawDecimal(item: RawItem, name: string, what: string): string {
  const value = item[name]?.N;
  if (value === undefined) throw new Error(`Stored ${what} item attribute ${name} is not a number`);
  // Most stored quantities are whole numbers already in normal form: returned as they are, without a Decimal parse
  // (a daily series reads tens of thousands of them per request).
  return NORMAL_WHOLE_NUMBER.test(value) ? value : new Dec(value).toString();
}

/** A whole number as `Dec#toString` writes it: no sign on zero, no leading zeros, fewer digits than `toExpPos`. */
const NORMAL_WHOLE_NUMBER = /^(0|-?[1-9]\d{0,38})$/;

/**
 * Every item a low-level query matches, following its pages, so numbers arrive as the decimal strings DynamoDB
 * sends (the document client would turn them into JavaScript floats).
 * @param consistent strongly consistent reads (not available on a global index).
 */
export async function queryRawItems(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  consistent: boolean,
): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let startKey: RawItem | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ ...input, ...(consistent ? { ConsistentRead: true } : {}), ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * The items of one partition whose sort keys lie between two bounds (both included), read strongly consistent: the
 * ledgers read right after their writes.
 */
export function queryRawSortKeyRange(
  client: DynamoDBDocumentClient,
  tableName: string,
  range: { readonly partition: string; readonly from: string; readonly to: string },
): Promise<RawItem[]> {
  return queryRawItems(
    client,
    {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': MAIN_TABLE_KEYS.partitionKey, '#sk': MAIN_TABLE_KEYS.sortKey },
      ExpressionAttributeValues: {
        ':pk': { S: range.partition },
        ':from': { S: range.from },
        ':to': { S: range.to },
      },
    },
    true,
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
