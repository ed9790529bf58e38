import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EARLY_PATCH_ERROR } from '#infra/local/emulator/index.ts';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { marketplaceApi, tokenFor } from '#test/emulator/harness.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { activateOnLandingPage } from '#test/helpers/local-landing.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/**
 * Issue 11 item 6, through the local system that `npm start` runs (every function behind its HTTP server, the queue
 * pollers, the emulator sending signed webhooks): a ChangePlan and a ChangeQuantity are answered before their
 * operation is PATCHed, so the emulator, like Microsoft's reference emulator, records no "PATCH before the request
 * returned" error; a publisher that PATCHes before answering gets that error recorded (the check can fail).
 */
describe('Microsoft’s order for ChangePlan / ChangeQuantity: answer the webhook, then PATCH', () => {
  let local: TestLocalSystem | undefined;
  let system: LocalSystem;

  beforeAll(async () => {
    local = await startTestLocalSystem('webhook-order');
    system = local.system;
  });
  afterAll(async () => {
    await local?.stop();
  });

  /** The customer buys `team` with 5 seats and activates it on the local landing page. */
  async function buyThroughLandingPage(): Promise<string> {
    const bought = await system.emulator.control.purchase(aPurchaseInput());
    const { page, activated } = await activateOnLandingPage(system, bought);
    expect(page.status).toBe(200);
    expect(activated.status).toBe(200);
    return bought.subscriptionId;
  }

  const finished = (subscriptionId: string, operationId: string) =>
    eventually(async () => {
      const operation = system.emulator.control.operations(subscriptionId).find((seen) => seen.id === operationId);
      return operation && operation.status !== 'InProgress' ? operation : undefined;
    });

  const stored = async (subscriptionId: string) =>
    (await fetch(`${system.apiUrl}/v1/subscriptions/${subscriptionId}`, {
      headers: { authorization: `Bearer ${system.bootstrapKey.token}` },
    }).then((response) => response.json())) as Record<string, unknown>;

  it('PATCHes a ChangeQuantity and a ChangePlan only after their webhook call returned, and applies both', async () => {
    const subscriptionId = await buyThroughLandingPage();

    const seats = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 8);
    const seatsDone = await finished(subscriptionId, seats.id);
    await eventually(async () => (await stored(subscriptionId)).quantity === 8);
    const plan = await system.emulator.control.changePlanFromPortal(subscriptionId, 'basic');
    const planDone = await finished(subscriptionId, plan.id);
    await eventually(async () => (await stored(subscriptionId)).planId === 'basic');

    const deliveries = system.emulator.control.webhookDeliveries();
    for (const [operation, done] of [
      [seats, seatsDone],
      [plan, planDone],
    ] as const) {
      expect(deliveries.filter((delivery) => delivery.operationId === operation.id).map((d) => d.status)).toEqual([
        200,
      ]);
      // Succeeded by our PATCH, not by the 10 s auto-accept (which does not PATCH): one PATCH, no error.
      expect(done).toMatchObject({ status: 'Succeeded', patchCount: 1, errors: [] });
    }
  }, 60_000);

  it('records the error when a publisher PATCHes before answering the webhook call', async () => {
    const subscriptionId = await buyThroughLandingPage();
    const api = marketplaceApi(system.emulator, await tokenFor(system.emulator));
    // A hasty publisher: PATCHes Success, then answers 200.
    const hasty: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void (async () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; subscriptionId: string };
          await api('PATCH', `/saas/subscriptions/${body.subscriptionId}/operations/${body.id}`, {
            body: { status: 'Success' },
          });
          response.writeHead(200).end();
        })();
      });
    });
    await new Promise<void>((resolve) => hasty.listen(0, '127.0.0.1', () => resolve()));
    system.emulator.control.setWebhookUrl(`http://127.0.0.1:${(hasty.address() as AddressInfo).port}/webhook`);
    try {
      const seats = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 9);

      expect(await finished(subscriptionId, seats.id)).toMatchObject({
        status: 'Succeeded',
        errors: [{ at: expect.any(String), message: EARLY_PATCH_ERROR }],
      });
    } finally {
      system.emulator.control.setWebhookUrl(`${system.apiUrl}/webhook`);
      await new Promise<void>((resolve) => hasty.close(() => resolve()));
    }
  }, 60_000);
});
