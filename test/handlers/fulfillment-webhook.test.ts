import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WebhookDelivery } from '#infra/local/emulator/index.ts';
import { localLambdaContext, toHttpApiEvent, writeHttpApiResult } from '#infra/local/lambda-http-adapter.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { metrics } from '#shared/observability.ts';
import {
  type Api,
  anActiveSubscription,
  aPurchase,
  fetchWithCa,
  marketplaceApi,
  tokenFor,
} from '#test/emulator/harness.ts';
import {
  consumeOperationAnswers,
  type FunctionsWithEmulator,
  startFunctionsWithEmulator,
} from '#test/helpers/emulator-env.ts';
import { buyAndActivate, eventually } from '#test/helpers/fulfillment-flow.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aSession } from '#test/helpers/session.ts';

type WebhookHandler = typeof import('#functions/fulfillment-webhook/handler.ts')['handler'];
type LandingHandler = typeof import('#functions/landing/handler.ts')['handler'];

/**
 * Microsoft's side sells the per-user plan `team` with up to 100 seats, while the publisher's catalog
 * (`infra/catalog/catalog.yaml`) allows 50: the customer can ask for 60 in the admin center, and our policy must
 * refuse it within 10 seconds.
 */
const marketplaceSellsMoreSeats = (catalog: Catalog): Catalog => ({
  ...catalog,
  offers: catalog.offers.map((offer) => ({
    ...offer,
    plans: offer.plans.map((plan) => (plan.id === 'team' ? { ...plan, maxQuantity: 100 } : plan)),
  })),
});

describe('the fulfillment webhook against DynamoDB Local, fauxqs and the marketplace emulator', () => {
  let system: FunctionsWithEmulator;
  let webhook: WebhookHandler;
  let landing: LandingHandler;
  let api: Api;
  let server: Server;
  let consumer: { stop: () => Promise<void> };
  /** Time the webhook function took for each delivery the emulator made, by operation id. */
  const handlingMs = new Map<string, number>();

  beforeAll(async () => {
    system = await startFunctionsWithEmulator(marketplaceSellsMoreSeats);
    webhook = asDeclaredFunction(
      'FulfillmentWebhook',
      (await import('#functions/fulfillment-webhook/handler.ts')).handler,
    );
    landing = asDeclaredFunction('Landing', (await import('#functions/landing/handler.ts')).handler);
    consumer = await consumeOperationAnswers();
    api = marketplaceApi(system.emulator, await tokenFor(system.emulator));
    // The publisher's endpoint as API Gateway + Lambda would run it: each POST becomes an HTTP API v2 event.
    server = createServer((request, response) => {
      void (async () => {
        const started = performance.now();
        const event = await toHttpApiEvent(request, 'POST /webhook');
        const result = await webhook(event, localLambdaContext('FulfillmentWebhook'));
        const operationId = (JSON.parse(event.body ?? '{}') as { id?: string }).id ?? '';
        handlingMs.set(operationId, performance.now() - started);
        writeHttpApiResult(response, result);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await consumer?.stop();
    await system?.stop();
  });

  const webhookUrl = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  const lastDelivery = (operationId: string): WebhookDelivery | undefined =>
    system.emulator.control
      .webhookDeliveries()
      .filter((delivery) => delivery.operationId === operationId)
      .at(-1);

  /** Calls the webhook function directly with a payload and an Authorization header. */
  const post = async (payload: unknown, authorization?: string) =>
    (await webhook(
      httpEvent('POST', '/webhook', {
        body: payload,
        headers: authorization === undefined ? {} : { authorization },
      }),
      localLambdaContext('FulfillmentWebhook'),
    )) as APIGatewayProxyStructuredResultV2;

  describe('security (DESIGN invariant 5)', () => {
    /** A genuine Suspend notification and its token, held back: the emulator has no webhook URL while it is made. */
    let genuine: { subscriptionId: string; payload: Record<string, unknown>; token: string };

    beforeAll(async () => {
      system.emulator.control.setWebhookUrl(undefined);
      const subscriptionId = await anActiveSubscription(system.emulator, api);
      const operation = await system.emulator.control.suspend(subscriptionId);
      const delivery = lastDelivery(operation.id);
      if (!delivery) throw new Error('the emulator recorded no delivery');
      genuine = { subscriptionId, payload: delivery.payload, token: delivery.token };
    });

    /** Tokens from the emulator's Entra, signed with the tenant's real key, but for the wrong audience or caller. */
    const entraToken = async (app: { tenantId?: string; clientId: string; clientSecret: string }, scope: string) =>
      tokenFor(system.emulator, app, scope);

    const forgeries: [string, () => Promise<string | undefined>][] = [
      ['no Authorization header', async () => undefined],
      [
        'a forged signature (our own key, the tenant key id)',
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return `Bearer ${await new SignJWT(decodeJwt(genuine.token))
            .setProtectedHeader(decodeProtectedHeader(genuine.token) as { alg: string })
            .sign(privateKey)}`;
        },
      ],
      [
        'a wrong aud (an access token for the marketplace API itself)',
        async () =>
          `Bearer ${await entraToken(system.emulator.entra, '20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default')}`,
      ],
      [
        'a wrong azp (another app of the publisher tenant asking for our app)',
        async () => {
          const other = system.emulator.control.registerApplication();
          return `Bearer ${await entraToken(other, `${system.emulator.entra.clientId}/.default`)}`;
        },
      ],
      [
        'a wrong tid (an app of another tenant asking for our app)',
        async () => {
          const other = system.emulator.control.registerApplication({ tenantId: randomUUID() });
          return `Bearer ${await entraToken(other, `${system.emulator.entra.clientId}/.default`)}`;
        },
      ],
      ['alg none', async () => `Bearer ${new UnsecuredJWT(decodeJwt(genuine.token)).encode()}`],
      [
        'an HMAC token keyed with the published public key',
        async () => {
          const jwks = await (
            await fetchWithCa(system.emulator.entra.caCertificatePem)(system.emulator.entra.jwksUri)
          ).text();
          const key = JSON.stringify((JSON.parse(jwks) as { keys: unknown[] }).keys[0]);
          return `Bearer ${await new SignJWT(decodeJwt(genuine.token))
            .setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(genuine.token).kid ?? '' })
            .sign(new TextEncoder().encode(key))}`;
        },
      ],
      [
        'an expired token (signed two hours ago)',
        async () => {
          const now = system.emulator.control.now();
          await system.emulator.control.setTime(new Date(now.getTime() - 2 * 3600_000));
          try {
            const other = await anActiveSubscription(system.emulator, api);
            const operation = await system.emulator.control.suspend(other);
            return `Bearer ${lastDelivery(operation.id)?.token}`;
          } finally {
            await system.emulator.control.setTime(new Date());
          }
        },
      ],
    ];

    it.each(forgeries)('answers 401 to %s and stores nothing', async (_case, authorization) => {
      const before = await system.lifecycleEvents();
      const counted = vi.spyOn(metrics, 'addMetric');

      const response = await post(genuine.payload, await authorization());

      expect(response.statusCode).toBe(401);
      // Counted as a refusal (a graph), not as Microsoft's own call refused (NeedsAttention): anyone can forge these.
      const webhookCounts = counted.mock.calls.map(([name]) => name).filter((name) => name.startsWith('Webhook'));
      expect(webhookCounts).toEqual(['WebhookUnauthorized']);
      counted.mockRestore();
      // Only "unauthorized": why the token failed helps a forger; the reason is in the logs.
      expect(JSON.parse(response.body ?? '{}')).toEqual({
        error: { code: 'UnauthenticatedError', message: 'unauthorized' },
      });
      expect(before).toEqual([]);
      expect(await system.itemsOf(genuine.subscriptionId)).toEqual([]);
      expect(await system.lifecycleEvents()).toEqual([]);
    });

    it('applies the genuine notification once; the replay changes nothing', async () => {
      const first = await post(genuine.payload, `Bearer ${genuine.token}`);
      const afterFirst = await system.itemsOf(genuine.subscriptionId);
      const eventsAfterFirst = await system.lifecycleEvents();

      const replay = await post(genuine.payload, `Bearer ${genuine.token}`);

      expect([first.statusCode, replay.statusCode]).toEqual([200, 200]);
      expect(JSON.parse(replay.body ?? '{}')).toMatchObject({ outcome: 'duplicate' });
      expect(await system.subscriptions.get(genuine.subscriptionId)).toMatchObject({ status: 'Suspended' });
      expect(eventsAfterFirst.map((received) => received.event.type)).toEqual(['Suspended']);
      expect(await system.lifecycleEvents()).toEqual([]);
      const withoutAudit = (items: Record<string, unknown>[]) =>
        items.filter((item) => !String(item.sk).startsWith('AUDIT#'));
      expect(withoutAudit(await system.itemsOf(genuine.subscriptionId))).toEqual(withoutAudit(afterFirst));
    });

    it('does not apply a notification that Get Operation contradicts, and answers 200', async () => {
      const subscriptionId = await anActiveSubscription(system.emulator, api, { planId: 'team', quantity: 5 });
      const change = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 10);
      const delivery = lastDelivery(change.id);
      const forged = { ...delivery?.payload, quantity: 40 };
      const unknown = { ...delivery?.payload, id: randomUUID() };

      const contradicted = await post(forged, `Bearer ${delivery?.token}`);
      const invented = await post(unknown, `Bearer ${delivery?.token}`);

      expect([contradicted.statusCode, invented.statusCode]).toEqual([200, 200]);
      expect(JSON.parse(contradicted.body ?? '{}')).toMatchObject({ outcome: 'mismatch' });
      expect(JSON.parse(invented.body ?? '{}')).toMatchObject({ outcome: 'mismatch' });
      expect((await system.itemsOf(subscriptionId)).filter((item) => !String(item.sk).startsWith('AUDIT#'))).toEqual(
        [],
      );
      expect(system.emulator.control.operations(subscriptionId).at(-1)?.status).toBe('InProgress');
      expect(await system.lifecycleEvents()).toEqual([]);
    });

    it.each([
      ['id', { id: 'x'.repeat(10_000) }],
      ['subscriptionId', { subscriptionId: 'x'.repeat(10_000) }],
      ['planId', { planId: 'x'.repeat(10_000) }],
    ])('answers 400 to a %s of 10,000 characters, naming it, and stores nothing', async (field, oversized) => {
      const response = await post({ ...genuine.payload, ...oversized }, `Bearer ${genuine.token}`);

      expect(response.statusCode).toBe(400);
      const { message } = JSON.parse(response.body ?? '{}').error as { message: string };
      expect(message).toContain(`body.${field}:`);
      expect(message).toContain('is 10000 characters long; at most 256 are accepted');
      expect(await system.itemsOf('x'.repeat(10_000).slice(0, 300))).toEqual([]);
    });

    // 256 characters of three UTF-8 bytes each are 768 bytes: with the key prefixes they must still fit DynamoDB's
    // key limits (1,024 bytes for a sort key), or the write fails and Microsoft retries a 500 for hours.
    it.each([
      ['id', { id: '中'.repeat(256) }],
      ['subscriptionId', { subscriptionId: '中'.repeat(256) }],
      ['id and subscriptionId', { id: '中'.repeat(256), subscriptionId: '\u{1F600}'.repeat(128) }],
    ])('never answers 5xx to a %s of the longest accepted length in multi-byte characters', async (_, ids) => {
      const response = await post({ ...genuine.payload, ...ids }, `Bearer ${genuine.token}`);

      expect(response.statusCode).toBeLessThan(500);
    });

    it('acknowledges an action it does not know with 200, audits it, and changes nothing', async () => {
      const subscriptionId = await anActiveSubscription(system.emulator, api);
      const before = await system.subscriptions.get(subscriptionId);
      const payload = { ...genuine.payload, id: randomUUID(), subscriptionId, action: 'Transfer', extra: { x: 1 } };

      const response = await post(payload, `Bearer ${genuine.token}`);

      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({ outcome: 'unknownAction' });
      expect(await system.subscriptions.get(subscriptionId)).toEqual(before);
      expect((await system.itemsOf(subscriptionId)).filter((item) => String(item.sk).startsWith('AUDIT#'))).toEqual([
        expect.objectContaining({ result: expect.stringMatching(/^unknownAction/) }),
      ]);
      expect(await system.lifecycleEvents()).toEqual([]);
    });

    it('takes a Subscribe webhook to Get Operation instead of refusing it; one Microsoft does not know is not applied', async () => {
      // A Subscribe payload with an invented operation id: Get Operation does not know it, so the call is acknowledged
      // and nothing is applied (a genuine one is in "auto-activation through the emulator" below).
      const payload = { ...genuine.payload, id: randomUUID(), action: 'Subscribe', status: 'Succeeded' };

      const response = await post(payload, `Bearer ${genuine.token}`);

      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({ outcome: 'mismatch' });
    });

    it('answers 400 to a body without an operation id, subscription or action (after the token check)', async () => {
      expect((await post({ action: 'Suspend' }, `Bearer ${genuine.token}`)).statusCode).toBe(400);
      expect((await post({ action: 'Suspend' })).statusCode).toBe(401);
    });
  });

  describe('exactly-once side effects (issue 11)', () => {
    it('makes one state change, publishes one event and sends one PATCH for 100 concurrent deliveries of one signed webhook', async () => {
      // The emulator's own delivery goes nowhere: the 100 deliveries below are the only ones.
      system.emulator.control.setWebhookUrl(undefined);
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'team', quantity: 5 });
      const before = await system.subscriptions.read(subscriptionId);
      const change = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 12);
      const delivery = lastDelivery(change.id);
      if (!delivery) throw new Error('the emulator recorded no delivery');
      await system.lifecycleEvents();
      const deliverAll = () =>
        Promise.all(Array.from({ length: 100 }, () => post(delivery.payload, `Bearer ${delivery.token}`)));

      const answers = await deliverAll();
      await eventually(
        async () => (await system.subscriptions.getOperation(subscriptionId, change.id))?.eventPublishedAt,
      );
      const replays = await deliverAll();
      const events = (await system.lifecycleEvents()).filter(
        (received) => received.event.subscriptionId === subscriptionId,
      );

      // 100 Get Operation calls at once on a shared 2-core machine: a few may miss the answer deadline and answer 500,
      // which Microsoft would redeliver; what matters is that every side effect happened once.
      expect(new Set(answers.map((answer) => answer.statusCode))).toContain(200);
      expect([...new Set([...answers, ...replays].map((answer) => answer.statusCode))].sort()).toEqual(
        expect.arrayContaining([200]),
      );
      expect([...answers, ...replays].every((answer) => answer.statusCode === 200 || answer.statusCode === 500)).toBe(
        true,
      );
      expect(events.map((received) => [received.event.type, received.event.operationId])).toEqual([
        ['QuantityChanged', change.id],
      ]);
      const operation = system.emulator.control.operations(subscriptionId).find((seen) => seen.id === change.id);
      expect(operation).toMatchObject({ status: 'Succeeded', patchCount: 1, errors: [] });
      const stored = await system.subscriptions.read(subscriptionId);
      expect(stored?.subscription.quantity).toBe(12);
      expect(stored?.version).toBe((before?.version ?? Number.NaN) + 1);
      expect(stored?.subscription.timeline?.filter((period) => period.quantity === 12)).toHaveLength(1);
    }, 60_000);
  });

  describe('exactly-once side effects when Microsoft has the change already (issue 11)', () => {
    it('publishes one event and sends no PATCH for 100 concurrent deliveries of an auto-accepted change', async () => {
      system.emulator.control.setWebhookUrl(undefined);
      const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'team', quantity: 5 });
      const change = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 14);
      const delivery = lastDelivery(change.id);
      if (!delivery) throw new Error('the emulator recorded no delivery');
      // Nobody answered in 10 s: Microsoft accepts the change itself; every delivery now finds it Succeeded and the
      // deliveries race on applying it and on publishing its event.
      await system.emulator.control.advance(10_000);
      await system.lifecycleEvents();

      // Spread over about a second, so that later deliveries find the operation applied but its event not yet noted
      // as published (the window in which unclaimed replays each published the event again).
      const answers = await Promise.all(
        Array.from({ length: 100 }, async (_, index) => {
          await new Promise((resolve) => setTimeout(resolve, index * 10));
          return post(delivery.payload, `Bearer ${delivery.token}`);
        }),
      );
      await eventually(
        async () => (await system.subscriptions.getOperation(subscriptionId, change.id))?.eventPublishedAt,
      );
      const events = (await system.lifecycleEvents()).filter(
        (received) => received.event.subscriptionId === subscriptionId,
      );

      expect(answers.some((answer) => answer.statusCode === 200)).toBe(true);
      expect(events.map((received) => received.event.type)).toEqual(['QuantityChanged']);
      expect(system.emulator.control.operations(subscriptionId).find((seen) => seen.id === change.id)).toMatchObject({
        status: 'Succeeded',
        patchCount: 0,
      });
      expect((await system.subscriptions.get(subscriptionId))?.quantity).toBe(14);
    }, 60_000);
  });

  describe('clock skew between Microsoft and us', () => {
    it("applies a seat change made right after the activation when Microsoft's clock is 2 s behind ours", async () => {
      system.emulator.control.setWebhookUrl(undefined);
      await system.emulator.control.setTime(new Date(Date.now() - 2_000));
      try {
        const subscriptionId = await buyAndActivate(system.emulator, landing, { planId: 'team', quantity: 5 });
        const change = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 7);
        const delivery = lastDelivery(change.id);
        if (!delivery) throw new Error('the emulator recorded no delivery');
        await system.emulator.control.advance(10_000);
        await system.lifecycleEvents();

        const answer = await post(delivery.payload, `Bearer ${delivery.token}`);

        expect(answer.statusCode).toBe(200);
        expect((await system.subscriptions.get(subscriptionId))?.quantity).toBe(7);
        const events = (await system.lifecycleEvents()).filter(
          (received) => received.event.subscriptionId === subscriptionId,
        );
        expect(events.map((received) => [received.event.type, received.event.quantity])).toEqual([
          ['QuantityChanged', 7],
        ]);
      } finally {
        await system.emulator.control.setTime(new Date());
      }
    }, 60_000);
  });

  describe('auto-activation through the emulator (issue 11 item 1)', () => {
    it('stores a purchase of an auto-activated plan as Subscribed at the purchase instant, publishes SubscriptionActivated once however often it is delivered, and never activates', async () => {
      system.emulator.control.setWebhookUrl(webhookUrl());
      await system.lifecycleEvents();
      const { emulator } = system;

      const purchase = await emulator.control.purchase(aPurchase({ planId: 'instant', quantity: undefined }) as never);
      const delivery = await eventually(async () =>
        emulator.control
          .webhookDeliveries()
          .find((seen) => seen.payload.subscriptionId === purchase.subscriptionId && seen.status === 200),
      );
      // The Subscribe operation's time stamp is the purchase instant.
      const purchasedAt = new Date(String(delivery.payload.timeStamp)).toISOString();
      // Microsoft may deliver it again (and several at once): still one activation.
      const again = await Promise.all(
        Array.from({ length: 10 }, () => post(delivery.payload, `Bearer ${delivery.token}`)),
      );

      expect(delivery.payload).toMatchObject({ action: 'Subscribe', status: 'Succeeded', planId: 'instant' });
      expect(again.map((response) => response.statusCode)).toEqual(Array(10).fill(200));
      const stored = await system.subscriptions.get(purchase.subscriptionId);
      expect(stored).toMatchObject({ status: 'Subscribed', planId: 'instant' });
      expect(stored?.timeline?.find((period) => period.status === 'Subscribed')?.from).toBe(purchasedAt);
      expect(stored?.term).toBeDefined();
      const events = (await system.lifecycleEvents()).map((received) => received.event.type);
      expect(events).toEqual(['SubscriptionActivated']);
      // Nothing was activated by us: the emulator's history has the purchase's one Subscribed entry only.
      expect(emulator.control.subscription(purchase.subscriptionId)?.statusHistory).toEqual([
        expect.objectContaining({ status: 'Subscribed' }),
      ]);
      system.emulator.control.setWebhookUrl(undefined);
    });
  });

  describe('the whole lifecycle through the emulator (issue 4 acceptance)', () => {
    it('purchase → landing → activate → ChangePlan → ChangeQuantity refused in time → suspend → reinstate → renew → unsubscribe', async () => {
      system.emulator.control.setWebhookUrl(webhookUrl());
      await system.lifecycleEvents();
      const { emulator } = system;
      const events = async () => (await system.lifecycleEvents()).map((received) => received.event);
      const stored = () => system.subscriptions.get(purchase.subscriptionId);
      const remote = () => emulator.control.subscription(purchase.subscriptionId);

      // Purchase, then the landing page: GET stores it as PendingFulfillmentStart, POST activates.
      const purchase = await emulator.control.purchase(aPurchase({ planId: 'basic' }) as never);
      // The landing page signs the customer in first.
      const session = await aSession({ tenantId: 'customer-tenant', objectId: 'buyer' });
      const page = (await landing(
        httpEvent('GET', `/landing${new URL(purchase.landingUrl).search}`, { headers: { cookie: session.cookie } }),
        localLambdaContext('Landing'),
      )) as APIGatewayProxyStructuredResultV2;
      expect(page.statusCode).toBe(200);
      expect(await stored()).toMatchObject({ status: 'PendingFulfillmentStart', planId: 'basic' });
      const form = httpEvent('POST', '/landing', {
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
      });
      form.body = new URLSearchParams({ token: purchase.token, csrfToken: session.csrfToken }).toString();
      const activated = (await landing(form, localLambdaContext('Landing'))) as APIGatewayProxyStructuredResultV2;
      expect(activated.statusCode).toBe(200);
      expect(remote()?.saasSubscriptionStatus).toBe('Subscribed');
      expect(await stored()).toMatchObject({ status: 'Subscribed', planId: 'basic' });
      expect(await events()).toEqual([expect.objectContaining({ type: 'SubscriptionActivated', planId: 'basic' })]);

      /** The operation once the operation-answers consumer has PATCHed it, after the webhook's 200. */
      const settled = (id: string) =>
        eventually(async () => {
          const operation = emulator.control.operations(purchase.subscriptionId).find((seen) => seen.id === id);
          const record = await system.subscriptions.getOperation(purchase.subscriptionId, id);
          return operation?.status !== 'InProgress' && record?.state === 'applied' ? operation : undefined;
        });

      // ChangePlan in the admin center: accepted (PATCH Success), applied with the seats Microsoft gives the new plan.
      const changePlan = await emulator.control.changePlanFromPortal(purchase.subscriptionId, 'team');
      expect(lastDelivery(changePlan.id)?.status).toBe(200);
      expect(await settled(changePlan.id)).toMatchObject({ status: 'Succeeded', errors: [], patchCount: 1 });
      expect(remote()).toMatchObject({ planId: 'team', quantity: 1 });
      expect(await stored()).toMatchObject({ status: 'Subscribed', planId: 'team', quantity: 1 });
      expect(await events()).toEqual([
        expect.objectContaining({ type: 'PlanChanged', planId: 'team', quantity: 1, operationId: changePlan.id }),
      ]);

      // ChangeQuantity within the plan: accepted.
      const ten = await emulator.control.changeQuantityFromPortal(purchase.subscriptionId, 10);
      expect(lastDelivery(ten.id)?.status).toBe(200);
      expect(await settled(ten.id)).toMatchObject({ status: 'Succeeded', errors: [] });
      expect(await stored()).toMatchObject({ quantity: 10 });
      expect(await events()).toEqual([expect.objectContaining({ type: 'QuantityChanged', quantity: 10 })]);

      // ChangeQuantity beyond our plan's 50 seats: PATCH Failure well within 10 s, rolled back at Microsoft.
      const sixty = await emulator.control.changeQuantityFromPortal(purchase.subscriptionId, 60);
      expect(lastDelivery(sixty.id)?.status).toBe(200);
      expect(handlingMs.get(sixty.id)).toBeLessThan(10_000);
      expect(await settled(sixty.id)).toMatchObject({
        id: sixty.id,
        status: 'Failed',
        errorStatusCode: 'PublisherRejected',
      });
      expect(remote()?.quantity).toBe(10);
      expect(await stored()).toMatchObject({ quantity: 10 });
      expect(await events()).toEqual([]);

      // Suspend (payment failed): entitlement off from the operation's time stamp.
      const suspend = await emulator.control.suspend(purchase.subscriptionId);
      expect(lastDelivery(suspend.id)?.status).toBe(200);
      expect(await stored()).toMatchObject({ status: 'Suspended' });
      expect(await events()).toEqual([expect.objectContaining({ type: 'Suspended', at: suspend.timeStamp })]);

      // Reinstate: operational again, then PATCH Success.
      const reinstate = await emulator.control.reinstate(purchase.subscriptionId);
      expect(lastDelivery(reinstate.id)?.status).toBe(200);
      await eventually(async () => remote()?.saasSubscriptionStatus === 'Subscribed');
      expect(emulator.control.operations(purchase.subscriptionId).at(-1)).toMatchObject({ errors: [] });
      expect(remote()?.saasSubscriptionStatus).toBe('Subscribed');
      expect(await stored()).toMatchObject({ status: 'Subscribed' });
      expect(await events()).toEqual([expect.objectContaining({ type: 'Reinstated' })]);

      // Renew: the new term from Get Subscription.
      const termBefore = (await stored())?.term;
      const renew = await emulator.control.renew(purchase.subscriptionId);
      expect(lastDelivery(renew.id)?.status).toBe(200);
      const renewedTerm = remote()?.term as { startDate: string; endDate: string };
      expect((await stored())?.term).toMatchObject({ startDate: renewedTerm.startDate, endDate: renewedTerm.endDate });
      expect((await stored())?.term?.startDate).not.toBe(termBefore?.startDate);
      expect(await events()).toEqual([expect.objectContaining({ type: 'Renewed' })]);

      // Unsubscribe: terminal, data kept.
      const unsubscribe = await emulator.control.unsubscribe(purchase.subscriptionId);
      expect(lastDelivery(unsubscribe.id)?.status).toBe(200);
      const final = await stored();
      expect(final).toMatchObject({ status: 'Unsubscribed', planId: 'team', quantity: 10 });
      expect(await events()).toEqual([expect.objectContaining({ type: 'Unsubscribed' })]);
      // The timeline keeps every hour's state: Subscribed before the suspension, Suspended during it.
      expect(final?.timeline?.map((period) => period.status)).toEqual([
        'PendingFulfillmentStart',
        'Subscribed',
        'Subscribed',
        'Subscribed',
        'Suspended',
        'Subscribed',
        'Unsubscribed',
      ]);

      // Every webhook and every marketplace call is in the audit trail.
      const trail = (await system.audit.list(purchase.subscriptionId, { limit: 100 })).entries;
      const webhooks = trail.filter((entry) => entry.kind === 'webhook');
      expect(webhooks.filter((entry) => !entry.what.includes('answered after the webhook'))).toHaveLength(7);
      expect(webhooks.filter((entry) => entry.what.includes('answered after the webhook'))).toHaveLength(4);
      expect(
        trail.filter((entry) => entry.kind === 'marketplaceCall' && entry.what.startsWith('updateOperation')),
      ).toHaveLength(4);
      expect(trail.every((entry) => entry.correlationId)).toBe(true);
    });
  });
});
