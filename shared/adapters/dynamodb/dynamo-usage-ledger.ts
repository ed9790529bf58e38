import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, NumberValue, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '#shared/adapters/dynamodb/dynamo-item.ts';
import {
  entryChunkPrefix,
  entryChunkSk,
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
  queryRawItems,
  queryRawSortKeyRange,
  type RawItem,
  rawDecimal,
  rawString,
  sleep,
} from '#shared/adapters/dynamodb/raw-attributes.ts';
import { MAIN_TABLE_KEYS, mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import { querySlotItems } from '#shared/adapters/dynamodb/usage-slot-query.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import type { HourAddition, HourEntrySet, SubscriptionAddition } from '#shared/domain/usage/event-dedup.ts';
import type { UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { totalsDeltasOf, type UsageTotalsDelta } from '#shared/domain/usage/usage-totals.ts';
import type {
  AddUsageResult,
  DailyUsage,
  UsageLedger,
  UsageTotals,
} from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * How long an hour's counted entries are kept (DynamoDB TTL, refreshed by every write to the hour): 35 days after
 * the last event recorded in it, so an event id is recognised for at least 35 days (issue 12), well beyond the usage
 * queue's and its dead-letter queue's retention (14 + 14 days) and any client retry.
 */
export const ENTRY_RETENTION_DAYS = 35;
/**
 * Entries per stored chunk of an hour's set: 16-character entries, so a full chunk is about 320 KB, below DynamoDB's
 * 400 KB item limit with room for its other attributes. An hour with more entries spills into further chunks.
 */
export const ENTRIES_PER_CHUNK = 20_000;
/** Hours read with one query when they lie this close together (a request usually spans one to three hours). */
const HOURS_PER_QUERY = 4;

/** Attempts of a transaction cancelled by a concurrent one, before leaving the retry to SQS. */
const CONFLICT_ATTEMPTS = 4;
const CONFLICT_BASE_DELAY_MS = 25;
const QUANTITY_PREFIX = 'q_';
/**
 * A daily item's quantity of one UTC hour and dimension: `h<HH>_<dimension>`, a top-level Number so that ADD creates
 * it. Size bound: per dimension at most 24 such attributes of (4 + id length) name bytes and ≤ 21 value bytes, so 30
 * dimensions with ids of up to 50 characters take under 30 × 24 × 75 B ≈ 54 KB, far below DynamoDB's 400 KB item
 * limit (and one transaction adds at most `MAX_TRANSACTION_ITEMS` slots, so its update expression stays under 4 KB).
 */
const HOUR_ATTRIBUTE_PREFIX_LENGTH = 'hHH_'.length;
/**
 * The hour (0–23) of an `h<HH>_<dimension>` attribute name, else undefined. Read character by character: a day item
 * of 30 dimensions has ~720 such names, and a regular expression's match arrays for each were a good part of a
 * series request's garbage.
 */
function hourOfAttribute(name: string): number | undefined {
  if (
    name.length <= HOUR_ATTRIBUTE_PREFIX_LENGTH ||
    name.charCodeAt(0) !== 104 /* h */ ||
    name.charCodeAt(3) !== 95 /* _ */
  )
    return undefined;
  const tens = name.charCodeAt(1) - 48;
  const units = name.charCodeAt(2) - 48;
  if (tens < 0 || tens > 2 || units < 0 || units > 9) return undefined;
  const hour = tens * 10 + units;
  return hour < 24 ? hour : undefined;
}
const hourAttribute = (hh: string, dimension: string) => `h${hh}_${dimension}`;
const HOUR_MS = 3_600_000;
const { partitionKey: PK, sortKey: SK, index: INDEX, ttlAttribute: TTL } = MAIN_TABLE_KEYS;

/**
 * The usage ledger in the main table (single-table design; key layout in `metering-item-keys.ts`, key attribute
 * names in `table-keys.ts`):
 *
 * - counted entries of a (subscription, hour): `pk = SUB#<subscriptionId>`, `sk = ENTRIES#<hour ISO>#<chunk>` with
 *   `entries` (a string set), `entryCount`, `expiresAt` (TTL, epoch seconds); the rule is in
 *   `shared/domain/usage/event-dedup.ts`;
 * - hourly slot: `pk = SUB#<subscriptionId>`, `sk = USAGE#<dimension>#<hour ISO>` with `quantity` (Number, exact
 *   decimal), `eventCount`, `subscriptionId`, `offerId`, `dimension`, `hour`, and while it holds unreported usage
 *   `gsi1pk = UNREPORTED#<shard>`, `gsi1sk = <hour ISO>#<subscriptionId>#<dimension>` (oldest hour first);
 * - daily totals: `pk = SUB#<subscriptionId>`, `sk = DAY#<YYYY-MM-DD>`; monthly: `sk = MONTH#<YYYY-MM>` (UTC), with
 *   `q_<dimension>` per dimension and `eventCount`; a daily item also has `h<HH>_<dimension>` per UTC hour with usage
 *   (the same quantities split by hour, so a series in any time zone reads day items, not 24 slots per dimension;
 *   days written before these attributes existed lack them, and readers fall back to the slots).
 *
 * An hour's addition is written in ONE TransactWriteItems with its entries: an ADD of the new entries to the hour's
 * last chunk (conditional on the chunk's `entryCount` being what was read, or on its absence for a new chunk), an
 * ADD on each of its slots, and on the daily (total and hour attributes, one item) and monthly totals; hours are packed into as few transactions as fit.
 * So an entry is recorded if and only if its usage is, and two workers can never both record one entry.
 * Quantities travel as DynamoDB Numbers built from decimal strings (`NumberValue`), which DynamoDB adds exactly up
 * to 38 digits, and are read back as strings: never through a JavaScript float.
 */
export class DynamoUsageLedger implements UsageLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async readEntrySets(
    subscriptionId: string,
    hours: readonly string[],
    options: { readonly consistent: boolean },
  ): Promise<Map<string, HourEntrySet>> {
    const wanted = [...new Set(hours)].sort();
    const chunks = new Map<string, { index: number; count: number; entries: readonly string[] }[]>();
    for (const hour of wanted) chunks.set(hour, []);
    const items = (
      await Promise.all(
        hourRanges(wanted).map(([from, to]) =>
          queryRawItems(
            this.client,
            {
              TableName: this.tableName,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
              ExpressionAttributeValues: {
                ':pk': { S: subscriptionPk(subscriptionId) },
                ':from': { S: entryChunkPrefix(from) },
                ':to': { S: `${entryChunkPrefix(to)}~` },
              },
            },
            options.consistent,
          ),
        ),
      )
    ).flat();
    for (const item of items) {
      const hour = str(item, 'hour');
      const list = chunks.get(hour);
      if (!list) continue; // an hour between two asked ones, read by the same range query
      list.push({
        index: Number(decimal(item, 'chunk')),
        count: Number(decimal(item, 'entryCount')),
        entries: item.entries?.SS ?? [],
      });
    }
    const sets = new Map<string, HourEntrySet>();
    for (const [hour, list] of chunks) {
      list.sort((a, b) => a.index - b.index);
      sets.set(hour, {
        hour,
        seen: new Set(list.flatMap((chunk) => chunk.entries)),
        chunkCounts: list.map((chunk) => chunk.count),
      });
    }
    return sets;
  }

  async addUsage(addition: SubscriptionAddition): Promise<AddUsageResult> {
    const now = this.clock.now();
    const committedHours: string[] = [];
    for (const hours of packHours(addition.hours)) {
      const items = [
        ...hours.flatMap((hour) => this.entryWrites(addition.subscriptionId, hour, now)),
        ...hours.flatMap((hour) => hour.slots.map((slot) => this.slotUpdate(slot, now))),
        ...totalsDeltasOf(
          hours.flatMap((hour) => hour.slots),
          'day',
        ).map((delta) => this.totalsUpdate(delta, 'DAY', now)),
        ...totalsDeltasOf(
          hours.flatMap((hour) => hour.slots),
          'month',
        ).map((delta) => this.totalsUpdate(delta, 'MONTH', now)),
      ];
      if ((await this.transact(items)) === 'stale') return { committedHours, stale: true };
      committedHours.push(...hours.map((hour) => hour.hour));
    }
    return { committedHours, stale: false };
  }

  async appliedBeforeEntrySets(marker: string): Promise<boolean> {
    const found = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: mainTableKey(markerPk(marker), MARKER_SK),
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': PK },
        ConsistentRead: true,
      }),
    );
    return found.Item !== undefined;
  }

  /** Writes one transaction; `stale` when an entry chunk's condition failed (another worker recorded meanwhile). */
  private async transact(items: TransactItem[]): Promise<'done' | 'stale'> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'done';
      } catch (error) {
        if (isConditionFailure(error)) return 'stale';
        // Batches touching one busy subscription add to the same daily and monthly items, so concurrent workers
        // collide (TransactionConflict). A short, jittered retry here is far cheaper than SQS's redelivery after
        // the visibility timeout.
        if (isTransactionConflict(error) && attempt < CONFLICT_ATTEMPTS) {
          await sleep(CONFLICT_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
          continue;
        }
        // Throttling, persistent conflicts or any other failure: nothing of this transaction was written.
        throw error;
      }
    }
  }

  /** The writes that record an hour's new entries: into its last chunk while it has room, then into new chunks. */
  private entryWrites(subscriptionId: string, hour: HourAddition, now: Date): TransactItem[] {
    const expiresAt = Math.floor(now.getTime() / 1000) + ENTRY_RETENTION_DAYS * 86_400;
    const writes: TransactItem[] = [];
    let pending = [...hour.newEntries];
    let chunk = Math.max(hour.chunkCounts.length - 1, 0);
    let count = hour.chunkCounts[chunk];
    while (pending.length > 0) {
      const room = ENTRIES_PER_CHUNK - (count ?? 0);
      if (room <= 0) {
        chunk += 1;
        count = undefined;
        continue;
      }
      const entries = pending.slice(0, room);
      pending = pending.slice(room);
      writes.push({
        Update: {
          TableName: this.tableName,
          Key: mainTableKey(subscriptionPk(subscriptionId), entryChunkSk(hour.hour, chunk)),
          UpdateExpression:
            'ADD #entries :entries, #entryCount :added ' +
            'SET #type = :type, #subscriptionId = :subscriptionId, #hour = :hour, #chunk = :chunk, #ttl = :ttl',
          // The chunk as read, or absent when it is new: so no other worker recorded anything here meanwhile. A chunk
          // fills up only (a full one is never written again), so a worker that read an older state always fails.
          ConditionExpression: count === undefined ? 'attribute_not_exists(#pk)' : '#entryCount = :read',
          ExpressionAttributeNames: {
            '#entries': 'entries',
            '#entryCount': 'entryCount',
            '#type': 'type',
            '#subscriptionId': 'subscriptionId',
            '#hour': 'hour',
            '#chunk': 'chunk',
            '#ttl': TTL,
            ...(count === undefined ? { '#pk': PK } : {}),
          },
          ExpressionAttributeValues: {
            ':entries': new Set(entries),
            ':added': entries.length,
            ':type': 'UsageEntries',
            ':subscriptionId': subscriptionId,
            ':hour': hour.hour,
            ':chunk': chunk,
            ':ttl': expiresAt,
            ...(count === undefined ? {} : { ':read': count }),
          },
        },
      });
      chunk += 1;
      count = undefined;
    }
    return writes;
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

  async readSlotQuantities(
    subscriptionId: string,
    dimension: string,
    fromHour: Date,
    toHour: Date,
  ): Promise<Pick<UsageSlot, 'dimension' | 'hour' | 'quantity'>[]> {
    const items = await queryRawItems(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        // Only what a series needs: DynamoDB still reads whole items, but sends (and the SDK parses) far less.
        ProjectionExpression: '#hour, #quantity',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#hour': 'hour', '#quantity': 'quantity' },
        ExpressionAttributeValues: {
          ':pk': { S: subscriptionPk(subscriptionId) },
          ':from': { S: slotSk(dimension, fromHour.toISOString()) },
          ':to': { S: slotSk(dimension, toHour.toISOString()) },
        },
      },
      true,
    );
    return items.map((item) => ({ dimension, hour: str(item, 'hour'), quantity: decimal(item, 'quantity') }));
  }

  async readDailyTotals(
    subscriptionId: string,
    fromDay: string,
    toDay: string,
    dimensions?: readonly string[],
  ): Promise<UsageTotals[]> {
    if (dimensions === undefined) return this.readTotals(subscriptionId, 'DAY', fromDay, toDay);
    // Only the totals asked for: a day item may hold 24 hour attributes per dimension besides them.
    const names: Record<string, string> = {
      '#pk': PK,
      '#sk': SK,
      '#subscriptionId': 'subscriptionId',
      '#period': 'period',
      '#eventCount': 'eventCount',
    };
    dimensions.forEach((dimension, index) => {
      names[`#q${index}`] = `${QUANTITY_PREFIX}${dimension}`;
    });
    const items = await queryRawItems(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ProjectionExpression: ['#subscriptionId', '#period', '#eventCount', ...dimensions.map((_, i) => `#q${i}`)].join(
          ', ',
        ),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':pk': { S: subscriptionPk(subscriptionId) },
          ':from': { S: totalsSk('DAY', fromDay) },
          ':to': { S: totalsSk('DAY', toDay) },
        },
      },
      true,
    );
    return items.map(totalsOf);
  }

  async readDailyUsage(subscriptionId: string, fromDay: string, toDay: string): Promise<DailyUsage[]> {
    const items = await this.readTotalItems(subscriptionId, 'DAY', fromDay, toDay);
    return items.map((item): DailyUsage => {
      const totals = totalsOf(item);
      const hourly: Record<string, (string | undefined)[]> = {};
      for (const name of Object.keys(item)) {
        const h = hourOfAttribute(name);
        if (h === undefined) continue;
        const dimension = name.slice(HOUR_ATTRIBUTE_PREFIX_LENGTH);
        let hours = hourly[dimension];
        if (hours === undefined) {
          hours = new Array<string | undefined>(24).fill(undefined);
          hourly[dimension] = hours;
        }
        hours[h] = decimal(item, name);
      }
      return { ...totals, hourly };
    });
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
    let hourIndex = 0;
    for (const [dimension, hours] of delta.hourly) {
      for (const [hh, quantity] of hours) {
        // Same item, same transaction as the total: no extra write, and the hours always add up to what they added.
        names[`#h${hourIndex}`] = hourAttribute(hh, dimension);
        values[`:h${hourIndex}`] = NumberValue.from(quantity.toString());
        additions.push(`#h${hourIndex} :h${hourIndex}`);
        hourIndex += 1;
      }
    }
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
    return (await this.readTotalItems(subscriptionId, kind, from, to)).map(totalsOf);
  }

  private readTotalItems(subscriptionId: string, kind: 'DAY' | 'MONTH', from: string, to: string) {
    return queryRawSortKeyRange(this.client, this.tableName, {
      partition: subscriptionPk(subscriptionId),
      from: totalsSk(kind, from),
      to: totalsSk(kind, to),
    });
  }
}

function totalsOf(item: RawItem): UsageTotals {
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
}

/** True when a condition of the transaction failed: only entry chunks carry conditions, so a set changed meanwhile. */
function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/**
 * Groups of hours written together, each fitting one transaction: per hour its entry chunks and slots, per group one
 * daily total per day and one monthly total per month. Greedy, in hour order.
 */
function packHours(hours: readonly HourAddition[]): HourAddition[][] {
  const groups: HourAddition[][] = [];
  let current: HourAddition[] = [];
  let items = 0;
  const days = new Set<string>();
  const months = new Set<string>();
  for (const hour of hours) {
    const day = hour.hour.slice(0, 10);
    const month = hour.hour.slice(0, 7);
    // Its entry chunks (one more than the entries need: the last chunk read may have little room left), its slots,
    // and a daily and a monthly total unless the group has them already.
    const cost = () =>
      Math.ceil(hour.newEntries.length / ENTRIES_PER_CHUNK) +
      1 +
      hour.slots.length +
      (days.has(day) ? 0 : 1) +
      (months.has(month) ? 0 : 1);
    if (current.length > 0 && items + cost() > MAX_TRANSACTION_ITEMS) {
      groups.push(current);
      current = [];
      items = 0;
      days.clear();
      months.clear();
    }
    items += cost();
    current.push(hour);
    days.add(day);
    months.add(month);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Ranges [first, last] of the sorted hours, each spanning at most `HOURS_PER_QUERY` hours, read by one query. */
function hourRanges(sorted: readonly string[]): [string, string][] {
  const ranges: [string, string][] = [];
  for (const hour of sorted) {
    const last = ranges.at(-1);
    if (last && Date.parse(hour) - Date.parse(last[0]) < HOURS_PER_QUERY * HOUR_MS) last[1] = hour;
    else ranges.push([hour, hour]);
  }
  return ranges;
}

function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}

const str = (item: RawItem, name: string) => rawString(item, name, 'usage');
const decimal = (item: RawItem, name: string) => rawDecimal(item, name, 'usage');
