import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import {
  type Api,
  anActiveSubscription,
  aPurchase,
  fetchWithCa,
  MARKETPLACE_RESOURCE,
  marketplaceApi,
  START,
  startTestEmulator,
  startWebhookReceiver,
  tokenFor,
} from './harness.ts';

// marketplace-2026.md: auto-activation (2026-05), the 30-day deletion and same-term plan changes (2026-07-31).

const DAY = 24 * 3600_000;

describe('marketplace emulator: the 2026 purchase rules', () => {
  let emulator: MarketplaceEmulator;
  let api: Api;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    emulator = await startTestEmulator({ webhookUrl: receiver.url, verifyTokenExpiry: false });
  });
  afterAll(async () => {
    await emulator.stop();
    await receiver.stop();
  });
  beforeEach(async () => {
    emulator.control.reset();
    emulator.control.setWebhookUrl(receiver.url);
    receiver.received.length = 0;
    receiver.answer(200);
    receiver.answerSequence([]);
    api = marketplaceApi(emulator, await tokenFor(emulator));
  });

  const instantPurchase = () => emulator.control.purchase(aPurchase({ planId: 'instant' }) as never);

  describe('a purchase of an auto-activated plan', () => {
    it('is Subscribed at once, its term starting at the purchase instant, never PendingFulfillmentStart', async () => {
      const { subscriptionId } = await instantPurchase();

      const subscription = await api('GET', `/saas/subscriptions/${subscriptionId}`);

      expect(subscription.status).toBe(200);
      expect(subscription.json).toMatchObject({
        planId: 'instant',
        saasSubscriptionStatus: 'Subscribed',
        term: {
          termUnit: 'P1M',
          chargeDuration: 'P1M',
          startDate: START.toISOString(),
          // The last valid day before the anniversary (§1.3), as for an activated purchase.
          endDate: '2026-04-11T00:00:00.000Z',
        },
      });
      expect(emulator.control.subscription(subscriptionId)?.statusHistory).toEqual([
        { status: 'Subscribed', at: START.toISOString() },
      ]);
    });

    it('sends one signed Subscribe webhook with the operation, the plan and the subscription', async () => {
      const { subscriptionId } = await instantPurchase();

      expect(receiver.received).toHaveLength(1);
      const [webhook] = receiver.received;
      const [operation] = emulator.control.operations(subscriptionId);
      expect(webhook?.body).toMatchObject({
        id: operation?.id,
        activityId: expect.any(String),
        publisherId: 'contoso',
        offerId: 'contoso-analytics',
        planId: 'instant',
        quantity: null,
        subscriptionId,
        timeStamp: START.toISOString(),
        action: 'Subscribe',
        status: 'Succeeded',
        operationRequestSource: 'Azure',
        subscription: { id: subscriptionId, planId: 'instant', saasSubscriptionStatus: 'Subscribed' },
      });
      const token = (webhook?.headers.authorization ?? '').replace(/^Bearer /, '');
      const jwks = createRemoteJWKSet(new URL(emulator.entra.jwksUri), {
        [customFetch]: fetchWithCa(emulator.entra.caCertificatePem),
      });
      const { payload } = await jwtVerify(token, jwks, {
        audience: emulator.entra.clientId,
        currentDate: emulator.control.now(),
      });
      expect(payload).toMatchObject({ tid: emulator.entra.tenantId, azp: MARKETPLACE_RESOURCE });
    });

    it('has a Succeeded Subscribe operation that Get Operation knows; List Operations shows only pending ones', async () => {
      const { subscriptionId } = await instantPurchase();
      const operationId = receiver.received[0]?.body.id as string;

      const operation = await api('GET', `/saas/subscriptions/${subscriptionId}/operations/${operationId}`);
      const outstanding = await api('GET', `/saas/subscriptions/${subscriptionId}/operations`);

      expect(operation.status).toBe(200);
      expect(operation.json).toEqual({
        id: operationId,
        activityId: expect.any(String),
        subscriptionId,
        offerId: 'contoso-analytics',
        publisherId: 'contoso',
        planId: 'instant',
        action: 'Subscribe',
        timeStamp: START.toISOString(),
        status: 'Succeeded',
      });
      // §1.2: List outstanding operations returns pending ones only, "empty JSON if there are none".
      expect(outstanding).toMatchObject({ status: 200, json: {} });
    });

    it('still resolves from the landing page, and Activate answers 400 as for any Subscribed subscription', async () => {
      const { subscriptionId, token } = await instantPurchase();

      const resolved = await api('POST', '/saas/subscriptions/resolve', {
        headers: { 'x-ms-marketplace-token': token },
      });
      const activated = await api('POST', `/saas/subscriptions/${subscriptionId}/activate`, {
        body: { planId: 'instant' },
      });

      expect(resolved.status).toBe(200);
      expect(resolved.json).toMatchObject({ id: subscriptionId, planId: 'instant' });
      expect(resolved.json.subscription.saasSubscriptionStatus).toBe('Subscribed');
      // §1.2 Activate: 400 when "the subscription is already Subscribed"; nothing changes.
      expect(activated.status).toBe(400);
      expect(activated.json.error.message).toMatch(/already Subscribed/);
      expect(emulator.control.subscription(subscriptionId)?.statusHistory).toHaveLength(1);
    });

    it('is redelivered when the publisher does not answer 200, like every webhook', async () => {
      receiver.answerSequence([400]);

      await instantPurchase();
      await emulator.control.advance(15_000);

      expect(receiver.received.map((webhook) => webhook.body.action)).toEqual(['Subscribe', 'Subscribe']);
      expect(emulator.control.webhookDeliveries().map((delivery) => delivery.status)).toEqual([400, 200]);
    });

    it('loses its webhook under a drop fault: never sent nor redelivered, the subscription Subscribed all the same', async () => {
      emulator.control.setFaults({ match: 'webhook:Subscribe', dropRate: 1 });

      const { subscriptionId } = await instantPurchase();
      await emulator.control.advance(DAY);

      expect(receiver.received).toEqual([]);
      expect(emulator.control.webhookDeliveries()).toMatchObject([
        { action: 'Subscribe', attempt: 1, status: undefined, error: 'dropped by fault injection' },
      ]);
      expect((await api('GET', `/saas/subscriptions/${subscriptionId}`)).json.saasSubscriptionStatus).toBe(
        'Subscribed',
      );
    });

    it('gets its webhook late under a delay fault, on the emulator clock', async () => {
      emulator.control.setFaults({ match: 'webhooks', latencyMs: 60_000 });

      await instantPurchase();
      expect(receiver.received).toEqual([]);
      await emulator.control.advance(60_000);

      expect(receiver.received.map((webhook) => webhook.body.action)).toEqual(['Subscribe']);
      expect(emulator.control.webhookDeliveries()[0]?.at).toBe(new Date(START.getTime() + 60_000).toISOString());
    });

    it('is not touched by a fault rule on the marketplace routes ("all" means the API, not webhooks)', async () => {
      emulator.control.setFaults({ match: 'all', dropRate: 1, count: 1 });

      await instantPurchase();

      expect(receiver.received.map((webhook) => webhook.body.action)).toEqual(['Subscribe']);
    });
  });

  describe('a purchase nobody activates (deleted at day 30)', () => {
    it('is deleted 30 days after the purchase: Get Subscription 404, gone from the list, deletedAt on the control API', async () => {
      const { subscriptionId } = await emulator.control.purchase(aPurchase() as never);
      await emulator.control.advance(30 * DAY - 1);
      expect((await api('GET', `/saas/subscriptions/${subscriptionId}`)).status).toBe(200);

      await emulator.control.advance(1);

      expect((await api('GET', `/saas/subscriptions/${subscriptionId}`)).status).toBe(404);
      const list = await api('GET', '/saas/subscriptions');
      expect(list.status).toBe(200);
      expect(list.json?.subscriptions ?? []).toEqual([]);
      expect(emulator.control.subscription(subscriptionId)).toMatchObject({
        saasSubscriptionStatus: 'PendingFulfillmentStart',
        deletedAt: new Date(START.getTime() + 30 * DAY).toISOString(),
      });
    });

    it('shows deletedAt on the HTTP control API too', async () => {
      const { subscriptionId } = await emulator.control.purchase(aPurchase() as never);
      await emulator.control.advance(30 * DAY);

      const response = await fetch(`${emulator.controlUrl}/subscriptions/${subscriptionId}`);

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: subscriptionId, deletedAt: expect.any(String) });
    });

    it('keeps a purchase that was activated in time, and an auto-activated one', async () => {
      const activated = await anActiveSubscription(emulator, api);
      const { subscriptionId: instant } = await instantPurchase();

      await emulator.control.advance(31 * DAY);

      expect((await api('GET', `/saas/subscriptions/${activated}`)).status).toBe(200);
      expect((await api('GET', `/saas/subscriptions/${instant}`)).status).toBe(200);
      expect(emulator.control.subscription(activated)?.deletedAt).toBeUndefined();
    });
  });

  describe('plan changes keep the term and billing frequency (since 2026-07)', () => {
    it('refuses a publisher PATCH to a plan of another term with a 400 naming the rule', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'pro' } });

      expect(response.status).toBe(400);
      expect(response.json).toEqual({
        error: {
          code: 'BadRequest',
          message:
            "Plan pro is not sold with the subscription's term P1M billed monthly: a plan can be changed only to a plan with the same term and billing frequency.",
        },
      });
      expect(emulator.control.operations(id)).toEqual([]);
    });

    it('refuses a plan of the same term unit billed another way (P1Y upfront → P1Y monthly)', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', termUnit: 'P1Y', quantity: 2 });

      const response = await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'pro' } });

      expect(response.status).toBe(400);
      expect(response.json.error.message).toMatch(/term P1Y billed upfront.*same term and billing frequency/);
    });

    it('refuses a portal change to a plan of another term on the control API', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await fetch(`${emulator.controlUrl}/subscriptions/${id}/change-plan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ planId: 'pro' }),
      });

      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /same term and billing frequency/,
      );
      expect(receiver.received).toEqual([]);
    });

    it('accepts a change to a plan sold with the same term and billing frequency', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'instant' } });
      await emulator.control.advance(3_000);

      expect(response.status).toBe(202);
      expect((await api('GET', `/saas/subscriptions/${id}`)).json).toMatchObject({
        planId: 'instant',
        term: { termUnit: 'P1M', chargeDuration: 'P1M' },
      });
    });
  });
});
