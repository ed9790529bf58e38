import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/usage-aggregator/handler.ts')['handler'];

const ALL_TIME: [Date, Date] = [new Date('2020-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z')];

describe('the usage aggregator function against DynamoDB Local', () => {
  const sample = sampleEvent<SQSEvent>('sqs/usage-message.json');
  let handler: Handler;
  let ledger: DynamoUsageLedger;

  /** A record shaped like the sample's, carrying this body. */
  const aRecord = (body: UsageMessage | string, receiveCount = 1): SQSRecord => ({
    ...(sample.Records[0] as SQSRecord),
    messageId: randomUUID(),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ...(sample.Records[0] as SQSRecord).attributes, ApproximateReceiveCount: String(receiveCount) },
  });
  const invoke = (...records: SQSRecord[]) => handler({ Records: records }, aLambdaContext('UsageAggregator'));
  const aSubscriptionId = () => `sub-${randomUUID()}`;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    handler = asDeclaredFunction('UsageAggregator', (await import('#functions/usage-aggregator/handler.ts')).handler);
    ledger = new DynamoUsageLedger(localClients().documentClient, resources[MAIN_TABLE.envVar] ?? '');
  });

  it('applies the sample SQS event to the ledger', async () => {
    const response = await handler(sample, aLambdaContext('UsageAggregator'));

    expect(response).toEqual({ batchItemFailures: [] });
    const slots = await ledger.readSlots('37f9dea2-4345-438f-b0bd-03d40d28c7e0', 'gb-processed', ...ALL_TIME);
    expect(slots).toEqual([expect.objectContaining({ quantity: '3.141593', eventCount: 7 })]);
  });

  it('counts a redelivered record once', async () => {
    const subscriptionId = aSubscriptionId();
    const message = aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '4.5', eventCount: 2 })] });

    const first = await invoke(aRecord(message));
    const redelivered = await invoke(aRecord(message, 2), aRecord(message, 2));

    expect(first).toEqual({ batchItemFailures: [] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toEqual([
      aSlot({ subscriptionId, quantity: '4.5', eventCount: 2 }),
    ]);
    expect(await ledger.readMonthlyTotals(subscriptionId, '2026-01', '2026-01')).toEqual([
      { subscriptionId, period: '2026-01', quantities: { 'api-calls': '4.5' }, eventCount: 2 },
    ]);
  });

  it('reports only the poison records as failed and applies the good ones around them', async () => {
    const subscriptionId = aSubscriptionId();
    const good = [
      aRecord(aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '1' })] })),
      aRecord(aUsageMessage({ slots: [aSlot({ subscriptionId, quantity: '2' })] })),
    ];
    const notJson = aRecord('{"version":1,');
    const unknownField = aRecord({ ...aUsageMessage(), extra: true } as UsageMessage);
    const tooManyItems = aRecord(
      aUsageMessage({
        slots: Array.from({ length: 98 }, (_, index) => aSlot({ subscriptionId, dimension: `d${index}` })),
      }),
    );

    const response = await invoke(good[0] as SQSRecord, notJson, unknownField, tooManyItems, good[1] as SQSRecord);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [notJson.messageId, unknownField.messageId, tooManyItems.messageId].sort(),
    );
    expect(await ledger.readSlots(subscriptionId, 'api-calls', ...ALL_TIME)).toEqual([
      aSlot({ subscriptionId, quantity: '3', eventCount: 2 }),
    ]);
    // The oversized message wrote none of its slots.
    expect(await ledger.readSlots(subscriptionId, 'd0', ...ALL_TIME)).toEqual([]);
  });

  it('fails a poison record again on every delivery, so it ends in the dead-letter queue', async () => {
    const poison = aRecord(aUsageMessage({ slots: [aSlot({ hour: '2026-01-15T09:30:00.000Z' })] }));

    for (const receiveCount of [1, 2, 3]) {
      const response = await invoke({
        ...poison,
        attributes: { ...poison.attributes, ApproximateReceiveCount: `${receiveCount}` },
      });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    }
  });
});
