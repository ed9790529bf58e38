import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, NumberValue, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { slotSk, subscriptionPk, totalsSk } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { dayPeriod } from '#shared/domain/alerts/calendar.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import type { DailyUsage } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { getUsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import { ALERT_OFFER, anActiveSubscription, anEvaluationWorld, callsAt } from '#test/builders/alert-evaluation.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const { partitionKey: PK, sortKey: SK } = MAIN_TABLE_KEYS;

/** A day's hourly split keyed by hour instant (readable expectations), the hours without usage left out. */
function withHourInstants(day: DailyUsage) {
  const hourly = Object.fromEntries(
    Object.entries(day.hourly).map(([dimension, hours]) => [
      dimension,
      Object.fromEntries(
        hours.flatMap((quantity, h) =>
          quantity === undefined ? [] : [[`${day.period}T${String(h).padStart(2, '0')}:00:00.000Z`, quantity]],
        ),
      ),
    ]),
  );
  return { ...day, hourly };
}

/**
 * The hourly split of the daily items (`h<HH>_<dimension>`, added in the same update as `q_<dimension>`), and the
 * usage series read from it, falling back to the slots for days stored before the split existed.
 */
describe('DynamoDB usage ledger: the hours of the daily items', () => {
  const { documentClient } = localClients();
  const clock = new FixedClock('2026-01-15T10:05:00.000Z');
  let tableName: string;
  let ledger: DynamoUsageLedger;
  const aSubscriptionId = () => `sub-${randomUUID()}`;

  /** A client passing everything to DynamoDB Local, recording the items of each transaction and each query's range. */
  const recording = () => {
    const transactions: number[] = [];
    const queries: string[] = [];
    const client = {
      send: (command: never) => {
        if ((command as object) instanceof TransactWriteCommand) {
          transactions.push((command as TransactWriteCommand).input.TransactItems?.length ?? 0);
        }
        // Queries go out raw (`{ S: … }` values): a query's range starts at `:from`.
        const input = (command as { input?: { ExpressionAttributeValues?: Record<string, { S?: string }> } }).input;
        const from = input?.ExpressionAttributeValues?.[':from']?.S;
        if (from) queries.push(from);
        return documentClient.send(command);
      },
    } as unknown as DynamoDBDocumentClient;
    return { client, transactions, queries };
  };

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    tableName = env[MAIN_TABLE.envVar] ?? '';
    ledger = new DynamoUsageLedger(documentClient, tableName, clock);
  });

  it('adds each hour of each dimension to its day item, in the transaction of the slots and no extra item', async () => {
    const subscriptionId = aSubscriptionId();
    const { client, transactions } = recording();
    const recorded = new DynamoUsageLedger(client, tableName, clock);

    await applyUsageMessage(
      { ledger: recorded },
      aUsageMessage({
        slots: [
          aSlot({ subscriptionId, hour: '2026-01-15T09:00:00.000Z', quantity: '1.5', eventCount: 2 }),
          aSlot({ subscriptionId, hour: '2026-01-15T09:00:00.000Z', dimension: 'storage', quantity: '4' }),
          aSlot({ subscriptionId, hour: '2026-01-15T23:00:00.000Z', quantity: '0.25' }),
        ],
      }),
    );

    // Per hour one entry chunk and its slots, then one daily and one monthly item: as before the hours existed.
    expect(transactions).toEqual([2 + 3 + 1 + 1]);
    expect((await ledger.readDailyUsage(subscriptionId, '2026-01-15', '2026-01-15')).map(withHourInstants)).toEqual([
      {
        subscriptionId,
        period: '2026-01-15',
        quantities: { 'api-calls': '1.75', storage: '4' },
        hourly: {
          'api-calls': { '2026-01-15T09:00:00.000Z': '1.5', '2026-01-15T23:00:00.000Z': '0.25' },
          storage: { '2026-01-15T09:00:00.000Z': '4' },
        },
        eventCount: 4,
      },
    ]);
    // Each dimension's hours come as the day's 24 UTC hours, by index.
    const [day] = await ledger.readDailyUsage(subscriptionId, '2026-01-15', '2026-01-15');
    expect(day?.hourly.storage).toHaveLength(24);
    expect(day?.hourly.storage?.[9]).toBe('4');
    // The totals readers see the same item as before.
    expect(await ledger.readDailyTotals(subscriptionId, '2026-01-15', '2026-01-15')).toEqual([
      { subscriptionId, period: '2026-01-15', quantities: { 'api-calls': '1.75', storage: '4' }, eventCount: 4 },
    ]);
    // A reader of some dimensions' totals fetches those only, not the hours.
    expect(await ledger.readDailyTotals(subscriptionId, '2026-01-15', '2026-01-15', ['storage', 'absent'])).toEqual([
      { subscriptionId, period: '2026-01-15', quantities: { storage: '4' }, eventCount: 4 },
    ]);
  });

  it('counts every one of many messages added at once to the same hour in that hour', async () => {
    const subscriptionId = aSubscriptionId();
    const messages = Array.from({ length: 8 }, (_, index) =>
      aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: `0.${index + 1}` })] }),
    );

    const race = await Promise.allSettled(messages.map((message) => applyUsageMessage({ ledger }, message)));
    // Whatever lost its conflicts after the adapter's own retries is redelivered by SQS: do that here.
    for (const [index, outcome] of race.entries()) {
      if (outcome.status === 'rejected') await applyUsageMessage({ ledger }, messages[index] as never);
    }

    const [day] = await ledger.readDailyUsage(subscriptionId, '2026-01-15', '2026-01-15');
    expect(day?.quantities).toEqual({ 'api-calls': '3.6' });
    expect(day && withHourInstants(day).hourly).toEqual({ 'api-calls': { '2026-01-15T09:00:00.000Z': '3.6' } });
  });

  it('adds usage arriving late for an old hour to that hour of its day', async () => {
    const subscriptionId = aSubscriptionId();
    const at = (hour: string, quantity: string) =>
      applyUsageMessage({ ledger }, aUsageMessage({ slots: [aSlot({ subscriptionId, hour, quantity })] }));
    await at('2026-01-14T09:00:00.000Z', '1');
    await at('2026-01-15T08:00:00.000Z', '2');

    await at('2026-01-14T09:00:00.000Z', '0.5');
    await at('2026-01-14T03:00:00.000Z', '7');

    expect(
      (await ledger.readDailyUsage(subscriptionId, '2026-01-14', '2026-01-15'))
        .map(withHourInstants)
        .map((d) => [d.quantities, d.hourly]),
    ).toEqual([
      [{ 'api-calls': '8.5' }, { 'api-calls': { '2026-01-14T03:00:00.000Z': '7', '2026-01-14T09:00:00.000Z': '1.5' } }],
      [{ 'api-calls': '2' }, { 'api-calls': { '2026-01-15T08:00:00.000Z': '2' } }],
    ]);
  });

  describe('the usage series (Asia/Tokyo days, which do not align with UTC days)', () => {
    const NOW = '2026-01-20T00:00:00.000Z';
    const TOKYO = 'Asia/Tokyo';
    const publisher = { role: 'publisher', keyId: 'k' } as const;

    /** A slot and its day item as the aggregator stored them before day items carried hours. */
    async function putOldUsage(subscriptionId: string, day: string, hours: Record<string, string>) {
      let total = 0;
      for (const [hour, quantity] of Object.entries(hours)) {
        total += Number(quantity);
        await documentClient.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              [PK]: subscriptionPk(subscriptionId),
              [SK]: slotSk('calls', hour),
              type: 'UsageSlot',
              subscriptionId,
              offerId: ALERT_OFFER,
              dimension: 'calls',
              hour,
              quantity: NumberValue.from(quantity),
              eventCount: 1,
            },
          }),
        );
      }
      await documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            [PK]: subscriptionPk(subscriptionId),
            [SK]: totalsSk('DAY', day),
            type: 'UsageDay',
            subscriptionId,
            period: day,
            q_calls: NumberValue.from(String(total)),
            eventCount: Object.keys(hours).length,
          },
        }),
      );
    }

    async function seriesOf(subscriptionId: string, client: DynamoDBDocumentClient) {
      const world = { ...anEvaluationWorld(NOW), ledger: new DynamoUsageLedger(client, tableName) };
      await world.subscriptions.put(
        anActiveSubscription({ id: subscriptionId, planId: 'standard', activatedAt: '2026-01-01T00:00:00.000Z' }),
      );
      const series = await getUsageSeries(world, publisher, {
        subscriptionId,
        granularity: 'day',
        from: dayPeriod('2026-01-05', TOKYO).start,
        to: dayPeriod('2026-01-09', TOKYO).start,
        timeZone: TOKYO,
        currency: 'JPY',
      });
      return series.dimensions[0]?.points.map((p) => [p.start, p.quantity, p.amount]);
    }

    // 100 calls included, ¥1 a call above: the 4th local day crosses the allowance (95 + 15 = 110, 10 over).
    const expected = [
      ['2026-01-04T15:00:00.000Z', '40', '0'],
      ['2026-01-05T15:00:00.000Z', '55', '0'],
      ['2026-01-06T15:00:00.000Z', '15', '10'],
      ['2026-01-07T15:00:00.000Z', '50', '50'],
    ];

    it('reads days stored before the hours existed, and days stored partly before, from their slots', async () => {
      const subscriptionId = aSubscriptionId();
      // 2026-01-05 wholly old; 2026-01-06 old at 02:00Z then new at 18:00Z; 2026-01-07 new.
      await putOldUsage(subscriptionId, '2026-01-05', {
        '2026-01-05T10:00:00.000Z': '40',
        '2026-01-05T20:00:00.000Z': '30',
      });
      await putOldUsage(subscriptionId, '2026-01-06', { '2026-01-06T02:00:00.000Z': '25' });
      await applyUsageMessage({ ledger }, callsAt(subscriptionId, '2026-01-06T18:00:00.000Z', '15'));
      await applyUsageMessage({ ledger }, callsAt(subscriptionId, '2026-01-07T16:00:00.000Z', '50'));
      const { client, queries } = recording();

      expect(await seriesOf(subscriptionId, client)).toEqual(expected);
      // The slots of the two old days only, not of the day whose hours add up to its total.
      expect(queries.filter((from) => from.startsWith('USAGE#')).sort()).toEqual([
        slotSk('calls', '2026-01-05T00:00:00.000Z'),
        slotSk('calls', '2026-01-06T00:00:00.000Z'),
      ]);
    });

    it('reads no slot when every day carries its hours', async () => {
      const subscriptionId = aSubscriptionId();
      for (const [hour, calls] of [
        ['2026-01-05T10:00:00.000Z', '40'],
        ['2026-01-05T20:00:00.000Z', '30'],
        ['2026-01-06T02:00:00.000Z', '25'],
        ['2026-01-06T18:00:00.000Z', '15'],
        ['2026-01-07T16:00:00.000Z', '50'],
      ] as const) {
        await applyUsageMessage({ ledger }, callsAt(subscriptionId, hour, calls));
      }
      const { client, queries } = recording();

      expect(await seriesOf(subscriptionId, client)).toEqual(expected);
      expect(queries.filter((from) => from.startsWith('USAGE#'))).toEqual([]);
    });
  });
});
