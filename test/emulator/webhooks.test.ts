import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import {
  type Api,
  anActiveSubscription,
  fetchWithCa,
  MARKETPLACE_RESOURCE,
  marketplaceApi,
  startTestEmulator,
  startWebhookReceiver,
  tokenFor,
} from './harness.ts';

describe('marketplace emulator: webhooks and customer-initiated operations (reference §2, §1.4)', () => {
  let emulator: MarketplaceEmulator;
  let api: Api;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    emulator = await startTestEmulator({ webhookUrl: receiver.url });
  });
  afterAll(async () => {
    await emulator.stop();
    await receiver.stop();
  });
  beforeEach(async () => {
    emulator.control.reset();
    receiver.received.length = 0;
    receiver.answer(200);
    receiver.answerSequence([]);
    receiver.beforeAnswer(undefined);
    api = marketplaceApi(emulator, await tokenFor(emulator));
  });

  const operationPath = (subscriptionId: string, operationId: string) =>
    `/saas/subscriptions/${subscriptionId}/operations/${operationId}`;

  describe('webhook token (§2.3)', () => {
    it('is verifiable with the published JWKS over HTTPS and carries aud, tid, azp, iss and ver of §2.3', async () => {
      const id = await anActiveSubscription(emulator, api);
      await emulator.control.suspend(id);
      const authorization = receiver.received[0]?.headers.authorization ?? '';
      const token = authorization.replace(/^Bearer /, '');
      const jwks = createRemoteJWKSet(new URL(emulator.entra.jwksUri), {
        [customFetch]: fetchWithCa(emulator.entra.caCertificatePem),
      });

      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        audience: emulator.entra.clientId,
        issuer: emulator.entra.issuer,
        algorithms: ['RS256'],
        currentDate: emulator.control.now(),
      });

      expect(authorization).toMatch(/^Bearer /);
      expect(protectedHeader.kid).toEqual(expect.any(String));
      expect(payload).toMatchObject({ tid: emulator.entra.tenantId, azp: MARKETPLACE_RESOURCE, ver: '2.0' });
      expect(payload.iss).toBe(`${emulator.entra.authorityHost}/${emulator.entra.tenantId}/v2.0`);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
      expect(payload.nbf).toBe(payload.iat);
    });

    it('fails verification with another audience (the token is for the publisher app only)', async () => {
      const id = await anActiveSubscription(emulator, api);
      await emulator.control.suspend(id);
      const token = (receiver.received[0]?.headers.authorization ?? '').replace(/^Bearer /, '');
      const jwks = createRemoteJWKSet(new URL(emulator.entra.jwksUri), {
        [customFetch]: fetchWithCa(emulator.entra.caCertificatePem),
      });

      await expect(
        jwtVerify(token, jwks, { audience: MARKETPLACE_RESOURCE, currentDate: emulator.control.now() }),
      ).rejects.toThrow(/aud/);
    });
  });

  describe('customer changes in the portal (§2.1)', () => {
    it('sends ChangePlan InProgress from Azure with the new plan while the subscription still shows the old one', async () => {
      const id = await anActiveSubscription(emulator, api);

      const operation = await emulator.control.changePlanFromPortal(id, 'instant');
      const payload = receiver.received[0]?.body;

      expect(payload).toMatchObject({
        id: operation.id,
        activityId: expect.any(String),
        subscriptionId: id,
        publisherId: 'contoso',
        offerId: 'contoso-analytics',
        planId: 'instant',
        action: 'ChangePlan',
        status: 'InProgress',
        operationRequestSource: 'Azure',
        timeStamp: expect.any(String),
        subscription: { id, planId: 'basic', saasSubscriptionStatus: 'Subscribed' },
      });
    });

    it('auto-accepts the change after 10 s without a PATCH, then answers a late PATCH with 409', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });
      const operation = await emulator.control.changeQuantityFromPortal(id, 7);

      await emulator.control.advance(9_999);
      const before = await api('GET', operationPath(id, operation.id));
      await emulator.control.advance(1);
      const after = await api('GET', operationPath(id, operation.id));
      const subscription = await api('GET', `/saas/subscriptions/${id}`);
      const late = await api('PATCH', operationPath(id, operation.id), { body: { status: 'Failure' } });

      expect(before.json.status).toBe('InProgress');
      expect(after.json.status).toBe('Succeeded');
      expect(subscription.json.quantity).toBe(7);
      expect(late.status).toBe(409);
    });

    it('rolls the change back when the publisher PATCHes Failure within 10 s', async () => {
      const id = await anActiveSubscription(emulator, api);
      const operation = await emulator.control.changePlanFromPortal(id, 'instant');

      const patched = await api('PATCH', operationPath(id, operation.id), { body: { status: 'Failure' } });
      await emulator.control.advance(10_000);
      const state = await api('GET', operationPath(id, operation.id));
      const subscription = await api('GET', `/saas/subscriptions/${id}`);

      expect(patched.status).toBe(200);
      expect(state.json.status).toBe('Failed');
      expect(subscription.json.planId).toBe('basic');
    });

    it('applies the change at once when the publisher PATCHes Success', async () => {
      const id = await anActiveSubscription(emulator, api);
      const operation = await emulator.control.changePlanFromPortal(id, 'instant');

      await api('PATCH', operationPath(id, operation.id), { body: { status: 'Success' } });

      expect((await api('GET', `/saas/subscriptions/${id}`)).json.planId).toBe('instant');
    });

    it('records no error on an operation PATCHed after its webhook call returned', async () => {
      const id = await anActiveSubscription(emulator, api);
      const operation = await emulator.control.changePlanFromPortal(id, 'instant');

      await api('PATCH', operationPath(id, operation.id), { body: { status: 'Success' } });

      expect(emulator.control.operations(id).find((seen) => seen.id === operation.id)?.errors).toEqual([]);
    });

    it.each([
      ['ChangePlan', (id: string) => emulator.control.changePlanFromPortal(id, 'instant')],
      [
        'Reinstate',
        async (id: string) => {
          await emulator.control.suspend(id);
          return emulator.control.reinstate(id);
        },
      ],
    ] as const)(
      'records an error on a %s operation PATCHed before its webhook call returned, as Microsoft’s emulator does',
      async (_action, start) => {
        const id = await anActiveSubscription(emulator, api);
        const patches: number[] = [];
        receiver.beforeAnswer(async (body) => {
          if (body.status !== 'InProgress') return;
          patches.push(
            (await api('PATCH', operationPath(id, String(body.id)), { body: { status: 'Success' } })).status,
          );
        });

        const operation = await start(id);
        const view = emulator.control.operations(id).find((seen) => seen.id === operation.id);
        const overHttp = (await (await fetch(`${emulator.controlUrl}/subscriptions/${id}/operations`)).json()) as {
          operations: { id: string; errors: { message: string }[] }[];
        };

        expect(patches).toEqual([200]);
        expect(view?.errors).toEqual([
          {
            at: expect.any(String),
            message: 'attempt to patch the status of the operation before the request returned',
          },
        ]);
        expect(overHttp.operations.find((seen) => seen.id === operation.id)?.errors).toHaveLength(1);
        expect(view?.status).toBe('Succeeded');
      },
    );

    it('treats a 4xx answer to the InProgress webhook as a rejection', async () => {
      const id = await anActiveSubscription(emulator, api);
      receiver.answer(400);

      const operation = await emulator.control.changePlanFromPortal(id, 'instant');
      await emulator.control.advance(60_000);

      expect((await api('GET', operationPath(id, operation.id))).json.status).toBe('Failed');
      expect((await api('GET', `/saas/subscriptions/${id}`)).json.planId).toBe('basic');
      expect(emulator.control.webhookDeliveries()).toHaveLength(1);
    });

    it('with the observed behaviour switched on, ignores a PATCH Failure and applies the change', async () => {
      const observed = await startTestEmulator({ observed: { ignorePatchFailure: true } });
      try {
        const observedApi = marketplaceApi(observed, await tokenFor(observed));
        const id = await anActiveSubscription(observed, observedApi);
        const operation = await observed.control.changePlanFromPortal(id, 'instant');

        await observedApi('PATCH', operationPath(id, operation.id), { body: { status: 'Failure' } });

        expect((await observedApi('GET', `/saas/subscriptions/${id}`)).json.planId).toBe('instant');
      } finally {
        await observed.stop();
      }
    });
  });

  describe('publisher-initiated operations', () => {
    it('send a Succeeded webhook with operationRequestSource Partner once the change is done', async () => {
      const id = await anActiveSubscription(emulator, api);
      await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'instant' } });
      expect(receiver.received).toHaveLength(0);

      await emulator.control.advance(3000);

      expect(receiver.received[0]?.body).toMatchObject({
        action: 'ChangePlan',
        status: 'Succeeded',
        operationRequestSource: 'Partner',
        planId: 'instant',
      });
    });
  });

  describe('suspend, reinstate, renew, unsubscribe (§1.4)', () => {
    it('suspends with an inform-only Succeeded webhook and reinstates only after the PATCH Success', async () => {
      const id = await anActiveSubscription(emulator, api);

      await emulator.control.suspend(id);
      const suspended = await api('GET', `/saas/subscriptions/${id}`);
      const reinstate = await emulator.control.reinstate(id);
      const stillSuspended = await api('GET', `/saas/subscriptions/${id}`);
      await api('PATCH', operationPath(id, reinstate.id), { body: { status: 'Success' } });
      const reinstated = await api('GET', `/saas/subscriptions/${id}`);

      expect(receiver.received.map((webhook) => [webhook.body.action, webhook.body.status])).toEqual([
        ['Suspend', 'Succeeded'],
        ['Reinstate', 'InProgress'],
      ]);
      expect(suspended.json.saasSubscriptionStatus).toBe('Suspended');
      expect(stillSuspended.json.saasSubscriptionStatus).toBe('Suspended');
      expect(reinstated.json.saasSubscriptionStatus).toBe('Subscribed');
    });

    it('leaves the subscription Suspended when the reinstatement is PATCHed Failure', async () => {
      const id = await anActiveSubscription(emulator, api);
      await emulator.control.suspend(id);
      const reinstate = await emulator.control.reinstate(id);

      await api('PATCH', operationPath(id, reinstate.id), { body: { status: 'Failure' } });

      expect((await api('GET', `/saas/subscriptions/${id}`)).json.saasSubscriptionStatus).toBe('Suspended');
      expect((await api('GET', operationPath(id, reinstate.id))).json.status).toBe('Failed');
    });

    it('moves the term to the next anniversary on renewal, with an inform-only Renew webhook', async () => {
      const id = await anActiveSubscription(emulator, api);

      await emulator.control.renew(id);
      const subscription = await api('GET', `/saas/subscriptions/${id}`);

      expect(subscription.json.term).toMatchObject({
        startDate: '2026-04-12T00:00:00.000Z',
        endDate: '2026-05-11T00:00:00.000Z',
      });
      expect(receiver.received[0]?.body).toMatchObject({ action: 'Renew', status: 'Succeeded' });
    });

    it('cancels at renewal when autoRenew is off', async () => {
      const id = await anActiveSubscription(emulator, api, { autoRenew: false });

      await emulator.control.renew(id);

      expect((await api('GET', `/saas/subscriptions/${id}`)).json.saasSubscriptionStatus).toBe('Unsubscribed');
      expect(receiver.received[0]?.body).toMatchObject({ action: 'Unsubscribe', status: 'Succeeded' });
    });

    it('unsubscribes with an inform-only webhook from Azure', async () => {
      const id = await anActiveSubscription(emulator, api);

      await emulator.control.unsubscribe(id);

      expect((await api('GET', `/saas/subscriptions/${id}`)).json.saasSubscriptionStatus).toBe('Unsubscribed');
      expect(receiver.received[0]?.body).toMatchObject({
        action: 'Unsubscribe',
        status: 'Succeeded',
        operationRequestSource: 'Azure',
      });
    });
  });

  describe('redelivery (§2.1: retries on non-200)', () => {
    it('redelivers the same payload with a fresh token after a non-200 answer, recording every attempt', async () => {
      const id = await anActiveSubscription(emulator, api);
      receiver.answerSequence([500, 503]);

      await emulator.control.suspend(id);
      await emulator.control.advance(15_000);
      await emulator.control.advance(30_000);
      await emulator.control.advance(600_000);
      const deliveries = emulator.control.webhookDeliveries();

      expect(deliveries.map((delivery) => [delivery.attempt, delivery.status])).toEqual([
        [1, 500],
        [2, 503],
        [3, 200],
      ]);
      expect(new Set(deliveries.map((delivery) => delivery.payload.id)).size).toBe(1);
      expect((decodeJwt(deliveries[2]?.token ?? '').iat ?? 0) - (decodeJwt(deliveries[0]?.token ?? '').iat ?? 0)).toBe(
        45,
      );
    });

    it('stops after the configured number of attempts', async () => {
      const bounded = await startTestEmulator({
        webhookUrl: receiver.url,
        webhookRetry: { maxAttempts: 3, initialDelayMs: 1000 },
      });
      try {
        const boundedApi = marketplaceApi(bounded, await tokenFor(bounded));
        const id = await anActiveSubscription(bounded, boundedApi);
        receiver.answer(500);

        await bounded.control.suspend(id);
        await bounded.control.advance(24 * 3600_000);

        expect(bounded.control.webhookDeliveries().map((delivery) => delivery.attempt)).toEqual([1, 2, 3]);
      } finally {
        await bounded.stop();
      }
    });
  });
});
