import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, NumberValue, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '#shared/adapters/dynamodb/dynamo-item.ts';
import {
  MARKER_SK,
  markerPk,
  slotSk,
  subscriptionPk,
  totalsSk,
  unreportedIndexKey,
  unreportedShardOf,
  unreportedSlotSortKey,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import {
  queryRawSortKeyRange,
  type RawItem,
  rawDecimal,
  rawString,
  sleep,
} from '#shared/adapters/dynamodb/raw-attributes.ts';
import { MAIN_TABLE_KEYS, mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import { querySlotItems } from '#shared/adapters/dynamodb/usage-slot-query.ts';
import type { UsageMessage, UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { totalsDeltasOf, type UsageTotalsDelta } from '#shared/domain/usage/usage-totals.ts';
import type { UsageLedger, UsageTotals } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * How long a message marker is kept (DynamoDB TTL). It must outlive every copy of the message: up to 14 days in
 * the usage queue plus up to 14 days in its dead-letter queue before a redrive, and a client retrying with the same
 * Idempotency-Key within that time. 30 days covers both with margin; a marker costs one small item.
 */
export const MARKER_RETENTION_DAYS = 30;

/** Attempts of a transaction cancelled by a concurrent one, before leaving the retry to SQS. */
const CONFLICT_ATTEMPTS = 4;
const CONFLICT_BASE_DELAY_MS = 25;
const QUANTITY_PREFIX = 'q_';
const { partitionKey: PK, index: INDEX, ttlAttribute: TTL } = MAIN_TABLE_KEYS;

/**
 * The usage ledger in the main table (single-table design; key layout in `metering-item-keys.ts`, key attribute
 * names in `table-keys.ts`):
 *
 * - message marker: `pk = USAGEMSG#<marker>`, `sk = USAGEMSG`, `expiresAt` (TTL, epoch seconds);
 * - hourly slot: `pk = SUB#<subscriptionId>`, `sk = USAGE#<dimension>#<hour ISO>` with `quantity` (Number, exact
 *   decimal), `eventCount`, `subscriptionId`, `offerId`, `dimension`, `hour`, and while it holds unreported usage
 *   `gsi1pk = UNREPORTED#<shard>`, `gsi1sk = <hour ISO>#<subscriptionId>#<dimension>` (oldest hour first);
 * - daily totals: `pk = SUB#<subscriptionId>`, `sk = DAY#<YYYY-MM-DD>`; monthly: `sk = MONTH#<YYYY-MM>` (UTC), with
 *   `q_<dimension>` per dimension and `eventCount`.
 *
 * A message is applied in ONE TransactWriteItems: the marker Put (only if absent) plus an ADD on every slot and
 * total, so a redelivered message either finds its marker (nothing changes) or nothing of it was written.
 * Quantities travel as DynamoDB Numbers built from decimal strings (`NumberValue`), which DynamoDB adds exactly up
 * to 38 digits, and are read back as strings: never through a JavaScript float.
 * Totals hold quantities only; money is computed from them by the rating engine (a later issue), not stored here.
 */
export class DynamoUsageLedger implements UsageLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async applyMessage(message: UsageMessage): Promise<'applied' | 'duplicate'> {
    const now = this.clock.now();
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...mainTableKey(markerPk(message.marker), MARKER_SK),
            type: 'UsageMessage',
            appliedAt: now.toISOString(),
            slotCount: message.slots.length,
            [TTL]: Math.floor(now.getTime() / 1000) + MARKER_RETENTION_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        },
      },
      ...message.slots.map((slot) => this.slotUpdate(slot, now)),
      ...totalsDeltasOf(message.slots, 'day').map((delta) => this.totalsUpdate(delta, 'DAY', now)),
      ...totalsDeltasOf(message.slots, 'month').map((delta) => this.totalsUpdate(delta, 'MONTH', now)),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'applied';
      } catch (error) {
        if (onlyTheMarkerExisted(error)) return 'duplicate';
        // Messages of one busy subscription all add to its daily and monthly items, so concurrent workers collide
        // (TransactionConflict). A short, jittered retry here is far cheaper than SQS's redelivery after the
        // visibility timeout; the retry may then find the marker (the other worker applied this very message).
        if (isTransactionConflict(error) && attempt < CONFLICT_ATTEMPTS) {
          await sleep(CONFLICT_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
          continue;
        }
        // Throttling, persistent conflicts or any other failure: nothing was written; the caller lets SQS deliver
        // the message again.
        throw error;
      }
    }
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<UsageSlot[]> {
    const items = await querySlotItems(this.client, this.tableName, { subscriptionId, dimension, fromHour, toHour });
    return items.map((item) => ({
      subscriptionId: str(item, 'subscriptionId'),
      offerId: str(item, 'offerId'),
      dimension: str(item, 'dimension'),
      hour: str(item, 'hour'),
      quantity: decimal(item, 'quantity'),
      eventCount: Number(decimal(item, 'eventCount')),
    }));
  }

  readDailyTotals(subscriptionId: string, fromDay: string, toDay: string): Promise<UsageTotals[]> {
    return this.readTotals(subscriptionId, 'DAY', fromDay, toDay);
  }

  readMonthlyTotals(subscriptionId: string, fromMonth: string, toMonth: string): Promise<UsageTotals[]> {
    return this.readTotals(subscriptionId, 'MONTH', fromMonth, toMonth);
  }

  private slotUpdate(slot: UsageSlot, now: Date): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: mainTableKey(subscriptionPk(slot.subscriptionId), slotSk(slot.dimension, slot.hour)),
        // ADD creates the item and the numbers on first use. The GSI keys are SET on every addition: the reporter
        // (a later issue) removes them once it has reported all of the slot's quantity, so the slot drops out of the
        // index; usage arriving later for the same hour puts it back, and the reporter folds that late quantity into
        // the next reportable hour (DESIGN invariant 4). The reporter must remove the keys only on the condition that
        // `quantity` is still what it reported, so an ADD landing in between keeps the slot in the index.
        UpdateExpression:
          'ADD #quantity :quantity, #eventCount :eventCount ' +
          'SET #type = :type, #subscriptionId = :subscriptionId, #offerId = :offerId, #dimension = :dimension, ' +
          '#hour = :hour, #updatedAt = :now, #gsi1pk = :gsi1pk, #gsi1sk = :gsi1sk',
        ExpressionAttributeNames: {
          '#quantity': 'quantity',
          '#eventCount': 'eventCount',
          '#type': 'type',
          '#subscriptionId': 'subscriptionId',
          '#offerId': 'offerId',
          '#dimension': 'dimension',
          '#hour': 'hour',
          '#updatedAt': 'updatedAt',
          '#gsi1pk': INDEX.partitionKey,
          '#gsi1sk': INDEX.sortKey,
        },
        ExpressionAttributeValues: {
          ':quantity': NumberValue.from(slot.quantity),
          ':eventCount': slot.eventCount,
          ':type': 'UsageSlot',
          ':subscriptionId': slot.subscriptionId,
          ':offerId': slot.offerId,
          ':dimension': slot.dimension,
          ':hour': slot.hour,
          ':now': now.toISOString(),
          ':gsi1pk': unreportedIndexKey(unreportedShardOf(slot.subscriptionId)),
          ':gsi1sk': unreportedSlotSortKey(slot.hour, slot.subscriptionId, slot.dimension),
        },
      },
    };
  }

  private totalsUpdate(delta: UsageTotalsDelta, kind: 'DAY' | 'MONTH', now: Date): TransactItem {
    const names: Record<string, string> = {
      '#eventCount': 'eventCount',
      '#type': 'type',
      '#subscriptionId': 'subscriptionId',
      '#period': 'period',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':eventCount': delta.eventCount,
      ':type': kind === 'DAY' ? 'UsageDay' : 'UsageMonth',
      ':subscriptionId': delta.subscriptionId,
      ':period': delta.period,
      ':now': now.toISOString(),
    };
    const additions = ['#eventCount :eventCount'];
    [...delta.quantities.entries()].forEach(([dimension, quantity], index) => {
      // Dimension ids are not guaranteed to be valid expression tokens: they reach DynamoDB only as names/values.
      names[`#q${index}`] = `${QUANTITY_PREFIX}${dimension}`;
      values[`:q${index}`] = NumberValue.from(quantity.toString());
      additions.push(`#q${index} :q${index}`);
    });
    return {
      Update: {
        TableName: this.tableName,
        Key: mainTableKey(subscriptionPk(delta.subscriptionId), totalsSk(kind, delta.period)),
        UpdateExpression: `ADD ${additions.join(', ')} SET #type = :type, #subscriptionId = :subscriptionId, #period = :period, #updatedAt = :now`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  private async readTotals(subscriptionId: string, kind: 'DAY' | 'MONTH', from: string, to: string) {
    const items = await queryRawSortKeyRange(this.client, this.tableName, {
      partition: subscriptionPk(subscriptionId),
      from: totalsSk(kind, from),
      to: totalsSk(kind, to),
    });
    return items.map((item): UsageTotals => {
      const quantities: Record<string, string> = {};
      for (const name of Object.keys(item)) {
        if (name.startsWith(QUANTITY_PREFIX)) quantities[name.slice(QUANTITY_PREFIX.length)] = decimal(item, name);
      }
      return {
        subscriptionId: str(item, 'subscriptionId'),
        period: str(item, 'period'),
        quantities,
        eventCount: Number(decimal(item, 'eventCount')),
      };
    });
  }
}

/**
 * True when the transaction was cancelled only because the marker exists already: the message was applied before.
 * Any other reason (a TransactionConflict, throttling, a failed condition elsewhere) means "not applied, retry".
 */
function onlyTheMarkerExisted(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  const [marker, ...others] = error.CancellationReasons ?? [];
  return marker?.Code === 'ConditionalCheckFailed' && others.every((reason) => !reason.Code || reason.Code === 'None');
}

function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}

const str = (item: RawItem, name: string) => rawString(item, name, 'usage');
const decimal = (item: RawItem, name: string) => rawDecimal(item, name, 'usage');
