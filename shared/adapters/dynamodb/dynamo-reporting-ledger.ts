import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  NumberValue,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  slotSk,
  subscriptionPk,
  UNREPORTED_SHARDS,
  unreportedIndexKey,
  unreportedShardOf,
  unreportedSlotSortKey,
} from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { type RawItem, rawDecimal, rawString, sleep } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { Dec } from '#shared/domain/money.ts';
import {
  emptyMeter,
  hasCarry,
  type MeterState,
  type ReportingSlot,
  type SlotSubmission,
  type SubmissionState,
} from '#shared/domain/reporting/slots.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import type {
  MeteringFlag,
  ReportedTotal,
  ReportingLedger,
  SlotAccounting,
  SlotAnswer,
  SlotKey,
  UnreportedEntry,
} from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

const meterSk = (dimension: string) => `METER#${dimension}`;
const FLAG_SK = 'METERING_FLAG';
const reportedPk = (day: string) => `REPORTED#${day}`;
const reportedSk = (subscriptionId: string, dimension: string) => `${subscriptionId}#${dimension}`;
/** Index sort key of a meter holding carry; `#METER` keeps it apart from the slot of the same hour. */
const unreportedMeterSortKey = (since: string, subscriptionId: string, dimension: string) =>
  `${since}#${subscriptionId}#${dimension}#METER`;
const CONFLICT_ATTEMPTS = 5;
const CONFLICT_BASE_DELAY_MS = 20;

/**
 * The reporter's side of the main table (single-table design, beside the aggregator's items of
 * `DynamoUsageLedger`):
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

  async findUnreported(untilHour: Date, subscriptionId?: string): Promise<UnreportedEntry[]> {
    // Every index key starts with an ISO hour, so all entries of hours ≤ untilHour sort before the next hour's text.
    const bound = new Date(untilHour.getTime() + HOUR_MS).toISOString();
    const shards =
      subscriptionId === undefined
        ? Array.from({ length: UNREPORTED_SHARDS }, (_, shard) => shard)
        : [unreportedShardOf(subscriptionId)];
    const pages = await Promise.all(
      shards.map((shard) =>
        this.queryAll(
          {
            TableName: this.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :bound',
            ExpressionAttributeValues: {
              ':pk': { S: unreportedIndexKey(shard) },
              ':bound': { S: bound },
              ...(subscriptionId === undefined ? {} : { ':sub': { S: subscriptionId } }),
            },
            ...(subscriptionId === undefined ? {} : { FilterExpression: '#sub = :sub' }),
            ProjectionExpression: '#type, #sub, #dimension, #hour, #since',
            ExpressionAttributeNames: {
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

  async readMeter(subscriptionId: string, dimension: string): Promise<MeterState> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: subscriptionPk(subscriptionId) }, sk: { S: meterSk(dimension) } },
        ConsistentRead: true,
      }),
    );
    if (!item) return emptyMeter(subscriptionId, dimension);
    const termStart = item.termStart?.S;
    const lastHour = item.lastHour?.S;
    const carrySince = item.carrySince?.S;
    return {
      subscriptionId,
      dimension,
      version: Number(decimal(item, 'version')),
      ...(termStart && lastHour
        ? {
            tally: {
              termStart: new Date(termStart),
              usageInTerm: new Dec(decimal(item, 'usageInTerm')),
              lastHour: new Date(lastHour),
            },
          }
        : {}),
      carryUsage: new Dec(decimal(item, 'carryUsage')),
      carryOverage: new Dec(decimal(item, 'carryOverage')),
      ...(carrySince ? { carrySince } : {}),
      lateTotal: new Dec(decimal(item, 'lateTotal')),
      unreportableCarry: new Dec(decimal(item, 'unreportableCarry')),
    };
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<ReportingSlot[]> {
    const items = await this.queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: subscriptionPk(subscriptionId) },
          ':from': { S: slotSk(dimension, fromHour.toISOString()) },
          ':to': { S: slotSk(dimension, toHour.toISOString()) },
        },
      },
      true,
    );
    return items.map(slotOf);
  }

  async readSlot(key: SlotKey): Promise<ReportingSlot | undefined> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: subscriptionPk(key.subscriptionId) }, sk: { S: slotSk(key.dimension, key.hour) } },
        ConsistentRead: true,
      }),
    );
    return item ? slotOf(item) : undefined;
  }

  async account(step: SlotAccounting): Promise<'written' | 'conflict'> {
    const now = this.clock.now().toISOString();
    const slot = this.slotAccountingUpdate(step, now);
    const meter = step.meter ? this.meterPut(step.meter, now) : undefined;
    const outcome = await this.write(meter ? [slot, meter] : [slot]);
    return outcome === 'written' ? 'written' : 'conflict';
  }

  async recordAnswer(answer: SlotAnswer): Promise<'recorded' | 'notPending' | 'conflict'> {
    const now = this.clock.now();
    // First with the index keys removed (condition: nothing arrived since the slot was accounted); if that condition
    // is what failed while the submission is still pending, the answer is recorded without leaving the index, and the
    // next run folds the late addition.
    for (const clearIndex of answer.clearIndex ? [true, false] : [false]) {
      const items: TransactItem[] = [this.answerUpdate(answer, clearIndex, now.toISOString())];
      if (answer.meter) items.push(this.meterPut(answer.meter, now.toISOString()));
      if (answer.reported) items.push(this.reportedUpdate(answer, now.toISOString()));
      const outcome = await this.write(items);
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

  async writeMeter(meter: MeterState): Promise<'written' | 'conflict'> {
    const outcome = await this.write([this.meterPut(meter, this.clock.now().toISOString())]);
    return outcome === 'written' ? 'written' : 'conflict';
  }

  async flagSubscription(flag: MeteringFlag): Promise<'created' | 'updated'> {
    const { Attributes: old } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: subscriptionPk(flag.subscriptionId), sk: FLAG_SK },
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
        Key: { pk: { S: subscriptionPk(subscriptionId) }, sk: { S: FLAG_SK } },
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
    const pages = await Promise.all(
      days.map((day) =>
        this.queryAll(
          {
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: reportedPk(day) } },
          },
          true,
        ),
      ),
    );
    return pages.flat().map((item) => ({
      day: str(item, 'day'),
      subscriptionId: str(item, 'subscriptionId'),
      dimension: str(item, 'dimension'),
      quantity: decimal(item, 'quantity'),
      eventCount: Number(decimal(item, 'eventCount')),
    }));
  }

  // ----- writes ---------------------------------------------------------------------------------------------------

  private slotAccountingUpdate(step: SlotAccounting, now: string): TransactItem {
    const names: Record<string, string> = {
      '#quantity': 'quantity',
      '#eventCount': 'eventCount',
      '#reportVersion': 'reportVersion',
      '#accounted': 'accountedQuantity',
      '#type': 'type',
      '#subscriptionId': 'subscriptionId',
      '#offerId': 'offerId',
      '#dimension': 'dimension',
      '#hour': 'hour',
      '#reportedAt': 'reportedAt',
    };
    const values: Record<string, unknown> = {
      ':zero': 0,
      ':one': 1,
      ':accounted': NumberValue.from(step.accountedQuantity),
      ':type': 'UsageSlot',
      ':subscriptionId': step.slot.subscriptionId,
      ':offerId': step.slot.offerId,
      ':dimension': step.slot.dimension,
      ':hour': step.slot.hour,
      ':now': now,
    };
    // ADD of 0 creates `quantity` and `eventCount` on a slot made for carry, so the aggregator's readers always find
    // the numbers; on an existing slot it changes nothing.
    const additions = ['#quantity :zero', '#eventCount :zero', '#reportVersion :one'];
    const sets = [
      '#accounted = :accounted',
      '#type = if_not_exists(#type, :type)',
      '#subscriptionId = if_not_exists(#subscriptionId, :subscriptionId)',
      '#offerId = if_not_exists(#offerId, :offerId)',
      '#dimension = if_not_exists(#dimension, :dimension)',
      '#hour = if_not_exists(#hour, :hour)',
      '#reportedAt = :now',
    ];
    const removals: string[] = [];
    if (step.addLate) {
      names['#late'] = 'lateQuantity';
      values[':late'] = NumberValue.from(step.addLate);
      additions.push('#late :late');
    }
    if (step.addUnreportable) {
      names['#unreportable'] = 'unreportableQuantity';
      values[':unreportable'] = NumberValue.from(step.addUnreportable);
      additions.push('#unreportable :unreportable');
    }
    if (step.submission) {
      names['#submission'] = 'submission';
      values[':submission'] = submissionAttribute(step.submission);
      sets.push('#submission = :submission');
    }
    if (step.index !== 'keep') {
      names['#gsi1pk'] = 'gsi1pk';
      names['#gsi1sk'] = 'gsi1sk';
    }
    if (step.index === 'set') {
      values[':gsi1pk'] = unreportedIndexKey(unreportedShardOf(step.slot.subscriptionId));
      values[':gsi1sk'] = unreportedSlotSortKey(step.slot.hour, step.slot.subscriptionId, step.slot.dimension);
      sets.push('#gsi1pk = :gsi1pk', '#gsi1sk = :gsi1sk');
    }
    if (step.index === 'clear') removals.push('#gsi1pk', '#gsi1sk');
    const expectedQuantity = new Dec(step.expected.quantity);
    values[':expectedQuantity'] = NumberValue.from(expectedQuantity.toString());
    // The write-ahead's guard: the quantity is still what was accounted (no aggregation landed in between) and no
    // other reporter wrote the slot since it was read.
    const quantityCondition = expectedQuantity.isZero()
      ? '(attribute_not_exists(#quantity) OR #quantity = :expectedQuantity)'
      : '#quantity = :expectedQuantity';
    let versionCondition = 'attribute_not_exists(#reportVersion)';
    if (step.expected.reportVersion > 0) {
      values[':expectedVersion'] = step.expected.reportVersion;
      versionCondition = '#reportVersion = :expectedVersion';
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: subscriptionPk(step.slot.subscriptionId), sk: slotSk(step.slot.dimension, step.slot.hour) },
        UpdateExpression:
          `ADD ${additions.join(', ')} SET ${sets.join(', ')}` +
          (removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''),
        ConditionExpression: `${quantityCondition} AND ${versionCondition}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  private answerUpdate(answer: SlotAnswer, clearIndex: boolean, now: string): TransactItem {
    const names: Record<string, string> = {
      '#submission': 'submission',
      '#state': 'state',
      '#reportVersion': 'reportVersion',
      '#reportedAt': 'reportedAt',
    };
    let condition = '#submission.#state = :pending';
    if (clearIndex) {
      names['#quantity'] = 'quantity';
      names['#accounted'] = 'accountedQuantity';
      names['#gsi1pk'] = 'gsi1pk';
      names['#gsi1sk'] = 'gsi1sk';
      condition += ' AND #quantity = #accounted';
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: subscriptionPk(answer.slot.subscriptionId), sk: slotSk(answer.slot.dimension, answer.slot.hour) },
        UpdateExpression:
          'SET #submission = :submission, #reportedAt = :now ADD #reportVersion :one' +
          (clearIndex ? ' REMOVE #gsi1pk, #gsi1sk' : ''),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':submission': submissionAttribute(answer.submission),
          ':pending': 'pending' satisfies SubmissionState,
          ':now': now,
          ':one': 1,
        },
      },
    };
  }

  private reportedUpdate(answer: SlotAnswer, now: string): TransactItem {
    const day = answer.slot.hour.slice(0, 10);
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: reportedPk(day), sk: reportedSk(answer.slot.subscriptionId, answer.slot.dimension) },
        UpdateExpression:
          'ADD #quantity :quantity, #eventCount :one ' +
          'SET #type = :type, #day = :day, #sub = :sub, #dimension = :dimension, #updatedAt = :now',
        ExpressionAttributeNames: {
          '#quantity': 'quantity',
          '#eventCount': 'eventCount',
          '#type': 'type',
          '#day': 'day',
          '#sub': 'subscriptionId',
          '#dimension': 'dimension',
          '#updatedAt': 'updatedAt',
        },
        ExpressionAttributeValues: {
          ':quantity': NumberValue.from(new Dec(answer.reported?.quantity ?? '0').toString()),
          ':one': 1,
          ':type': 'ReportedUsageDay',
          ':day': day,
          ':sub': answer.slot.subscriptionId,
          ':dimension': answer.slot.dimension,
          ':now': now,
        },
      },
    };
  }

  private meterPut(meter: MeterState, now: string): TransactItem {
    const carrying = hasCarry(meter) && meter.carrySince !== undefined;
    const item: Record<string, unknown> = {
      pk: subscriptionPk(meter.subscriptionId),
      sk: meterSk(meter.dimension),
      type: 'MeterState',
      subscriptionId: meter.subscriptionId,
      dimension: meter.dimension,
      version: meter.version + 1,
      carryUsage: NumberValue.from(meter.carryUsage.toString()),
      carryOverage: NumberValue.from(meter.carryOverage.toString()),
      lateTotal: NumberValue.from(meter.lateTotal.toString()),
      unreportableCarry: NumberValue.from(meter.unreportableCarry.toString()),
      updatedAt: now,
    };
    if (meter.tally) {
      item.termStart = meter.tally.termStart.toISOString();
      item.usageInTerm = NumberValue.from(meter.tally.usageInTerm.toString());
      item.lastHour = meter.tally.lastHour.toISOString();
    }
    if (carrying && meter.carrySince) {
      item.carrySince = meter.carrySince;
      item.gsi1pk = unreportedIndexKey(unreportedShardOf(meter.subscriptionId));
      item.gsi1sk = unreportedMeterSortKey(meter.carrySince, meter.subscriptionId, meter.dimension);
    }
    return {
      Put: {
        TableName: this.tableName,
        Item: item,
        // Optimistic concurrency: two reporters (a scheduled run and a flush, or an at-least-once duplicate invocation)
        // never both move the same tally.
        ConditionExpression: meter.version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
        ...(meter.version === 0
          ? {}
          : {
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': meter.version },
            }),
      },
    };
  }

  /**
   * Writes the items (one Update/Put alone, several in a transaction). A concurrent transaction on the same items is
   * retried here after a short jittered pause; a failed condition is returned with the index of the failed items.
   */
  private async write(items: TransactItem[]): Promise<'written' | { failed: Set<number> }> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (items.length === 1) await this.sendSingle(items[0] as TransactItem);
        else await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'written';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { failed: new Set([0]) };
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = new Set(
          reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : [])),
        );
        if (failed.size > 0) return { failed };
        if (attempt >= CONFLICT_ATTEMPTS) throw error;
        await sleep(CONFLICT_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }

  private async sendSingle(item: TransactItem): Promise<void> {
    if (item.Update) {
      await this.client.send(new UpdateCommand(item.Update as ConstructorParameters<typeof UpdateCommand>[0]));
    } else if (item.Put) {
      await this.client.send(new PutCommand(item.Put as ConstructorParameters<typeof PutCommand>[0]));
    } else {
      throw new Error('unsupported write');
    }
  }

  /** Low-level queries, so numbers arrive as the decimal strings DynamoDB sends. */
  private async queryAll(input: QueryCommandInput, consistent: boolean): Promise<RawItem[]> {
    const items: RawItem[] = [];
    let startKey: RawItem | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, ...(consistent ? { ConsistentRead: true } : {}), ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/** The submission as a map of strings (quantities stay exact decimal text) and the attempts count. */
function submissionAttribute(submission: SlotSubmission): Record<string, unknown> {
  const attribute: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(submission)) {
    if (value !== undefined) attribute[name] = value;
  }
  return attribute;
}

function slotOf(item: RawItem): ReportingSlot {
  const submission = item.submission?.M;
  return {
    subscriptionId: str(item, 'subscriptionId'),
    offerId: str(item, 'offerId'),
    dimension: str(item, 'dimension'),
    hour: str(item, 'hour'),
    quantity: new Dec(optionalDecimal(item, 'quantity')),
    accountedQuantity: new Dec(optionalDecimal(item, 'accountedQuantity')),
    lateQuantity: new Dec(optionalDecimal(item, 'lateQuantity')),
    unreportableQuantity: new Dec(optionalDecimal(item, 'unreportableQuantity')),
    ...(submission ? { submission: submissionOf(submission) } : {}),
    indexed: item.gsi1pk?.S !== undefined,
    reportVersion: Number(optionalDecimal(item, 'reportVersion')),
  };
}

const SUBMISSION_TEXT_FIELDS = [
  'quantity',
  'planId',
  'effectiveStartTime',
  'ratedUsage',
  'consumedIncluded',
  'overage',
  'carriedUsage',
  'carriedOverage',
  'termStart',
  'usageEventId',
  'acceptedQuantity',
  'answer',
  'reason',
  'preparedAt',
  'answeredAt',
] as const;

function submissionOf(map: RawItem): SlotSubmission {
  const state = map.state?.S as SubmissionState | undefined;
  if (!state) throw new Error('Stored submission has no state');
  const fields: Record<string, string> = {};
  for (const name of SUBMISSION_TEXT_FIELDS) {
    const value = map[name]?.S;
    if (value !== undefined) fields[name] = value;
  }
  return {
    ...fields,
    state,
    quantity: fields.quantity ?? '0',
    effectiveStartTime: fields.effectiveStartTime ?? '',
    preparedAt: fields.preparedAt ?? '',
    attempts: Number(map.attempts?.N ?? '0'),
  };
}

const str = (item: RawItem, name: string) => rawString(item, name, 'reporting');
const decimal = (item: RawItem, name: string) => rawDecimal(item, name, 'reporting');

function optionalDecimal(item: RawItem, name: string): string {
  return item[name] === undefined ? '0' : decimal(item, name);
}
