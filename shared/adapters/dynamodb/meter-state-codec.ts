import { NumberValue } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '#shared/adapters/dynamodb/dynamo-item.ts';
import {
  meterSk,
  subscriptionPk,
  unreportedIndexKey,
  unreportedMeterSortKey,
  unreportedShardOf,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { type RawItem, rawDecimal, rawString } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { MAIN_TABLE_KEYS, mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import { emptyMeter, hasCarry, type MeterState } from '#shared/domain/reporting/slots.ts';

/**
 * The reporter's meter state of one subscription's dimension as an item (`SUB#<id>` / `METER#<dimension>`):
 * `version`, the allowance tally (`termStart`, `usageInTerm`, `lastHour`), the usage of recent terms by plan segment
 * (`terms`: a list of `{ termStart, segments: [{ from, usage }] }`, and `termsKnownFrom`; both absent on items written
 * before they were kept, which read as a meter without them), `carryUsage`, `carryOverage`, `carrySince`, `lateTotal`,
 * `unreportableCarry`. Numbers are written from decimal strings and read back as strings,
 * never through a JavaScript float. While the meter holds carry it sits in the unreported index
 * (`<carrySince>#<id>#<dimension>#METER`) so that a reporter run finds it.
 */

/** The meter state stored in `item`, or a fresh meter when there is no item yet. */
export function meterStateOf(item: RawItem | undefined, subscriptionId: string, dimension: string): MeterState {
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
    ...termRecordsFrom(item),
    carryUsage: new Dec(decimal(item, 'carryUsage')),
    carryOverage: new Dec(decimal(item, 'carryOverage')),
    ...(carrySince ? { carrySince } : {}),
    lateTotal: new Dec(decimal(item, 'lateTotal')),
    unreportableCarry: new Dec(decimal(item, 'unreportableCarry')),
  };
}

/**
 * The Put that stores `meter` as its next version, on the condition that the stored version is still the one it was
 * read at (optimistic concurrency: two reporters, a scheduled run and a flush or an at-least-once duplicate
 * invocation, never both move the same tally).
 */
export function meterStatePut(tableName: string, meter: MeterState, now: string): TransactItem {
  const carrying = hasCarry(meter) && meter.carrySince !== undefined;
  const item: Record<string, unknown> = {
    ...mainTableKey(subscriptionPk(meter.subscriptionId), meterSk(meter.dimension)),
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
  if (meter.terms) {
    item.terms = meter.terms.map((term) => ({
      termStart: term.termStart.toISOString(),
      segments: term.segments.map((segment) => ({
        from: segment.from.toISOString(),
        usage: NumberValue.from(segment.usage.toString()),
      })),
    }));
  }
  if (meter.termsKnownFrom) item.termsKnownFrom = meter.termsKnownFrom.toISOString();
  if (carrying && meter.carrySince) {
    item.carrySince = meter.carrySince;
    item[MAIN_TABLE_KEYS.index.partitionKey] = unreportedIndexKey(unreportedShardOf(meter.subscriptionId));
    item[MAIN_TABLE_KEYS.index.sortKey] = unreportedMeterSortKey(
      meter.carrySince,
      meter.subscriptionId,
      meter.dimension,
    );
  }
  return {
    Put: {
      TableName: tableName,
      Item: item,
      ...(meter.version === 0
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': MAIN_TABLE_KEYS.partitionKey },
          }
        : {
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': meter.version },
          }),
    },
  };
}

const decimal = (item: RawItem, name: string) => rawDecimal(item, name, 'reporting');

/** `terms` and `termsKnownFrom` of a stored meter; nothing for an item written before they were kept. */
function termRecordsFrom(item: RawItem): Pick<MeterState, 'terms' | 'termsKnownFrom'> {
  const knownFrom = item.termsKnownFrom?.S;
  const stored = item.terms?.L;
  if (!stored) return knownFrom ? { termsKnownFrom: new Date(knownFrom) } : {};
  const terms = stored.map((term) => {
    const fields = term.M ?? {};
    return {
      termStart: new Date(rawString(fields, 'termStart', 'reporting meter term')),
      segments: (fields.segments?.L ?? []).map((segment) => {
        const values = segment.M ?? {};
        return {
          from: new Date(rawString(values, 'from', 'reporting meter term segment')),
          usage: new Dec(rawDecimal(values, 'usage', 'reporting meter term segment')),
        };
      }),
    };
  });
  return { terms, ...(knownFrom ? { termsKnownFrom: new Date(knownFrom) } : {}) };
}
