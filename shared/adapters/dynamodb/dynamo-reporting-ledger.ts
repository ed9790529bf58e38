import { type AttributeValue, BatchGetItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { meterStateOf, meterStatePut } from '#shared/adapters/dynamodb/meter-state-codec.ts';
import {
  FLAG_SK,
  legacyReportedPk,
  meterSk,
  reportedPk,
  slotSk,
  subscriptionPk,
  UNREPORTED_SHARDS,
  unreportedIndexKey,
  unreportedShardOf,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { queryRawItems, type RawItem, rawDecimal, rawString, sleep } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { reportingSlotOf } from '#shared/adapters/dynamodb/reporting-slot-codec.ts';
import {
  answerUpdate,
  reportedTotalsUpdates,
  reportedTotalUpdate,
  slotAccountingUpdate,
  writeReportingItems,
} from '#shared/adapters/dynamodb/reporting-writes.ts';
import {
  MAIN_INDEX_NAME,
  MAIN_TABLE_KEYS,
  mainTableKey,
  rawMainTableKey,
} from '#shared/adapters/dynamodb/table-keys.ts';
import { querySlotItems } from '#shared/adapters/dynamodb/usage-slot-query.ts';
import { Dec } from '#shared/domain/money.ts';
import type { MeterState, ReportingSlot } from '#shared/domain/reporting/slots.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import type {
  MeteringFlag,
  ReportedTotal,
  ReportingLedger,
  SlotAccounting,
  SlotAnswer,
  SlotKey,
  UnreportedEntry,
  UnreportedShardHead,
} from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * The reporter's side of the main table (single-table design, beside the aggregator's items of
 * `DynamoUsageLedger`; key layout in `metering-item-keys.ts`, the items' encoding in `reporting-slot-codec.ts` and
 * `meter-state-codec.ts`, the guarded writes in `reporting-writes.ts`):
 *
 * - hourly slot `pk = SUB#<id>`, `sk = USAGE#<dimension>#<hour>`: the aggregator's `quantity` (ADD only) plus the
 *   reporter's `accountedQuantity`, `lateQuantity`, `unreportableQuantity` (Numbers, exact), `submission` (a map; its
 *   quantities are decimal strings), `reportVersion` (Number, +1 on every reporter write) and `reportedAt`. The
 *   sparse index keys `gsi1pk = UNREPORTED#<shard>`, `gsi1sk = <hour>#<id>#<dimension>` are set by every aggregation
 *   and removed by the reporter only in a write conditional on `quantity` being what it accounted, so an addition
 *   racing in keeps the slot visible.
 * - meter state `pk = SUB#<id>`, `sk = METER#<dimension>`: `version`, the allowance tally (`termStart`,
 *   `usageInTerm`, `lastHour`), `carryUsage`, `carryOverage`, `carrySince`, `lateTotal`, `unreportableCarry`; while it
 *   holds carry it is in the same index (`gsi1sk = <carrySince>#<id>#<dimension>#METER`) so a run finds it.
 * - metering flag `pk = SUB#<id>`, `sk = METERING_FLAG`: Microsoft refused the subscription (ResourceNotActive/NotFound).
 * - reported totals `pk = REPORTED#<YYYY-MM-DD>`, `sk = <id>#<dimension>`: `quantity` Microsoft holds per day from our
 *   accepted submissions (`eventCount`), for reconciliation with the retrieval API.
 *
 * Numbers are written from decimal strings (`NumberValue`) and read back with the low-level client as strings, never
 * through a JavaScript float. Every read is strongly consistent, except the index (eventually consistent by nature).
 */
export class DynamoReportingLedger implements ReportingLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  readonly shardCount = UNREPORTED_SHARDS;

  async findUnreported(untilHour: Date, subscriptionId?: string, shard?: number): Promise<UnreportedEntry[]> {
    // Every index key starts with an ISO hour, so all entries of hours ≤ untilHour sort before the next hour's text.
    const bound = new Date(untilHour.getTime() + HOUR_MS).toISOString();
    const shards =
      subscriptionId !== undefined
        ? [unreportedShardOf(subscriptionId)].filter((own) => shard === undefined || own === shard)
        : shard !== undefined
          ? [shard]
          : Array.from({ length: UNREPORTED_SHARDS }, (_, index) => index);
    const pages = await Promise.all(
      shards.map((shard) =>
        queryRawItems(
          this.client,
          {
            TableName: this.tableName,
            IndexName: MAIN_INDEX_NAME,
            KeyConditionExpression: '#gsi1pk = :pk AND #gsi1sk < :bound',
            ExpressionAttributeValues: {
              ':pk': { S: unreportedIndexKey(shard) },
              ':bound': { S: bound },
              ...(subscriptionId === undefined ? {} : { ':sub': { S: subscriptionId } }),
            },
            ...(subscriptionId === undefined ? {} : { FilterExpression: '#sub = :sub' }),
            ProjectionExpression: '#type, #sub, #dimension, #hour, #since',
            ExpressionAttributeNames: {
              '#gsi1pk': MAIN_TABLE_KEYS.index.partitionKey,
              '#gsi1sk': MAIN_TABLE_KEYS.index.sortKey,
              '#type': 'type',
              '#sub': 'subscriptionId',
              '#dimension': 'dimension',
              '#hour': 'hour',
              '#since': 'carrySince',
            },
          },
          false,
        ),
      ),
    );
    return pages
      .flat()
      .flatMap((item): UnreportedEntry[] => {
        const type = item.type?.S;
        const subscription = item.subscriptionId?.S;
        const dimension = item.dimension?.S;
        if (!subscription || !dimension) return [];
        if (type === 'UsageSlot' && item.hour?.S) {
          return [{ kind: 'slot', subscriptionId: subscription, dimension, hour: item.hour.S }];
        }
        if (type === 'MeterState' && item.carrySince?.S) {
          return [{ kind: 'meter', subscriptionId: subscription, dimension, hour: item.carrySince.S }];
        }
        return [];
      })
      .sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  }

  async unreportedHeads(untilHour: Date): Promise<UnreportedShardHead[]> {
    const bound = new Date(untilHour.getTime() + HOUR_MS).toISOString();
    const names = { '#gsi1pk': MAIN_TABLE_KEYS.index.partitionKey, '#gsi1sk': MAIN_TABLE_KEYS.index.sortKey };
    const condition = '#gsi1pk = :pk AND #gsi1sk < :bound';
    return Promise.all(
      Array.from({ length: UNREPORTED_SHARDS }, async (_, shard): Promise<UnreportedShardHead> => {
        const values = { ':pk': { S: unreportedIndexKey(shard) }, ':bound': { S: bound } };
        // The sort key starts with the hour, so the first entry of the shard is its oldest. Read first: an empty shard
        // (every shard of an idle system, every 10 minutes) then costs this one query and no count.
        const first = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: MAIN_INDEX_NAME,
            KeyConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            Limit: 1,
          }),
        );
        const sortKey = first.Items?.[0]?.[MAIN_TABLE_KEYS.index.sortKey]?.S;
        if (!sortKey) return { shard, entries: 0 };
        let entries = 0;
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: MAIN_INDEX_NAME,
              KeyConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              Select: 'COUNT',
              ExclusiveStartKey: start,
            }),
          );
          entries += page.Count ?? 0;
          start = page.LastEvaluatedKey;
        } while (start);
        return { shard, entries, oldestHour: sortKey.slice(0, sortKey.indexOf('#')) };
      }),
    );
  }

  async readMeter(subscriptionId: string, dimension: string): Promise<MeterState> {
    const item = await this.getConsistently(subscriptionPk(subscriptionId), meterSk(dimension));
    return meterStateOf(item, subscriptionId, dimension);
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<ReportingSlot[]> {
    const items = await querySlotItems(this.client, this.tableName, { subscriptionId, dimension, fromHour, toHour });
    return items.map(reportingSlotOf);
  }

  async readSlot(key: SlotKey): Promise<ReportingSlot | undefined> {
    const item = await this.getConsistently(subscriptionPk(key.subscriptionId), slotSk(key.dimension, key.hour));
    return item ? reportingSlotOf(item) : undefined;
  }

  private readonly reads = new Map<string, PendingRead>();

  /**
   * A strongly consistent GetItem, except that the reads asked for in the same turn of the event loop (the run's
   * concurrent groups) go out together as BatchGetItem requests of up to 100 keys: one request instead of one each.
   */
  private getConsistently(pk: string, sk: string): Promise<RawItem | undefined> {
    const id = `${pk}\u0000${sk}`;
    return new Promise((resolve, reject) => {
      if (this.reads.size === 0) setImmediate(() => this.flushReads());
      const entry: PendingRead = this.reads.get(id) ?? { key: rawMainTableKey(pk, sk), resolves: [], rejects: [] };
      entry.resolves.push(resolve);
      entry.rejects.push(reject);
      this.reads.set(id, entry);
    });
  }

  private flushReads(): void {
    const batch = [...this.reads.values()];
    this.reads.clear();
    for (let start = 0; start < batch.length; start += MAX_BATCH_GET_KEYS) {
      const chunk = batch.slice(start, start + MAX_BATCH_GET_KEYS);
      void this.batchGet(chunk.map((entry) => entry.key)).then(
        (found) => {
          for (const entry of chunk) for (const resolve of entry.resolves) resolve(found.get(keyId(entry.key)));
        },
        (error: unknown) => {
          for (const entry of chunk) for (const reject of entry.rejects) reject(error);
        },
      );
    }
  }

  /** BatchGetItem (consistent) of `keys`, asking again for any DynamoDB left unprocessed (throttling). */
  private async batchGet(keys: RawItem[]): Promise<Map<string, RawItem>> {
    const found = new Map<string, RawItem>();
    let pending = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1_000, 20 * 2 ** attempt));
      const answer = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of answer.Responses?.[this.tableName] ?? []) found.set(keyId(item), item);
      pending = (answer.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as RawItem[];
    }
    return found;
  }

  /**
   * Accounting steps asked for in the same turn of the event loop (the run's concurrent groups) are written together,
   * in transactions of up to 100 items (`writeAccountingTogether`): the same all-or-nothing per step, at one request
   * for many steps instead of one each.
   */
  account(step: SlotAccounting): Promise<'written' | 'conflict'> {
    const now = this.clock.now().toISOString();
    const slot = slotAccountingUpdate(this.tableName, step, now);
    const meter = step.meter ? meterStatePut(this.tableName, step.meter, now) : undefined;
    return new Promise((resolve, reject) => {
      this.accounting.push({ items: meter ? [slot, meter] : [slot], resolve, reject });
      if (this.accounting.length === 1) setImmediate(() => this.flushAccounting());
    });
  }

  private readonly accounting: PendingWrite[] = [];

  private flushAccounting(): void {
    const queued = this.accounting.splice(0);
    let chunk: PendingWrite[] = [];
    let size = 0;
    for (const entry of queued) {
      if (size + entry.items.length > MAX_TRANSACTION_ITEMS) {
        void writeAccountingTogether(this.client, chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(entry);
      size += entry.items.length;
    }
    if (chunk.length > 0) void writeAccountingTogether(this.client, chunk);
  }

  async recordAnswer(answer: SlotAnswer): Promise<'recorded' | 'notPending' | 'conflict'> {
    const now = this.clock.now();
    // First with the index keys removed (condition: nothing arrived since the slot was accounted); if that condition
    // is what failed while the submission is still pending, the answer is recorded without leaving the index, and the
    // next run folds the late addition.
    for (const clearIndex of answer.clearIndex ? [true, false] : [false]) {
      const items: TransactItem[] = [answerUpdate(this.tableName, answer, clearIndex, now.toISOString())];
      if (answer.meter) items.push(meterStatePut(this.tableName, answer.meter, now.toISOString()));
      if (answer.reported) items.push(reportedTotalUpdate(this.tableName, answer, now.toISOString()));
      const outcome = await writeReportingItems(this.client, items);
      if (outcome === 'written') return 'recorded';
      if (outcome.failed.has(0)) {
        const slot = await this.readSlot(answer.slot);
        if (slot?.submission?.state !== 'pending') return 'notPending';
        if (clearIndex) continue;
      }
      return 'conflict';
    }
    return 'conflict';
  }

  async recordAnswers(answers: readonly SlotAnswer[]): Promise<('recorded' | 'notPending' | 'conflict')[]> {
    if (answers.length === 0) return [];
    const now = this.clock.now().toISOString();
    // One transaction for the whole batch (≤ 25 slots and their day totals, under the 100-item limit): the common case,
    // every answer final and nothing aggregated since, costs one request instead of one per event.
    if (answers.length > 1 && answers.every((answer) => !answer.meter)) {
      const items = [
        ...answers.map((answer) => answerUpdate(this.tableName, answer, answer.clearIndex, now)),
        ...reportedTotalsUpdates(this.tableName, answers, now),
      ];
      if ((await writeReportingItems(this.client, items)) === 'written') return answers.map(() => 'recorded');
    }
    // A condition failed somewhere (a late addition, another reporter's answer): nothing was written; one by one.
    const outcomes: ('recorded' | 'notPending' | 'conflict')[] = [];
    for (const answer of answers) outcomes.push(await this.recordAnswer(answer));
    return outcomes;
  }

  async writeMeter(meter: MeterState): Promise<'written' | 'conflict'> {
    const outcome = await writeReportingItems(this.client, [
      meterStatePut(this.tableName, meter, this.clock.now().toISOString()),
    ]);
    return outcome === 'written' ? 'written' : 'conflict';
  }

  async flagSubscription(flag: MeteringFlag): Promise<'created' | 'updated'> {
    const { Attributes: old } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: mainTableKey(subscriptionPk(flag.subscriptionId), FLAG_SK),
        UpdateExpression:
          'SET #type = :type, #sub = :sub, #status = :status, #dimension = :dimension, #hour = :hour, ' +
          '#firstAt = if_not_exists(#firstAt, :at), #lastAt = :at ADD #rejections :one',
        ExpressionAttributeNames: {
          '#type': 'type',
          '#sub': 'subscriptionId',
          '#status': 'status',
          '#dimension': 'dimension',
          '#hour': 'hour',
          '#firstAt': 'firstAt',
          '#lastAt': 'lastAt',
          '#rejections': 'rejections',
        },
        ExpressionAttributeValues: {
          ':type': 'MeteringFlag',
          ':sub': flag.subscriptionId,
          ':status': flag.status,
          ':dimension': flag.dimension,
          ':hour': flag.hour,
          ':at': flag.at.toISOString(),
          ':one': 1,
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return old?.firstAt === undefined ? 'created' : 'updated';
  }

  /** The subscription's metering flag, if Microsoft ever refused it (for operators and tests). */
  async readFlag(
    subscriptionId: string,
  ): Promise<{ status: string; firstAt: string; lastAt: string; rejections: number } | undefined> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: rawMainTableKey(subscriptionPk(subscriptionId), FLAG_SK),
        ConsistentRead: true,
      }),
    );
    if (!item) return undefined;
    return {
      status: item.status?.S ?? '',
      firstAt: item.firstAt?.S ?? '',
      lastAt: item.lastAt?.S ?? '',
      rejections: Number(item.rejections?.N ?? '0'),
    };
  }

  async readReportedTotals(fromDay: string, toDay: string): Promise<ReportedTotal[]> {
    const days: string[] = [];
    for (let t = Date.parse(`${fromDay}T00:00:00Z`); t <= Date.parse(`${toDay}T00:00:00Z`); t += 86_400_000) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    // Each day's shards, and its partition from before the shards: a day reported across the change has both.
    const partitions = days.flatMap((day) => [
      legacyReportedPk(day),
      ...Array.from({ length: UNREPORTED_SHARDS }, (_, shard) => reportedPk(day, shard)),
    ]);
    const pages = await Promise.all(
      partitions.map((partition) =>
        queryRawItems(
          this.client,
          {
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': MAIN_TABLE_KEYS.partitionKey },
            ExpressionAttributeValues: { ':pk': { S: partition } },
          },
          true,
        ),
      ),
    );
    const totals = new Map<string, ReportedTotal>();
    for (const item of pages.flat()) {
      const total: ReportedTotal = {
        day: str(item, 'day'),
        subscriptionId: str(item, 'subscriptionId'),
        dimension: str(item, 'dimension'),
        quantity: decimal(item, 'quantity'),
        eventCount: Number(decimal(item, 'eventCount')),
      };
      const key = `${total.day}\u0000${total.subscriptionId}\u0000${total.dimension}`;
      const before = totals.get(key);
      totals.set(
        key,
        before
          ? {
              ...total,
              quantity: new Dec(before.quantity).plus(total.quantity).toString(),
              eventCount: before.eventCount + total.eventCount,
            }
          : total,
      );
    }
    return [...totals.values()];
  }
}

/** A read waiting to go out with others (`getConsistently`). */
interface PendingRead {
  readonly key: RawItem;
  readonly resolves: ((item: RawItem | undefined) => void)[];
  readonly rejects: ((error: unknown) => void)[];
}

/** DynamoDB's limit of keys in one BatchGetItem. */
const MAX_BATCH_GET_KEYS = 100;

/** The identity of an item (or key) by its table keys. */
const keyId = (item: RawItem) =>
  `${item[MAIN_TABLE_KEYS.partitionKey]?.S ?? ''}\u0000${item[MAIN_TABLE_KEYS.sortKey]?.S ?? ''}`;

/** DynamoDB's limit of items in one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;

/** One accounting step waiting to be written with others (its slot item, and its meter item if any). */
interface PendingWrite {
  readonly items: readonly TransactItem[];
  readonly resolve: (outcome: 'written' | 'conflict') => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes the steps' items in one transaction. Each step keeps its own outcome: when the transaction is cancelled,
 * DynamoDB says which items failed their condition; those steps are conflicts, and the others, not written either,
 * are written again without them. Anything else (throttling, a transaction conflict) is retried step by step, each
 * alone as before (`writeReportingItems`, which retries transaction conflicts).
 */
async function writeAccountingTogether(client: DynamoDBDocumentClient, steps: readonly PendingWrite[]): Promise<void> {
  if (steps.length === 1) {
    const [step] = steps as [PendingWrite];
    await writeReportingItems(client, step.items).then(
      (outcome) => step.resolve(outcome === 'written' ? 'written' : 'conflict'),
      step.reject,
    );
    return;
  }
  const outcome = await writeReportingItems(
    client,
    steps.flatMap((step) => step.items),
  ).catch(() => undefined);
  if (outcome === 'written') {
    for (const step of steps) step.resolve('written');
    return;
  }
  if (outcome === undefined) {
    await Promise.all(steps.map((step) => writeAccountingTogether(client, [step])));
    return;
  }
  let index = 0;
  const remaining: PendingWrite[] = [];
  for (const step of steps) {
    const failed = step.items.some((_, offset) => outcome.failed.has(index + offset));
    index += step.items.length;
    if (failed) step.resolve('conflict');
    else remaining.push(step);
  }
  if (remaining.length > 0) await writeAccountingTogether(client, remaining);
}

const str = (item: RawItem, name: string) => rawString(item, name, 'reporting');
const decimal = (item: RawItem, name: string) => rawDecimal(item, name, 'reporting');
