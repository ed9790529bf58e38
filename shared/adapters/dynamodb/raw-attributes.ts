import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { Dec } from '#shared/domain/money.ts';

/**
 * Readers for items fetched with the low-level client, which the usage and reporting ledgers use so that DynamoDB
 * Numbers arrive as strings and never pass through a JavaScript float. Stored items are read defensively: a malformed
 * item is a bug or a manual edit, and must not become usage.
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
  return new Dec(value).toString();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
