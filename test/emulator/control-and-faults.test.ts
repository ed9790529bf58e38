import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { type Api, anActiveSubscription, aPurchase, marketplaceApi, startTestEmulator, tokenFor } from './harness.ts';

const THIS_HOUR = '2026-03-12T10:00:00Z';

describe('marketplace emulator: fault injection, control API and inspection', () => {
  let emulator: MarketplaceEmulator;
  let api: Api;

  beforeAll(async () => {
    emulator = await startTestEmulator({ verifyTokenExpiry: false });
    api = marketplaceApi(emulator, await tokenFor(emulator));
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.control.reset());

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };

  describe('fault injection', () => {
    const statusesOf = async (count: number) => {
      const statuses: number[] = [];
      for (let index = 0; index < count; index += 1)
        statuses.push((await api('GET', '/usageEvents?usageStartDate=2026-03-12')).status);
      return statuses;
    };

    it('injects the same faults for the same seed and sequence of requests', async () => {
      emulator.control.setFaults({ match: 'metering', errorRate: 0.3, throttleRate: 0.2 }, 7);
      const first = await statusesOf(40);
      emulator.control.setFaults({ match: 'metering', errorRate: 0.3, throttleRate: 0.2 }, 7);
      const second = await statusesOf(40);
      emulator.control.setFaults({ match: 'metering', errorRate: 0.3, throttleRate: 0.2 }, 8);
      const otherSeed = await statusesOf(40);

      expect(second).toEqual(first);
      expect(otherSeed).not.toEqual(first);
      expect(new Set(first)).toEqual(new Set([200, 500, 503, 429]));
    });

    it('answers 429 with Retry-After in seconds, and leaves routes outside the group alone', async () => {
      emulator.control.setFaults({ match: 'metering', throttleRate: 1, retryAfterSeconds: 3 });

      const metering = await api('GET', '/usageEvents?usageStartDate=2026-03-12');
      const fulfillment = await api('GET', '/saas/subscriptions');

      expect(metering.status).toBe(429);
      expect(metering.headers.get('retry-after')).toBe('3');
      expect(fulfillment.status).toBe(200);
    });

    it('drops the connection after applying the event, so the retry gets the Duplicate of the accepted one', async () => {
      const id = await anActiveSubscription(emulator, api);
      const event = {
        resourceId: id,
        quantity: 3,
        dimension: 'api-calls',
        effectiveStartTime: THIS_HOUR,
        planId: 'basic',
      };
      emulator.control.setFaults({ match: 'usageEvent', dropRate: 1, dropPhase: 'after', count: 1 });

      const lost = api('POST', '/usageEvent', { body: event });
      await expect(lost).rejects.toThrow();
      const retry = await api('POST', '/usageEvent', { body: event });
      const ledger = emulator.control.usageLedger();

      expect(ledger).toHaveLength(1);
      expect(retry.status).toBe(409);
      expect(retry.json.additionalInfo.acceptedMessage.usageEventId).toBe(ledger[0]?.usageEventId);
    });

    it('drops the connection before applying the event when asked, so the retry is accepted', async () => {
      const id = await anActiveSubscription(emulator, api);
      const event = {
        resourceId: id,
        quantity: 3,
        dimension: 'api-calls',
        effectiveStartTime: THIS_HOUR,
        planId: 'basic',
      };
      emulator.control.setFaults({ match: '^POST /usageEvent$', dropRate: 1, dropPhase: 'before', count: 1 });

      await expect(api('POST', '/usageEvent', { body: event })).rejects.toThrow();
      const retry = await api('POST', '/usageEvent', { body: event });

      expect(retry.status).toBe(200);
      expect(emulator.control.usageLedger()).toHaveLength(1);
    });
  });

  describe('control API over HTTP', () => {
    it('buys a subscription and returns a landing URL with the URL-encoded token', async () => {
      const response = await control('POST', '/purchases', aPurchase({ planId: 'team', quantity: 4 }));

      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ subscriptionId: expect.any(String), token: expect.stringMatching(/\+/) });
      expect(response.json.landingUrl).toBe(
        `http://localhost:3000/landing?token=${encodeURIComponent(response.json.token)}`,
      );
      expect(new Date(response.json.tokenExpiresAt).getTime() - emulator.control.now().getTime()).toBe(24 * 3600_000);
    });

    it('answers 400 to an invalid purchase and 404 to an action on an unknown subscription', async () => {
      const invalid = await control('POST', '/purchases', { offerId: 'contoso-analytics' });
      const unknownPlan = await control('POST', '/purchases', aPurchase({ planId: 'platinum' }));
      const unknown = await control('POST', `/subscriptions/${crypto.randomUUID()}/suspend`);

      expect(invalid.status).toBe(400);
      expect(unknownPlan.status).toBe(400);
      expect(unknown.status).toBe(404);
      expect(unknown.json).toMatchObject({ error: { code: 'NotFound' } });
    });

    it('drives portal changes, the clock and inspection as the in-process control does', async () => {
      const id = await anActiveSubscription(emulator, api, { planId: 'team', quantity: 2 });

      const change = await control('POST', `/subscriptions/${id}/change-quantity`, { quantity: 9 });
      const clock = await control('POST', '/clock', { advanceMs: 10_000 });
      const subscription = await control('GET', `/subscriptions/${id}`);
      const operations = await control('GET', `/subscriptions/${id}/operations`);
      const deliveries = await control('GET', '/webhook-deliveries');

      expect(change.json).toMatchObject({
        action: 'ChangeQuantity',
        status: 'InProgress',
        operationRequestSource: 'Azure',
      });
      expect(clock.json.now).toBe('2026-03-12T10:30:10.000Z');
      expect(subscription.json).toMatchObject({
        quantity: 9,
        statusHistory: [{ status: 'PendingFulfillmentStart' }, { status: 'Subscribed' }],
      });
      expect(operations.json.operations[0]).toMatchObject({ status: 'Succeeded' });
      // No webhook URL is set: the attempt is recorded with the reason.
      expect(deliveries.json.deliveries[0]).toMatchObject({ attempt: 1, error: 'no webhook URL set' });
    });

    it('sets faults and exposes the usage ledger', async () => {
      const id = await anActiveSubscription(emulator, api);
      await api('POST', '/usageEvent', {
        body: { resourceId: id, quantity: 1, dimension: 'reports', effectiveStartTime: THIS_HOUR, planId: 'basic' },
      });

      const faults = await control('PUT', '/faults', { rules: { match: 'operations', errorRate: 1 }, seed: 3 });
      const ledger = await control('GET', '/ledger');
      const cleared = await control('DELETE', '/faults');

      expect(faults.json.rules).toEqual([{ match: 'operations', errorRate: 1 }]);
      expect(ledger.json.events).toEqual([
        expect.objectContaining({ resourceId: id, dimension: 'reports', quantity: 1 }),
      ]);
      expect(cleared.json.rules).toEqual([]);
    });

    it('lets time flow in running mode, so operations complete without advancing the clock', async () => {
      const running = await startTestEmulator({ clock: 'running', operationDelayMs: 200 });
      try {
        const runningApi = marketplaceApi(running, await tokenFor(running));
        const id = await anActiveSubscription(running, runningApi);
        await runningApi('PATCH', `/saas/subscriptions/${id}`, { body: { planId: 'instant' } });

        await new Promise((resolve) => setTimeout(resolve, 600));

        expect((await runningApi('GET', `/saas/subscriptions/${id}`)).json.planId).toBe('instant');
        expect(running.control.now().getTime()).toBeGreaterThan(new Date('2026-03-12T10:30:00.500Z').getTime());
      } finally {
        await running.stop();
      }
    });

    it('serves the control API on its own port when controlPort is given', async () => {
      const separate = await startTestEmulator({ controlPort: 0 });
      try {
        const info = await fetch(`${separate.controlUrl}`).then((response) => response.json());

        expect(new URL(separate.controlUrl).port).not.toBe(new URL(separate.baseUrl).port);
        expect(info).toMatchObject({ baseUrl: separate.baseUrl, publisher: { clientId: separate.entra.clientId } });
      } finally {
        await separate.stop();
      }
    });
  });
});
