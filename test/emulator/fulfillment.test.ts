import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import {
  ACME_TENANT,
  type Api,
  anActiveSubscription,
  aPurchase,
  marketplaceApi,
  startTestEmulator,
  tokenFor,
} from './harness.ts';

describe('marketplace emulator: SaaS Fulfillment API v2 (reference §1)', () => {
  let emulator: MarketplaceEmulator;
  let api: Api;

  beforeAll(async () => {
    emulator = await startTestEmulator({ operationDelayMs: 3000 });
    api = marketplaceApi(emulator, await tokenFor(emulator));
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.control.reset());

  describe('resolve', () => {
    it('resolves the URL-decoded landing token to the purchased subscription', async () => {
      const purchase = await emulator.control.purchase(
        aPurchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 }) as never,
      );
      const tokenFromLandingUrl = new URL(purchase.landingUrl).searchParams.get('token');

      const response = await api('POST', '/saas/subscriptions/resolve', {
        headers: { 'x-ms-marketplace-token': tokenFromLandingUrl ?? '' },
      });

      expect(tokenFromLandingUrl).toBe(purchase.token);
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({
        id: purchase.subscriptionId,
        offerId: 'contoso-analytics',
        planId: 'team',
        quantity: 5,
        subscription: { id: purchase.subscriptionId, saasSubscriptionStatus: 'PendingFulfillmentStart' },
      });
    });

    it('answers 400 to a token still URL-encoded, a missing token and a token older than 24 h', async () => {
      const purchase = await emulator.control.purchase(aPurchase() as never);
      const encoded = encodeURIComponent(purchase.token);

      const stillEncoded = await api('POST', '/saas/subscriptions/resolve', {
        headers: { 'x-ms-marketplace-token': encoded },
      });
      const missing = await api('POST', '/saas/subscriptions/resolve');
      await emulator.control.advance(24 * 3600_000 + 1000);
      const freshApi = marketplaceApi(emulator, await tokenFor(emulator));
      const expired = await freshApi('POST', '/saas/subscriptions/resolve', {
        headers: { 'x-ms-marketplace-token': purchase.token },
      });

      expect(encoded).not.toBe(purchase.token);
      expect(stillEncoded.status).toBe(400);
      expect(missing.status).toBe(400);
      expect(expired.status).toBe(400);
      expect(expired.json).toMatchObject({ error: { code: 'BadRequest', message: expect.stringMatching(/expired/) } });
    });
  });

  describe('activate', () => {
    it('makes the subscription Subscribed with a term starting on the activation day', async () => {
      const purchase = await emulator.control.purchase(aPurchase() as never);

      const response = await api('POST', `/saas/subscriptions/${purchase.subscriptionId}/activate`, {
        body: { planId: 'basic' },
      });
      const subscription = await api('GET', `/saas/subscriptions/${purchase.subscriptionId}`);

      expect(response.status).toBe(200);
      expect(response.text).toBe('');
      expect(subscription.json).toMatchObject({
        saasSubscriptionStatus: 'Subscribed',
        term: { termUnit: 'P1M', startDate: '2026-03-12T00:00:00.000Z', endDate: '2026-04-11T00:00:00.000Z' },
      });
    });

    it('answers 400 without planId, with another plan or quantity than purchased, and when already Subscribed', async () => {
      const flat = await emulator.control.purchase(aPurchase() as never);
      const seats = await emulator.control.purchase(aPurchase({ planId: 'team', quantity: 3 }) as never);

      const noPlan = await api('POST', `/saas/subscriptions/${flat.subscriptionId}/activate`, { body: {} });
      const otherPlan = await api('POST', `/saas/subscriptions/${flat.subscriptionId}/activate`, {
        body: { planId: 'pro' },
      });
      const otherQuantity = await api('POST', `/saas/subscriptions/${seats.subscriptionId}/activate`, {
        body: { planId: 'team', quantity: '4' },
      });
      const first = await api('POST', `/saas/subscriptions/${seats.subscriptionId}/activate`, {
        body: { planId: 'team', quantity: '3' },
      });
      const again = await api('POST', `/saas/subscriptions/${seats.subscriptionId}/activate`, {
        body: { planId: 'team', quantity: 3 },
      });

      expect([noPlan.status, otherPlan.status, otherQuantity.status]).toEqual([400, 400, 400]);
      expect(first.status).toBe(200);
      expect(again.status).toBe(400);
    });

    it('answers 404 for an Unsubscribed subscription and for an unknown one', async () => {
      const purchase = await emulator.control.purchase(aPurchase() as never);
      await emulator.control.unsubscribe(purchase.subscriptionId);

      const unsubscribed = await api('POST', `/saas/subscriptions/${purchase.subscriptionId}/activate`, {
        body: { planId: 'basic' },
      });
      const unknown = await api('POST', `/saas/subscriptions/${crypto.randomUUID()}/activate`, {
        body: { planId: 'basic' },
      });

      expect(unsubscribed.status).toBe(404);
      expect(unknown.status).toBe(404);
    });
  });

  describe('get and list', () => {
    it('answers 404 for an unknown subscription', async () => {
      expect((await api('GET', `/saas/subscriptions/${crypto.randomUUID()}`)).status).toBe(404);
    });

    it('answers an empty body when there are no subscriptions', async () => {
      const response = await api('GET', '/saas/subscriptions');

      expect(response.status).toBe(200);
      expect(response.text).toBe('');
    });

    it('pages 250 subscriptions as 100 + 100 + 50, following @nextLink full URLs', async () => {
      const bought = new Set<string>();
      for (let index = 0; index < 250; index += 1) {
        bought.add((await emulator.control.purchase(aPurchase() as never)).subscriptionId);
      }
      const token = await tokenFor(emulator);
      const pages: number[] = [];
      const seen = new Set<string>();
      let url: string | undefined = `${emulator.baseUrl}/saas/subscriptions?api-version=2018-08-31`;
      while (url) {
        const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        const body = (await response.json()) as { subscriptions: { id: string }[]; '@nextLink'?: string };
        pages.push(body.subscriptions.length);
        for (const subscription of body.subscriptions) seen.add(subscription.id);
        url = body['@nextLink'] || undefined;
        if (url)
          expect(url).toMatch(
            /^http:\/\/127\.0\.0\.1:\d+\/api\/saas\/subscriptions\?api-version=2018-08-31&continuationToken=/,
          );
      }

      expect(pages).toEqual([100, 100, 50]);
      expect(seen).toEqual(bought);
    });

    it('shows the §1.3 subscription fields with Microsoft status strings and a numeric quantity', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });

      const response = await api('GET', `/saas/subscriptions/${id}`);

      expect(response.json).toMatchObject({
        id,
        publisherId: 'contoso',
        offerId: 'contoso-analytics',
        planId: 'team',
        quantity: 2,
        saasSubscriptionStatus: 'Subscribed',
        beneficiary: { tenantId: expect.any(String), emailId: 'user@customer.example', objectId: expect.any(String) },
        purchaser: { emailId: 'buyer@customer.example' },
        term: { termUnit: 'P1M', startDate: expect.any(String), endDate: expect.any(String) },
        autoRenew: true,
        isFreeTrial: true,
        allowedCustomerOperations: ['Read', 'Update', 'Delete'],
        sessionMode: 'None',
        sandboxType: 'None',
        created: expect.any(String),
        lastModified: expect.any(String),
      });
    });
  });

  describe('list available plans', () => {
    it('lists public plans with their billing terms, included quantities and dimensions, not foreign private plans', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('GET', `/saas/subscriptions/${id}/listAvailablePlans`);
      const plans = response.json.plans as { planId: string }[];
      const basic = response.json.plans.find((plan: { planId: string }) => plan.planId === 'basic');

      expect(plans.map((plan) => plan.planId)).toEqual(['basic', 'pro', 'team', 'instant']);
      expect(basic).toMatchObject({
        isPrivate: false,
        isPricePerSeat: false,
        planComponents: {
          recurrentBillingTerms: [
            {
              currency: 'USD',
              price: 100,
              termUnit: 'P1M',
              meteredQuantityIncluded: expect.arrayContaining([{ dimensionId: 'api-calls', units: '100' }]),
            },
          ],
          meteringDimensions: expect.arrayContaining([
            {
              id: 'api-calls',
              currency: 'USD',
              pricePerUnit: 0.5,
              unitOfMeasure: '1000 calls',
              displayName: 'API calls',
            },
          ]),
        },
      });
    });

    it('includes a private plan for a tenant of its audience, and filters by planId', async () => {
      const id = await anActiveSubscription(emulator, api, {
        beneficiary: { tenantId: ACME_TENANT, emailId: 'it@acme.example' },
      });

      const all = await api('GET', `/saas/subscriptions/${id}/listAvailablePlans`);
      const one = await api('GET', `/saas/subscriptions/${id}/listAvailablePlans?planId=enterprise-acme`);

      expect(all.json.plans.map((plan: { planId: string }) => plan.planId)).toContain('enterprise-acme');
      expect(one.json.plans).toHaveLength(1);
      expect(one.json.plans[0]).toMatchObject({ planId: 'enterprise-acme', isPrivate: true });
    });
  });

  describe('change plan, change quantity, delete', () => {
    it('answers 202 with a full Operation-Location, and the operation succeeds a few seconds later', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'instant' } });
      const location = response.headers.get('operation-location') ?? '';
      const operationPath = new URL(location).pathname.replace(/^\/api/, '');
      const during = await api('GET', operationPath);
      const subscriptionDuring = await api('GET', `/saas/subscriptions/${id}`);
      await emulator.control.advance(3000);
      const after = await api('GET', operationPath);
      const subscriptionAfter = await api('GET', `/saas/subscriptions/${id}`);

      expect(response.status).toBe(202);
      expect(location).toMatch(
        new RegExp(`^${emulator.baseUrl}/saas/subscriptions/${id}/operations/[0-9a-f-]{36}\\?api-version=2018-08-31$`),
      );
      expect(during.json).toMatchObject({
        action: 'ChangePlan',
        status: 'InProgress',
        planId: 'instant',
        subscriptionId: id,
      });
      expect(subscriptionDuring.json.planId).toBe('basic');
      expect(after.json.status).toBe('Succeeded');
      expect(subscriptionAfter.json.planId).toBe('instant');
    });

    it('locks the subscription while an operation is InProgress', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });
      await api('PATCH', `/saas/subscriptions/${id}`, { body: { quantity: 3 } });

      const locked = await api('PATCH', `/saas/subscriptions/${id}`, { body: { quantity: 4 } });
      const lockedDelete = await api('DELETE', `/saas/subscriptions/${id}`);
      await emulator.control.advance(3000);
      const unlocked = await api('PATCH', `/saas/subscriptions/${id}`, { body: { quantity: 4 } });

      expect(locked.status).toBe(400);
      expect(locked.json.error.message).toMatch(/locked due to pending operations/);
      expect(lockedDelete.status).toBe(400);
      expect(unlocked.status).toBe(202);
    });

    it('answers 400 for both fields, the same plan, an unknown or foreign private plan, and seats out of range', async () => {
      const flat = await anActiveSubscription(emulator, api);
      const seats = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });

      const statuses = await Promise.all([
        api('PATCH', `/saas/subscriptions/${flat}`, { body: { planId: 'pro', quantity: 2 } }),
        api('PATCH', `/saas/subscriptions/${flat}`, { body: { planId: 'basic' } }),
        api('PATCH', `/saas/subscriptions/${flat}`, { body: { planId: 'platinum' } }),
        api('PATCH', `/saas/subscriptions/${flat}`, { body: { planId: 'enterprise-acme' } }),
        api('PATCH', `/saas/subscriptions/${flat}`, { body: { quantity: 3 } }),
        api('PATCH', `/saas/subscriptions/${seats}`, { body: { quantity: 51 } }),
        api('PATCH', `/saas/subscriptions/${seats}`, { body: { quantity: 0 } }),
        api('PATCH', `/saas/subscriptions/${seats}`, { body: { quantity: 2 } }),
        api('PATCH', `/saas/subscriptions/${seats}`, { body: {} }),
      ]);

      expect(statuses.map((response) => response.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 400]);
    });

    it('answers 400 to a change of a subscription that is not Subscribed', async () => {
      const id = await anActiveSubscription(emulator, api);
      await emulator.control.suspend(id);

      expect((await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'pro' } })).status).toBe(400);
    });

    it('unsubscribes on DELETE once the operation completes, and keeps listing the subscription', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('DELETE', `/saas/subscriptions/${id}`);
      await emulator.control.advance(3000);
      const subscription = await api('GET', `/saas/subscriptions/${id}`);
      const list = await api('GET', '/saas/subscriptions');

      expect(response.status).toBe(202);
      expect(response.headers.get('operation-location')).toContain(`/saas/subscriptions/${id}/operations/`);
      expect(subscription.json.saasSubscriptionStatus).toBe('Unsubscribed');
      expect(list.json.subscriptions.map((item: { id: string }) => item.id)).toContain(id);
    });

    it('answers 400 to DELETE when Delete is not an allowed customer operation (CSP purchase)', async () => {
      const id = await anActiveSubscription(emulator, api, { allowedCustomerOperations: ['Read'], sandboxType: 'Csp' });

      expect((await api('DELETE', `/saas/subscriptions/${id}`)).status).toBe(400);
    });
  });

  describe('operations', () => {
    it('lists only outstanding operations, and answers empty JSON when there are none', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });
      const none = await api('GET', `/saas/subscriptions/${id}/operations`);
      await api('PATCH', `/saas/subscriptions/${id}`, { body: { quantity: 5 } });

      const pending = await api('GET', `/saas/subscriptions/${id}/operations`);

      expect(none.json).toEqual({});
      expect(pending.json.operations).toHaveLength(1);
      expect(pending.json.operations[0]).toMatchObject({
        id: expect.any(String),
        activityId: expect.any(String),
        subscriptionId: id,
        offerId: 'contoso-analytics',
        publisherId: 'contoso',
        planId: 'team',
        quantity: 5,
        action: 'ChangeQuantity',
        timeStamp: expect.any(String),
        status: 'InProgress',
      });
    });

    it('answers 409 to a PATCH of an operation already completed, and 404 to an unknown operation', async () => {
      const id = await anActiveSubscription(emulator, api);
      const response = await api('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'instant' } });
      const operationPath = new URL(response.headers.get('operation-location') ?? '').pathname.replace(/^\/api/, '');
      await emulator.control.advance(3000);

      const patched = await api('PATCH', operationPath, { body: { status: 'Success' } });
      const unknown = await api('GET', `/saas/subscriptions/${id}/operations/${crypto.randomUUID()}`);

      expect(patched.status).toBe(409);
      expect(unknown.status).toBe(404);
    });

    it('answers 400 to a PATCH whose status is not Success or Failure', async () => {
      const id = await anActiveSubscription(emulator, api);
      const operation = await emulator.control.changePlanFromPortal(id, 'instant');

      const response = await api('PATCH', `/saas/subscriptions/${id}/operations/${operation.id}`, {
        body: { status: 'Succeeded' },
      });

      expect(response.status).toBe(400);
    });
  });
});
