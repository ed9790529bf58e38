import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import {
  type Api,
  anActiveSubscription,
  aPurchase,
  marketplaceApi,
  START,
  startTestEmulator,
  tokenFor,
} from './harness.ts';

const HOUR = 3600_000;
/** START is 10:30 UTC; this is the hour that began at 10:00. */
const THIS_HOUR = '2026-03-12T10:00:00Z';
const PREVIOUS_HOUR = '2026-03-12T09:00:00Z';

describe('marketplace emulator: Metering API (reference §4)', () => {
  let emulator: MarketplaceEmulator;
  let api: Api;

  beforeAll(async () => {
    // Token expiry is entra.test.ts's subject; here the clock moves by hours without renewing tokens.
    emulator = await startTestEmulator({ verifyTokenExpiry: false });
  });
  afterAll(() => emulator.stop());
  beforeEach(async () => {
    emulator.control.reset();
    api = marketplaceApi(emulator, await tokenFor(emulator));
  });

  const anEvent = (resourceId: string, overrides: Record<string, unknown> = {}) => ({
    resourceId,
    quantity: 5,
    dimension: 'api-calls',
    effectiveStartTime: THIS_HOUR,
    planId: 'basic',
    ...overrides,
  });
  /** Activated at 08:00 so that the hours before START are Subscribed hours. */
  const aSubscriptionActiveSince8 = async () => {
    await emulator.control.setTime(new Date('2026-03-12T08:00:00Z'));
    const id = await anActiveSubscription(emulator, api);
    await emulator.control.setTime(START);
    return id;
  };

  describe('single usage event', () => {
    it('accepts an event with a usageEventId and messageTime, and records it in the ledger', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('POST', '/usageEvent', { body: anEvent(id, { quantity: 0.02 }) });

      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({
        usageEventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'Accepted',
        messageTime: START.toISOString(),
        resourceId: id,
        quantity: 0.02,
        dimension: 'api-calls',
        effectiveStartTime: '2026-03-12T10:00:00.000Z',
        planId: 'basic',
      });
      expect(emulator.control.usageLedger()).toEqual([response.json]);
    });

    it('answers 409 Conflict with the originally accepted event for a second event in the same UTC hour', async () => {
      const id = await aSubscriptionActiveSince8();
      const first = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T10:05:00Z' }),
      });

      const second = await api('POST', '/usageEvent', {
        body: anEvent(id, { quantity: 9, effectiveStartTime: '2026-03-12T10:29:59Z' }),
      });
      const otherDimension = await api('POST', '/usageEvent', { body: anEvent(id, { dimension: 'reports' }) });
      const otherHour = await api('POST', '/usageEvent', { body: anEvent(id, { effectiveStartTime: PREVIOUS_HOUR }) });

      expect(second.status).toBe(409);
      expect(second.json).toMatchObject({
        code: 'Conflict',
        message: 'This usage event already exist.',
        additionalInfo: {
          acceptedMessage: { usageEventId: first.json.usageEventId, status: 'Duplicate', quantity: 5 },
        },
      });
      expect(otherDimension.status).toBe(200);
      expect(otherHour.status).toBe(200);
    });

    it('answers 400 Expired for usage more than 24 h old or in the future', async () => {
      const id = await anActiveSubscription(emulator, api);
      await emulator.control.advance(30 * HOUR);
      const freshApi = marketplaceApi(emulator, await tokenFor(emulator));

      const tooOld = await freshApi('POST', '/usageEvent', { body: anEvent(id, { effectiveStartTime: THIS_HOUR }) });
      const withinWindow = await freshApi('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T17:00:00Z' }),
      });
      const future = await freshApi('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-13T17:00:00Z' }),
      });

      expect(tooOld.status).toBe(400);
      expect(tooOld.json).toMatchObject({ code: 'Expired', details: [{ code: 'Expired' }] });
      expect(withinWindow.status).toBe(200);
      expect(future.json.code).toBe('Expired');
    });

    it('answers 400 in Microsoft shape for missing fields, bad quantity, unknown dimension or resource', async () => {
      const id = await anActiveSubscription(emulator, api);

      const missing = await api('POST', '/usageEvent', { body: { ...anEvent(id), resourceId: undefined } });
      const zero = await api('POST', '/usageEvent', { body: anEvent(id, { quantity: 0 }) });
      const negative = await api('POST', '/usageEvent', { body: anEvent(id, { quantity: -1 }) });
      const dimension = await api('POST', '/usageEvent', { body: anEvent(id, { dimension: 'seats' }) });
      const unknown = await api('POST', '/usageEvent', { body: anEvent(crypto.randomUUID()) });

      expect(missing.status).toBe(400);
      expect(missing.json).toEqual({
        message: 'One or more errors have occurred.',
        target: 'ResourceId',
        details: [{ message: 'The resourceId is required.', target: 'ResourceId', code: 'BadArgument' }],
        code: 'BadArgument',
      });
      expect([zero.json.code, negative.json.code]).toEqual(['InvalidQuantity', 'InvalidQuantity']);
      expect(dimension.json.code).toBe('InvalidDimension');
      expect(unknown.json.code).toBe('ResourceNotFound');
    });

    it('answers ResourceNotActive before activation and while suspended', async () => {
      const pending = await emulator.control.purchase(aPurchase() as never);
      const suspended = await anActiveSubscription(emulator, api);
      await emulator.control.advance(HOUR);
      await emulator.control.suspend(suspended);
      await emulator.control.advance(HOUR);

      const pendingUsage = await api('POST', '/usageEvent', {
        body: anEvent(pending.subscriptionId, { effectiveStartTime: '2026-03-12T12:00:00Z' }),
      });
      const suspendedUsage = await api('POST', '/usageEvent', {
        body: anEvent(suspended, { effectiveStartTime: '2026-03-12T12:00:00Z' }),
      });

      expect(pendingUsage.json.code).toBe('ResourceNotActive');
      expect(suspendedUsage.json.code).toBe('ResourceNotActive');
    });

    it('still accepts usage of hours before a cancellation, within 24 h', async () => {
      const id = await aSubscriptionActiveSince8();
      await emulator.control.unsubscribe(id);
      await emulator.control.advance(2 * HOUR);

      const beforeCancellation = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: PREVIOUS_HOUR }),
      });
      const cancellationHour = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: THIS_HOUR }),
      });
      const afterCancellation = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T11:00:00Z' }),
      });

      expect(beforeCancellation.status).toBe(200);
      expect(cancellationHour.status).toBe(200);
      expect(afterCancellation.json.code).toBe('ResourceNotActive');
    });

    it('rejects a planId that was not the plan in force during that hour, and accepts the old plan for hours before a change', async () => {
      const id = await aSubscriptionActiveSince8();
      const operation = await emulator.control.changePlanFromPortal(id, 'instant');
      await api('PATCH', `/saas/subscriptions/${id}/operations/${operation.id}`, { body: { status: 'Success' } });
      await emulator.control.advance(HOUR);

      const oldPlanBefore = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: PREVIOUS_HOUR }),
      });
      const newPlanBefore = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T08:00:00Z', planId: 'instant' }),
      });
      const newPlanAfter = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T11:00:00Z', planId: 'instant' }),
      });

      expect(oldPlanBefore.status).toBe(200);
      expect(newPlanBefore.json.code).toBe('BadArgument');
      expect(newPlanAfter.status).toBe(200);
    });

    it('reads a timestamp without zone designator as UTC', async () => {
      const id = await anActiveSubscription(emulator, api);

      const response = await api('POST', '/usageEvent', {
        body: anEvent(id, { effectiveStartTime: '2026-03-12T10:15:00' }),
      });

      expect(response.json.effectiveStartTime).toBe('2026-03-12T10:15:00.000Z');
    });
  });

  describe('batch usage events', () => {
    it('answers 400 to a batch of 0 or 26 events and accepts 25', async () => {
      const id = await aSubscriptionActiveSince8();
      const events = (count: number) =>
        Array.from({ length: count }, (_, index) =>
          anEvent(id, {
            effectiveStartTime: new Date(START.getTime() - index * HOUR).toISOString(),
            quantity: index + 1,
          }),
        );
      const twentyFive = events(25).map((event, index) => ({
        ...event,
        dimension: index < 3 ? 'api-calls' : 'gb-processed',
        effectiveStartTime: new Date(Date.parse('2026-03-12T08:00:00Z') + (index % 3) * HOUR).toISOString(),
      }));

      const empty = await api('POST', '/batchUsageEvent', { body: { request: [] } });
      const tooMany = await api('POST', '/batchUsageEvent', { body: { request: events(26) } });
      const full = await api('POST', '/batchUsageEvent', { body: { request: twentyFive } });

      expect(empty.status).toBe(400);
      expect(empty.json).toMatchObject({ code: 'BadArgument', details: [{ code: 'BadArgument' }] });
      expect(tooMany.status).toBe(400);
      expect(full.status).toBe(200);
      expect(full.json.count).toBe(25);
    });

    it('reports a status per event: Accepted, Duplicate with acceptedMessage, and the rejections', async () => {
      const id = await aSubscriptionActiveSince8();

      const response = await api('POST', '/batchUsageEvent', {
        body: {
          request: [
            anEvent(id),
            anEvent(id, { quantity: 7 }),
            anEvent(id, { effectiveStartTime: PREVIOUS_HOUR }),
            anEvent(id, { dimension: 'unknown' }),
            anEvent(id, { quantity: 0 }),
            anEvent(id, { effectiveStartTime: '2026-03-10T10:00:00Z' }),
            anEvent(crypto.randomUUID()),
            { resourceId: id },
          ],
        },
      });
      const results = response.json.result as {
        status: string;
        messageTime: string;
        error?: Record<string, unknown>;
      }[];

      expect(response.status).toBe(200);
      expect(results.map((result) => result.status)).toEqual([
        'Accepted',
        'Duplicate',
        'Accepted',
        'InvalidDimension',
        'InvalidQuantity',
        'Expired',
        'ResourceNotFound',
        'BadArgument',
      ]);
      expect(results[1]).toMatchObject({
        messageTime: '0001-01-01T00:00:00',
        error: {
          code: 'Conflict',
          additionalInfo: {
            acceptedMessage: {
              usageEventId: (results[0] as unknown as { usageEventId: string }).usageEventId,
              quantity: 5,
            },
          },
        },
      });
      expect(emulator.control.usageLedger()).toHaveLength(2);
    });
  });

  describe('usage event retrieval (§4.2)', () => {
    it('aggregates accepted usage per day, resource, dimension and plan', async () => {
      const id = await aSubscriptionActiveSince8();
      await api('POST', '/batchUsageEvent', {
        body: {
          request: [
            anEvent(id, { effectiveStartTime: '2026-03-12T08:00:00Z', quantity: 1 }),
            anEvent(id, { effectiveStartTime: '2026-03-12T09:00:00Z', quantity: 2.5 }),
            anEvent(id, { effectiveStartTime: THIS_HOUR, dimension: 'reports', quantity: 1 }),
          ],
        },
      });

      const response = await api('GET', '/usageEvents?usageStartDate=2026-03-12&dimension=api-calls');
      const missingStart = await api('GET', '/usageEvents');

      expect(response.status).toBe(200);
      expect(response.json).toEqual([
        expect.objectContaining({
          usageDate: '2026-03-12T00:00:00.000Z',
          usageResourceId: id,
          dimension: 'api-calls',
          planId: 'basic',
          offerId: 'contoso-analytics',
          submittedQuantity: 3.5,
          processedQuantity: 3.5,
          submittedCount: 2,
        }),
      ]);
      expect(missingStart.status).toBe(400);
    });
  });
});
