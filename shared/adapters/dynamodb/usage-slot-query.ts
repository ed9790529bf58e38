import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { slotSk, subscriptionPk } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { queryRawSortKeyRange, type RawItem } from '#shared/adapters/dynamodb/raw-attributes.ts';

/**
 * The hourly slot items of one subscription's dimension from `fromHour` to `toHour` (both included), oldest first:
 * the one query both the usage ledger (what was aggregated) and the reporting ledger (what was reported) read slots
 * with. Each ledger decodes the attributes it owns.
 */
export function querySlotItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  slots: {
    readonly subscriptionId: string;
    readonly dimension: string;
    readonly fromHour: Date;
    readonly toHour: Date;
  },
): Promise<RawItem[]> {
  return queryRawSortKeyRange(client, tableName, {
    partition: subscriptionPk(slots.subscriptionId),
    from: slotSk(slots.dimension, slots.fromHour.toISOString()),
    to: slotSk(slots.dimension, slots.toHour.toISOString()),
  });
}
