import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { aPurchaseInput, buyAndActivate } from '#test/helpers/fulfillment-flow.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';

type SyncHandler = typeof import('#functions/subscription-sync/handler.ts')['handler'];
type LandingHandler = typeof import('#functions/landing/handler.ts')['handler'];

/** Nothing listens here: deliveries to it fail, as when the publisher's webhook URL is unreachable. */
const UNREACHABLE_WEBHOOK = 'http://127.0.0.1:9/webhook';

describe('the subscription sync function against DynamoDB Local, fauxqs and the marketplace emulator', () => {
  let system: FunctionsWithEmulator;
  let sync: SyncHandler;
  let landing: LandingHandler;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator((catalog) => catalog, { PENDING_PURCHASE_ALERT_MINUTES: '60' });
    sync = asDeclaredFunction('SubscriptionSync', (await import('#functions/subscription-sync/handler.ts')).handler);
    landing = asDeclaredFunction('Landing', (await import('#functions/landing/handler.ts')).handler);
    system.emulator.control.setWebhookUrl(UNREACHABLE_WEBHOOK);
  });
  afterAll(() => system?.stop());

  /** One scheduled invocation, with EventBridge Scheduler's event. */
  const runSync = () => sync(sampleEvent('scheduler/subscription-sync.json'), aLambdaContext('SubscriptionSync'));
  /** Lifecycle events of one subscription published since the last call (other tests' events are dropped). */
  const eventsOf = async (subscriptionId: string) =>
    (await system.lifecycleEvents())
      .map((received) => received.event)
      .filter((event) => event.subscriptionId === subscriptionId)
      .map((event) => event.type);

  it('finds a purchase never opened on the landing page, stores it and reports it once', async () => {
    const { control } = system.emulator;
    await control.setTime(new Date(Date.now() - 2 * 3_600_000));
    const forgotten = await control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
    await control.setTime(new Date());
    const recent = await control.purchase(aPurchaseInput());
    await system.lifecycleEvents();

    const first = await runSync();
    const firstEvents = await system.lifecycleEvents();
    const second = await runSync();

    expect(first).toMatchObject({ failed: 0, stoppedEarly: false });
    expect(first.pendingReported).toBeGreaterThanOrEqual(1);
    expect(await system.subscriptions.get(forgotten.subscriptionId)).toMatchObject({
      status: 'PendingFulfillmentStart',
      planId: 'basic',
      purchaser: { emailId: 'buyer@customer.example' },
    });
    expect(await system.subscriptions.get(recent.subscriptionId)).toMatchObject({ status: 'PendingFulfillmentStart' });
    const reported = firstEvents.filter((received) => received.event.type === 'PendingPurchaseNotOpened');
    expect(reported.map((received) => received.event.subscriptionId)).toContain(forgotten.subscriptionId);
    expect(reported.map((received) => received.event.subscriptionId)).not.toContain(recent.subscriptionId);
    expect(
      reported.find((received) => received.event.subscriptionId === forgotten.subscriptionId)?.attributes,
    ).toMatchObject({
      eventType: 'PendingPurchaseNotOpened',
    });
    expect(second.pendingReported).toBe(0);
    expect(await eventsOf(forgotten.subscriptionId)).toEqual([]);
  });

  it('applies a suspension made while our webhook URL was unreachable, once', async () => {
    const subscriptionId = await buyAndActivate(system.emulator, landing);
    const suspension = await system.emulator.control.suspend(subscriptionId);
    const delivery = system.emulator.control
      .webhookDeliveries()
      .filter((attempt) => attempt.operationId === suspension.id);
    expect(delivery.length).toBeGreaterThan(0);
    expect(delivery.every((attempt) => attempt.status === undefined)).toBe(true);
    expect(await system.subscriptions.get(subscriptionId)).toMatchObject({ status: 'Subscribed' });
    await system.lifecycleEvents();

    const first = await runSync();
    const stored = await system.subscriptions.get(subscriptionId);
    const firstEvents = await eventsOf(subscriptionId);
    await runSync();

    expect(first.failed).toBe(0);
    expect(stored).toMatchObject({ status: 'Suspended' });
    expect(stored?.timeline?.map((period) => period.status)).toEqual([
      'PendingFulfillmentStart',
      'Subscribed',
      'Suspended',
    ]);
    expect(firstEvents).toEqual(['Suspended']);
    expect(await eventsOf(subscriptionId)).toEqual([]);
  });

  it('applies a missed plan change, renewal and cancellation through the same timeline', async () => {
    const { control } = system.emulator;
    const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'basic', quantity: undefined });
    // The customer moves to `instant` (same term and billing frequency, as Microsoft requires since 2026-07) in the
    // admin center; unanswered, Microsoft accepts it after 10 s (§0).
    await control.changePlanFromPortal(subscriptionId, 'instant');
    await control.advance(11_000);
    await control.renew(subscriptionId);
    const renewedTerm = control.subscription(subscriptionId)?.term as { startDate: string; endDate: string };
    await system.lifecycleEvents();

    await runSync();
    const changed = await system.subscriptions.get(subscriptionId);
    const changeEvents = await eventsOf(subscriptionId);
    await control.unsubscribe(subscriptionId);
    await runSync();
    await runSync();

    expect(changed).toMatchObject({
      status: 'Subscribed',
      planId: 'instant',
      term: { startDate: renewedTerm.startDate, endDate: renewedTerm.endDate },
    });
    expect(changeEvents).toEqual(['PlanChanged', 'Renewed']);
    expect(await system.subscriptions.get(subscriptionId)).toMatchObject({ status: 'Unsubscribed', planId: 'instant' });
    expect(await eventsOf(subscriptionId)).toEqual(['Unsubscribed']);
  });

  it('reads every page of List Subscriptions (100 per page)', async () => {
    const { control } = system.emulator;
    let last = '';
    for (let index = 0; index < 101; index++) last = (await control.purchase(aPurchaseInput())).subscriptionId;

    const summary = await runSync();

    expect(summary.listed).toBeGreaterThan(100);
    expect(summary.failed).toBe(0);
    expect(await system.subscriptions.get(last)).toMatchObject({ status: 'PendingFulfillmentStart' });
  }, 60_000);
});
