import { randomUUID } from 'node:crypto';
import { GetItemCommand, QueryCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import {
  DynamoUsageLedger,
  ENTRIES_PER_CHUNK,
  ENTRY_RETENTION_DAYS,
} from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import {
  UNREPORTED_SHARDS,
  unreportedIndexKey,
  unreportedShardOf,
} from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import { applyUsageMessage, applyUsageMessages } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { eventIdEntry } from '#shared/use-cases/metering/event-id-entry.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const H9 = '2026-01-15T09:00:00.000Z';
const ALL_TIME: [Date, Date] = [new Date('2020-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z')];

describe('DynamoDB usage ledger', () => {
  const { documentClient } = localClients();
  const clock = new FixedClock('2026-01-15T10:05:00.000Z');
  let tableName: string;
  let ledger: DynamoUsageLedger;
  const aSubscriptionId = () => `sub-${randomUUID()}`;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    tableName = env[MAIN_TABLE.envVar] ?? '';
    ledger = new DynamoUsageLedger(documentClient, tableName, clock);
  });

  it('counts a message applied twice once, and says the second time was a duplicate', async () => {
    const subscriptionId = aSubscriptionId();
    const message = aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '2.5', eventCount: 3 })] });

    const outcomes = [
      await applyUsageMessage({ ledger: ledger }, message),
      await applyUsageMessage({ ledger: ledger }, message),
    ];

    expect(outcomes).toEqual(['applied', 'duplicate']);
    expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toEqual([
      aSlot({ subscriptionId, quantity: '2.5', eventCount: 3 }),
    ]);
  });

  it('adds up two different messages for the same slot, exactly', async () => {
    const subscriptionId = aSubscriptionId();
    const first = aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '0.1', eventCount: 1 })] });
    const second = aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '0.2', eventCount: 2 })] });

    await applyUsageMessage({ ledger: ledger }, first);
    await applyUsageMessage({ ledger: ledger }, second);

    const [slot] = await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME);
    expect(slot).toMatchObject({ quantity: '0.3', eventCount: 3 });
  });

  it('keeps sums exact beyond what a JavaScript number can hold', async () => {
    const subscriptionId = aSubscriptionId();
    const big = '999999999.999999';

    for (let i = 0; i < 3; i++) {
      await applyUsageMessage({ ledger: ledger }, aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: big })] }));
    }

    const [slot] = await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME);
    expect(slot?.quantity).toBe(new Dec(big).times(3).toString());
    expect(slot?.quantity).toBe('2999999999.999997');
  });

  it('counts a message applied concurrently by two workers once', async () => {
    const subscriptionId = aSubscriptionId();
    const message = aUsageMessage({
      slots: [aSlot({ subscriptionId, quantity: '5' }), aSlot({ subscriptionId, dimension: 'storage', quantity: '7' })],
    });

    const race = await Promise.allSettled([
      applyUsageMessage({ ledger: ledger }, message),
      applyUsageMessage({ ledger: ledger }, message),
    ]);
    // A worker that lost the race with a TransactionConflict has its message redelivered by SQS: do that here.
    const redelivered = await Promise.all(
      race.filter((outcome) => outcome.status === 'rejected').map(() => applyUsageMessage({ ledger: ledger }, message)),
    );

    const outcomes = [...race.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])), ...redelivered];
    expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(1);
    expect(await ledger.readDailyTotals(subscriptionId, '2026-01-15', '2026-01-15')).toEqual([
      { subscriptionId, period: '2026-01-15', quantities: { 'api-calls': '5', storage: '7' }, eventCount: 2 },
    ]);
  });

  it('counts every one of many different messages applied at once to the same slot and totals', async () => {
    const subscriptionId = aSubscriptionId();
    const messages = Array.from({ length: 8 }, (_, index) =>
      aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: `0.${index + 1}` })] }),
    );

    const race = await Promise.allSettled(messages.map((message) => applyUsageMessage({ ledger: ledger }, message)));
    // Whatever still lost its conflicts after the adapter's own retries is redelivered by SQS: do that here.
    for (const [index, outcome] of race.entries()) {
      if (outcome.status === 'rejected') await applyUsageMessage({ ledger: ledger }, messages[index] as never);
    }

    const [slot] = await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME);
    expect(slot).toMatchObject({ quantity: '3.6', eventCount: 8 });
    expect(await ledger.readDailyTotals(subscriptionId, '2026-01-15', '2026-01-15')).toEqual([
      { subscriptionId, period: '2026-01-15', quantities: { 'api-calls': '3.6' }, eventCount: 8 },
    ]);
  });

  describe('when DynamoDB cancels the transaction', () => {
    // DynamoDB Local runs transactions one at a time and never reports a TransactionConflict: script them.
    const cancelled = (...codes: string[]) =>
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    /** A client whose first transactions fail with the given errors; it counts the transactions sent. */
    const failingFirst = (errors: unknown[]) => {
      let calls = 0;
      const client = {
        send: (command: never) => {
          if (!((command as object) instanceof TransactWriteCommand)) return documentClient.send(command);
          calls++;
          const error = errors.shift();
          return error ? Promise.reject(error) : documentClient.send(command);
        },
      } as unknown as DynamoDBDocumentClient;
      return { client, calls: () => calls };
    };

    it('retries a transaction that lost a conflict with a concurrent writer, then applies it once', async () => {
      const subscriptionId = aSubscriptionId();
      const { client, calls } = failingFirst([cancelled('None', 'TransactionConflict', 'None', 'None')]);
      const conflicted = new DynamoUsageLedger(client, tableName, clock);

      const outcome = await applyUsageMessage(
        { ledger: conflicted },
        aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '2' })] }),
      );

      expect(outcome).toBe('applied');
      expect(calls()).toBe(2);
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([{ quantity: '2' }]);
    });

    it('gives up after repeated conflicts and throws, so SQS delivers the message again', async () => {
      const conflict = () => cancelled('None', 'TransactionConflict', 'None', 'None');
      const { client, calls } = failingFirst([conflict(), conflict(), conflict(), conflict()]);

      await expect(
        applyUsageMessage({ ledger: new DynamoUsageLedger(client, tableName, clock) }, aUsageMessage()),
      ).rejects.toThrow(TransactionCanceledException);
      expect(calls()).toBe(4);
    });

    it('reads again and records once when another writer changed the hour set between its read and its write', async () => {
      const subscriptionId = aSubscriptionId();
      const { client, calls } = failingFirst([cancelled('ConditionalCheckFailed', 'None', 'None', 'None')]);

      const outcome = await applyUsageMessage(
        { ledger: new DynamoUsageLedger(client, tableName, clock) },
        aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '3' })] }),
      );

      expect(outcome).toBe('applied');
      // the cancelled transaction, then (after reading the set again) the one that recorded it
      expect(calls()).toBe(2);
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([{ quantity: '3' }]);
    });

    it('throws on throttling, writing nothing, so SQS delivers the message again', async () => {
      const subscriptionId = aSubscriptionId();
      const { client } = failingFirst([cancelled('None', 'ThrottlingError', 'None', 'None')]);

      await expect(
        applyUsageMessage(
          { ledger: new DynamoUsageLedger(client, tableName, clock) },
          aUsageMessage({ slots: [aSlot({ subscriptionId })] }),
        ),
      ).rejects.toThrow(TransactionCanceledException);
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toEqual([]);
    });
  });

  it('keeps daily and monthly totals per subscription and dimension, in UTC', async () => {
    const subscriptionId = aSubscriptionId();
    const other = aSubscriptionId();

    await applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({
        slots: [
          aSlot({ subscriptionId, hour: '2026-01-31T23:00:00.000Z', quantity: '1.5', eventCount: 2 }),
          aSlot({ subscriptionId, hour: '2026-02-01T00:00:00.000Z', quantity: '2' }),
          aSlot({ subscriptionId, hour: '2026-02-01T00:00:00.000Z', dimension: 'storage', quantity: '4' }),
          aSlot({ subscriptionId: other, hour: '2026-02-01T05:00:00.000Z', quantity: '100' }),
        ],
      }),
    );
    await applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({ slots: [aSlot({ subscriptionId, hour: '2026-02-01T13:00:00.000Z', quantity: '0.25' })] }),
    );

    expect(await ledger.readDailyTotals(subscriptionId, '2026-01-01', '2026-02-28')).toEqual([
      { subscriptionId, period: '2026-01-31', quantities: { 'api-calls': '1.5' }, eventCount: 2 },
      { subscriptionId, period: '2026-02-01', quantities: { 'api-calls': '2.25', storage: '4' }, eventCount: 3 },
    ]);
    expect(await ledger.readMonthlyTotals(subscriptionId, '2026-01', '2026-12')).toEqual([
      { subscriptionId, period: '2026-01', quantities: { 'api-calls': '1.5' }, eventCount: 2 },
      { subscriptionId, period: '2026-02', quantities: { 'api-calls': '2.25', storage: '4' }, eventCount: 3 },
    ]);
    expect(await ledger.readMonthlyTotals(other, '2026-02', '2026-02')).toEqual([
      { subscriptionId: other, period: '2026-02', quantities: { 'api-calls': '100' }, eventCount: 1 },
    ]);
  });

  it('reads the slots of one dimension within an inclusive hour range, by hour', async () => {
    const subscriptionId = aSubscriptionId();
    const hours = ['2026-01-15T08:00:00.000Z', H9, '2026-01-15T10:00:00.000Z', '2026-01-15T11:00:00.000Z'];
    await applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({
        slots: [
          ...hours.map((hour) => aSlot({ subscriptionId, hour })),
          aSlot({ subscriptionId, dimension: 'api-calls-v2', hour: H9 }),
        ],
      }),
    );

    const slots = await ledger.readSlots(
      subscriptionId,
      'api-calls',
      new Date(H9),
      new Date('2026-01-15T10:00:00.000Z'),
    );

    expect(slots.map((slot) => [slot.dimension, slot.hour])).toEqual([
      ['api-calls', H9],
      ['api-calls', '2026-01-15T10:00:00.000Z'],
    ]);
  });

  it('puts every slot with new usage in its shard of the unreported index, oldest hour first', async () => {
    const subscriptionId = aSubscriptionId();
    await applyUsageMessage(
      { ledger: ledger },
      aUsageMessage({
        slots: [aSlot({ subscriptionId, hour: '2026-01-15T07:00:00.000Z' }), aSlot({ subscriptionId, hour: H9 })],
      }),
    );
    const shard = unreportedShardOf(subscriptionId);

    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: unreportedIndexKey(shard) } },
      }),
    );

    const mine = (page.Items ?? []).filter((item) => item.subscriptionId?.S === subscriptionId);
    expect(mine.map((item) => item.gsi1sk?.S)).toEqual([
      `2026-01-15T07:00:00.000Z#${subscriptionId}#api-calls`,
      `${H9}#${subscriptionId}#api-calls`,
    ]);
    expect(shard).toBeGreaterThanOrEqual(0);
    expect(shard).toBeLessThan(UNREPORTED_SHARDS);
  });

  it('records 10 messages that 10 workers apply at once to one subscription and hour, leaving none to SQS', async () => {
    // The aggregator's trigger runs up to 10 workers; with one busy subscription they all write its hour's entry set.
    // A worker that lost every attempt would leave its message to SQS, counted only after the 3-minute visibility
    // timeout: the losers back off and try again until each has had its turn.
    const subscriptionId = aSubscriptionId();
    const messages = Array.from({ length: 10 }, (_, index) =>
      aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: String(index + 1) })] }),
    );

    const outcomes = await Promise.allSettled(messages.map((message) => applyUsageMessage({ ledger }, message)));

    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([
      { quantity: '55', eventCount: 10 },
    ]);
  });

  it('keeps an hour set for 35 days after its last write, so an event id is recognised that long', async () => {
    const subscriptionId = aSubscriptionId();

    await applyUsageMessage({ ledger }, aUsageMessage({ slots: [aSlot({ subscriptionId })] }));

    const chunk = await documentClient.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `SUB#${subscriptionId}` }, sk: { S: `ENTRIES#${H9}#000` } },
      }),
    );
    expect(Number(chunk.Item?.expiresAt?.N)).toBe(
      Math.floor(clock.now().getTime() / 1000) + ENTRY_RETENTION_DAYS * 86_400,
    );
    expect(chunk.Item?.entries?.SS).toHaveLength(1);
  });

  describe('event ids', () => {
    const idsOf = (count: number, from = 0) =>
      Array.from({ length: count }, (_, index) => [eventIdEntry(`event-${from + index}`), '1'] as [string, string]);
    const aSlotOfIds = (subscriptionId: string, ids: [string, string][], anonymous = 0) =>
      aSlot({ subscriptionId, quantity: String(ids.length + anonymous), eventCount: ids.length + anonymous, ids });

    it('counts each id once across messages and keeps the id-less events of each message', async () => {
      const subscriptionId = aSubscriptionId();
      const first = aUsageMessage({ slots: [aSlotOfIds(subscriptionId, idsOf(3), 2)] });
      // ids 1 and 2 again, and a new one; plus two id-less events of another message
      const second = aUsageMessage({ slots: [aSlotOfIds(subscriptionId, idsOf(3, 1), 2)] });

      const outcomes = [await applyUsageMessage({ ledger }, first), await applyUsageMessage({ ledger }, second)];

      expect(outcomes).toEqual(['applied', 'applied']);
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([
        { quantity: '8', eventCount: 8 },
      ]);
      expect(await applyUsageMessage({ ledger }, second)).toBe('duplicate');
    });

    it('spills an hour with more ids than a chunk holds into further chunks, and still recognises every id', async () => {
      const subscriptionId = aSubscriptionId();
      const many = idsOf(ENTRIES_PER_CHUNK + 500);

      await applyUsageMessage(
        { ledger },
        aUsageMessage({ slots: [aSlotOfIds(subscriptionId, many.slice(0, 15_000))] }),
      );
      await applyUsageMessage({ ledger }, aUsageMessage({ slots: [aSlotOfIds(subscriptionId, many.slice(10_000))] }));
      const again = await applyUsageMessage({ ledger }, aUsageMessage({ slots: [aSlotOfIds(subscriptionId, many)] }));

      expect(again).toBe('duplicate');
      const sets = await ledger.readEntrySets(subscriptionId, [H9], { consistent: true });
      expect(sets.get(H9)?.chunkCounts).toEqual([ENTRIES_PER_CHUNK, 500]);
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([
        { quantity: String(ENTRIES_PER_CHUNK + 500), eventCount: ENTRIES_PER_CHUNK + 500 },
      ]);
    });

    it('counts overlapping messages applied by concurrent workers exactly once', async () => {
      const subscriptionId = aSubscriptionId();
      // 12 messages of 40 ids each, every id in three of them; 8 workers apply them at once
      const messages = Array.from({ length: 12 }, (_, index) =>
        aUsageMessage({ slots: [aSlotOfIds(subscriptionId, idsOf(40, (index % 4) * 40))] }),
      );
      const workers = Array.from({ length: 8 }, () => new DynamoUsageLedger(documentClient, tableName, clock));

      await Promise.all(
        messages.map((message, index) =>
          applyUsageMessages({ ledger: workers[index % workers.length] as DynamoUsageLedger }, [message]),
        ),
      );

      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([
        { quantity: '160', eventCount: 160 },
      ]);
      expect(await ledger.readMonthlyTotals(subscriptionId, '2026-01', '2026-01')).toMatchObject([
        { quantities: { 'api-calls': '160' }, eventCount: 160 },
      ]);
    });

    it('treats a message of format 1 applied under its marker before the upgrade as a duplicate', async () => {
      const subscriptionId = aSubscriptionId();
      const legacy = aUsageMessage({ version: 1, slots: [aSlot({ subscriptionId })] });
      await documentClient.send(
        new PutCommand({ TableName: tableName, Item: { pk: `USAGEMSG#${legacy.marker}`, sk: 'USAGEMSG' } }),
      );

      expect(await applyUsageMessage({ ledger }, legacy)).toBe('duplicate');
      expect(await applyUsageMessage({ ledger }, { ...legacy, marker: 'f'.repeat(64) })).toBe('applied');
      expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toMatchObject([{ quantity: '1' }]);
    });
  });
});
