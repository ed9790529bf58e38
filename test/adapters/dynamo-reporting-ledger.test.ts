import { randomUUID } from 'node:crypto';
import { GetCommand, NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import {
  legacyReportedPk,
  reportedPk,
  reportedSk,
  unreportedShardOf,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import { emptyMeter, type MeterState, type SlotSubmission } from '#shared/domain/reporting/slots.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import type { SlotAccounting } from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const H09 = '2026-01-15T09:00:00.000Z';
const H10 = '2026-01-15T10:00:00.000Z';
const H11 = '2026-01-15T11:00:00.000Z';

describe('DynamoDB reporting ledger', () => {
  const { documentClient } = localClients();
  const clock = new FixedClock('2026-01-15T10:10:00.000Z');
  let usage: DynamoUsageLedger;
  let ledger: DynamoReportingLedger;
  let tableName: string;
  const aSubscriptionId = () => `sub-${randomUUID()}`;
  const aggregate = (subscriptionId: string, hour: string, quantity: string, dimension = 'api-calls') =>
    applyUsageMessage(
      { ledger: usage },
      aUsageMessage({ slots: [aSlot({ subscriptionId, hour, quantity, dimension })] }),
    );
  const pending = (quantity: string, hour = H09): SlotSubmission => ({
    state: 'pending',
    quantity,
    planId: 'basic',
    effectiveStartTime: hour,
    attempts: 0,
    preparedAt: clock.now().toISOString(),
  });
  /** The write-ahead of a slot read as `quantity` with the meter as read. */
  const writeAhead = (
    subscriptionId: string,
    quantity: string,
    meter: MeterState,
    overrides: Partial<SlotAccounting> = {},
  ): SlotAccounting => ({
    slot: { subscriptionId, dimension: 'api-calls', hour: H09, offerId: 'contoso-analytics' },
    expected: { quantity, reportVersion: 0 },
    meter: {
      ...meter,
      tally: { termStart: new Date('2026-01-06T00:00:00Z'), usageInTerm: new Dec(quantity), lastHour: new Date(H09) },
    },
    accountedQuantity: quantity,
    submission: pending(quantity),
    index: 'set',
    ...overrides,
  });

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    const table = env[MAIN_TABLE.envVar] ?? '';
    tableName = table;
    usage = new DynamoUsageLedger(documentClient, table, clock);
    ledger = new DynamoReportingLedger(documentClient, table, clock);
  });

  it('finds the aggregator’s slots of closed hours in every shard, oldest first', async () => {
    const subscriptions = Array.from({ length: 12 }, aSubscriptionId);
    for (const id of subscriptions) {
      await aggregate(id, H09, '1');
      await aggregate(id, H11, '1');
    }

    const found = await ledger.findUnreported(new Date(H10));
    const one = await ledger.findUnreported(new Date(H11), subscriptions[0]);

    const ours = found.filter((entry) => subscriptions.includes(entry.subscriptionId));
    expect(ours).toHaveLength(12);
    expect(ours.every((entry) => entry.kind === 'slot' && entry.hour === H09)).toBe(true);
    expect(one.map((entry) => entry.hour)).toEqual([H09, H11]);
  });

  it('writes ahead the meter and the slot together, with exact quantities', async () => {
    const subscriptionId = aSubscriptionId();
    await aggregate(subscriptionId, H09, '123456789.123456');
    await aggregate(subscriptionId, H09, '0.000001');
    const [slot] = await ledger.readSlots(subscriptionId, 'api-calls', new Date(H09), new Date(H09));
    expect(slot?.quantity.toString()).toBe('123456789.123457');

    const meter = await ledger.readMeter(subscriptionId, 'api-calls');
    const outcome = await ledger.account(writeAhead(subscriptionId, '123456789.123457', meter));

    expect(outcome).toBe('written');
    expect(await ledger.readSlot({ subscriptionId, dimension: 'api-calls', hour: H09 })).toMatchObject({
      accountedQuantity: new Dec('123456789.123457'),
      submission: pending('123456789.123457'),
      indexed: true,
      reportVersion: 1,
    });
    const stored = await ledger.readMeter(subscriptionId, 'api-calls');
    expect(stored.version).toBe(1);
    expect(stored.tally?.usageInTerm.toString()).toBe('123456789.123457');
  });

  it('writes nothing when an aggregation landed between the read and the write-ahead', async () => {
    const subscriptionId = aSubscriptionId();
    await aggregate(subscriptionId, H09, '5');
    const meter = await ledger.readMeter(subscriptionId, 'api-calls');
    await aggregate(subscriptionId, H09, '2');

    const outcome = await ledger.account(writeAhead(subscriptionId, '5', meter));

    expect(outcome).toBe('conflict');
    expect((await ledger.readMeter(subscriptionId, 'api-calls')).version).toBe(0);
    expect((await ledger.readSlot({ subscriptionId, dimension: 'api-calls', hour: H09 }))?.submission).toBeUndefined();
  });

  it('writes nothing when another reporter moved the meter first', async () => {
    const subscriptionId = aSubscriptionId();
    await aggregate(subscriptionId, H09, '5');
    const meter = await ledger.readMeter(subscriptionId, 'api-calls');
    await ledger.writeMeter({ ...meter, carryUsage: new Dec(1), carrySince: H09 });

    expect(await ledger.account(writeAhead(subscriptionId, '5', meter))).toBe('conflict');
    expect((await ledger.readSlot({ subscriptionId, dimension: 'api-calls', hour: H09 }))?.reportVersion).toBe(0);
  });

  it('records an answer once and leaves the index only if nothing arrived since', async () => {
    const quiet = aSubscriptionId();
    const busy = aSubscriptionId();
    for (const id of [quiet, busy]) {
      await aggregate(id, H09, '5');
      await ledger.account(writeAhead(id, '5', await ledger.readMeter(id, 'api-calls')));
    }
    await aggregate(busy, H09, '1'); // late usage after the write-ahead
    const answer = (subscriptionId: string) => ({
      slot: { subscriptionId, dimension: 'api-calls', hour: H09 },
      submission: { ...pending('5'), state: 'accepted' as const, usageEventId: 'e1', acceptedQuantity: '5' },
      reported: { quantity: '5', planId: 'basic' },
      clearIndex: true,
    });

    expect(await ledger.recordAnswer(answer(quiet))).toBe('recorded');
    expect(await ledger.recordAnswer(answer(quiet))).toBe('notPending');
    expect(await ledger.recordAnswer(answer(busy))).toBe('recorded');

    expect(await ledger.readSlot({ subscriptionId: quiet, dimension: 'api-calls', hour: H09 })).toMatchObject({
      indexed: false,
      submission: { state: 'accepted', usageEventId: 'e1' },
    });
    expect(await ledger.readSlot({ subscriptionId: busy, dimension: 'api-calls', hour: H09 })).toMatchObject({
      indexed: true,
      submission: { state: 'accepted' },
    });
    const totals = await ledger.readReportedTotals('2026-01-15', '2026-01-15');
    expect(totals.filter((total) => total.subscriptionId === quiet)).toEqual([
      { day: '2026-01-15', subscriptionId: quiet, dimension: 'api-calls', quantity: '5', eventCount: 1 },
    ]);
  });

  it('keeps a day’s reported totals in the subscription’s shard, and adds those kept before the shards', async () => {
    const subscriptionId = aSubscriptionId();
    await aggregate(subscriptionId, H09, '5');
    await ledger.account(writeAhead(subscriptionId, '5', await ledger.readMeter(subscriptionId, 'api-calls')));
    // What the reporter wrote for the same day before the shards: one partition for the whole day.
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...mainTableKey(legacyReportedPk('2026-01-15'), reportedSk(subscriptionId, 'api-calls')),
          type: 'ReportedTotal',
          day: '2026-01-15',
          subscriptionId,
          dimension: 'api-calls',
          quantity: NumberValue.from('2.5'),
          eventCount: 1,
        },
      }),
    );

    expect(
      await ledger.recordAnswer({
        slot: { subscriptionId, dimension: 'api-calls', hour: H09 },
        submission: { ...pending('5'), state: 'accepted', usageEventId: 'e2', acceptedQuantity: '5' },
        reported: { quantity: '5', planId: 'basic' },
        clearIndex: true,
      }),
    ).toBe('recorded');

    const stored = await documentClient.send(
      new GetCommand({
        TableName: tableName,
        Key: mainTableKey(
          reportedPk('2026-01-15', unreportedShardOf(subscriptionId)),
          reportedSk(subscriptionId, 'api-calls'),
        ),
      }),
    );
    expect(stored.Item).toMatchObject({ subscriptionId, dimension: 'api-calls' });
    const totals = await ledger.readReportedTotals('2026-01-15', '2026-01-15');
    expect(totals.filter((total) => total.subscriptionId === subscriptionId)).toEqual([
      { day: '2026-01-15', subscriptionId, dimension: 'api-calls', quantity: '7.5', eventCount: 2 },
    ]);
  });

  it('keeps a meter’s usage by term and plan segment exactly, and reads a meter stored without it as before', async () => {
    const subscriptionId = aSubscriptionId();
    const tally = { termStart: new Date('2026-02-06T00:00:00Z'), usageInTerm: new Dec('0.1'), lastHour: new Date(H09) };
    // A meter as stored before the term records were kept: no `terms`, no `termsKnownFrom`.
    await ledger.writeMeter({ ...emptyMeter(subscriptionId, 'api-calls'), tally });
    const old = await ledger.readMeter(subscriptionId, 'api-calls');
    expect(old.tally?.usageInTerm.toString()).toBe('0.1');
    expect(old.terms).toBeUndefined();
    expect(old.termsKnownFrom).toBeUndefined();

    const terms = [
      {
        termStart: new Date('2026-01-06T00:00:00Z'),
        segments: [
          { from: new Date('2026-01-06T10:00:00Z'), usage: new Dec('12345678901234567890.123') },
          { from: new Date('2026-01-20T13:00:00Z'), usage: new Dec('0.3') },
        ],
      },
      {
        termStart: new Date('2026-02-06T00:00:00Z'),
        segments: [{ from: new Date('2026-02-06T00:00:00Z'), usage: new Dec('0.1') }],
      },
    ];
    await ledger.writeMeter({ ...old, terms, termsKnownFrom: new Date('2026-01-06T00:00:00Z') });
    const stored = await ledger.readMeter(subscriptionId, 'api-calls');

    expect(stored.terms).toEqual(terms);
    expect(stored.terms?.[0]?.segments[0]?.usage.toString()).toBe('12345678901234567890.123');
    expect(stored.termsKnownFrom).toEqual(new Date('2026-01-06T00:00:00Z'));
  });

  it('lists a meter holding carry in the index until the carry is gone', async () => {
    const subscriptionId = aSubscriptionId();
    const meter = emptyMeter(subscriptionId, 'gb-processed');
    await ledger.writeMeter({ ...meter, carryOverage: new Dec('2.5'), carrySince: H09 });

    expect(await ledger.findUnreported(new Date(H10), subscriptionId)).toEqual([
      { kind: 'meter', subscriptionId, dimension: 'gb-processed', hour: H09 },
    ]);

    const stored = await ledger.readMeter(subscriptionId, 'gb-processed');
    await ledger.writeMeter({ ...stored, carryOverage: new Dec(0), carrySince: undefined });
    expect(await ledger.findUnreported(new Date(H10), subscriptionId)).toEqual([]);
  });

  it('creates a slot for carry that the aggregator’s reader can read', async () => {
    const subscriptionId = aSubscriptionId();
    const meter = await ledger.readMeter(subscriptionId, 'api-calls');

    await ledger.account(writeAhead(subscriptionId, '0', meter, { accountedQuantity: '0' }));

    expect(await usage.readSlots(subscriptionId, 'api-calls', new Date(H09), new Date(H09))).toEqual([
      aSlot({ subscriptionId, quantity: '0', eventCount: 0 }),
    ]);
  });

  it('flags a subscription once and counts later refusals', async () => {
    const subscriptionId = aSubscriptionId();
    const flag = { subscriptionId, status: 'ResourceNotActive', dimension: 'api-calls', hour: H09, at: clock.now() };

    expect(await ledger.flagSubscription(flag)).toBe('created');
    expect(await ledger.flagSubscription(flag)).toBe('updated');
    expect(await ledger.readFlag(subscriptionId)).toMatchObject({ status: 'ResourceNotActive', rejections: 2 });
  });
});
