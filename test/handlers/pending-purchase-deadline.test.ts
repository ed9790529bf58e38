import { randomUUID } from 'node:crypto';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS_TOPIC } from '#infra/resources.ts';
import {
  EXPIRING_OPERATIONS_NOTICE_ID,
  expiringNoticeId,
  PENDING_PURCHASE_EXPIRED_ID,
} from '#shared/use-cases/fulfillment/sync-subscriptions.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { aPurchaseInput } from '#test/helpers/fulfillment-flow.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type SyncHandler = typeof import('#functions/subscription-sync/handler.ts')['handler'];
const DAY = 86_400_000;

/**
 * The 30-day deadline through the subscription sync function, on DynamoDB Local, fauxqs and the marketplace emulator:
 * purchases made 7, 21 and 28 days ago (the emulator's clock moved back for each purchase, so Microsoft's `created`
 * says so) are warned of once each however often the sync runs; the operations topic hears of the day-28 one; a
 * stored pending purchase Microsoft no longer has is recorded as gone.
 */
describe('the subscription sync and the 30-day deadline, against DynamoDB Local, fauxqs and the emulator', () => {
  let system: FunctionsWithEmulator;
  let sync: SyncHandler;
  let operationsQueueUrl: string;
  const { sns, sqs } = localClients();

  beforeAll(async () => {
    system = await startFunctionsWithEmulator();
    sync = asDeclaredFunction('SubscriptionSync', (await import('#functions/subscription-sync/handler.ts')).handler);
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: `operations-${randomUUID()}` }));
    operationsQueueUrl = queue.QueueUrl ?? '';
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: operationsQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: process.env[OPERATIONS_TOPIC.envVar],
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn ?? '',
      }),
    );
  });
  afterAll(() => system?.stop());

  const runSync = () => sync(sampleEvent('scheduler/subscription-sync.json'), aLambdaContext('SubscriptionSync'));

  async function operationsNotices(): Promise<{ Subject?: string; Message?: string }[]> {
    const page = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: operationsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return (page.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}'));
  }

  /** A purchase made `days` days (and a minute) ago, never activated. */
  async function purchasedDaysAgo(days: number): Promise<string> {
    const { control } = system.emulator;
    await control.setTime(new Date(Date.now() - days * DAY - 60_000));
    const bought = await control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
    await control.setTime(new Date());
    return bought.subscriptionId;
  }

  it('warns of each purchase once at its day with the days left, and tells the operations topic at day 28', async () => {
    const day7 = await purchasedDaysAgo(7);
    const day21 = await purchasedDaysAgo(21);
    const day28 = await purchasedDaysAgo(28);
    const day6 = await purchasedDaysAgo(6);
    await system.lifecycleEvents();

    const first = await runSync();
    const second = await runSync();
    const events = (await system.lifecycleEvents()).filter(
      (received) => received.event.type === 'PendingPurchaseExpiring',
    );
    const notices = await operationsNotices();

    expect(first).toMatchObject({ failed: 0, expiringReported: 3 });
    expect(second).toMatchObject({ failed: 0, expiringReported: 0 });
    const daysLeftOf = (id: string) =>
      events.filter((received) => received.event.subscriptionId === id).map((received) => received.event.daysLeft);
    expect([daysLeftOf(day7), daysLeftOf(day21), daysLeftOf(day28), daysLeftOf(day6)]).toEqual([[23], [9], [2], []]);
    expect(events.find((received) => received.event.subscriptionId === day28)?.attributes).toMatchObject({
      eventType: 'PendingPurchaseExpiring',
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.Message).toContain(day28);
    const records = await Promise.all([
      system.subscriptions.getOperation(day7, expiringNoticeId(7)),
      system.subscriptions.getOperation(day28, EXPIRING_OPERATIONS_NOTICE_ID),
    ]);
    expect(records.map((record) => record?.state)).toEqual(['applied', 'applied']);
  });

  it('records a stored pending purchase that Microsoft no longer has as Unsubscribed (expiredUnfulfilled), once', async () => {
    // Microsoft deleted it at day 30: unknown to the emulator (Get 404, not listed), still pending in our store.
    const gone = aSubscription({
      id: randomUUID(),
      status: 'PendingFulfillmentStart',
      timeline: [
        { from: new Date(Date.now() - 30 * DAY).toISOString(), status: 'PendingFulfillmentStart', planId: 'basic' },
      ],
    });
    await system.subscriptions.put(gone);
    await system.lifecycleEvents();

    const first = await runSync();
    const second = await runSync();

    expect(first.expiredRecorded).toBe(1);
    expect(second.expiredRecorded).toBe(0);
    expect(await system.subscriptions.get(gone.id)).toMatchObject({ status: 'Unsubscribed' });
    expect(
      (await system.lifecycleEvents())
        .map((received) => received.event)
        .filter((event) => event.subscriptionId === gone.id),
    ).toEqual([expect.objectContaining({ type: 'Unsubscribed', reason: 'expiredUnfulfilled' })]);
    expect((await system.subscriptions.getOperation(gone.id, PENDING_PURCHASE_EXPIRED_ID))?.state).toBe('applied');
    expect((await system.audit.list(gone.id)).entries.map((entry) => `${entry.kind} ${entry.what}`)).toContain(
      'sync PendingPurchaseExpired',
    );
  });
});
