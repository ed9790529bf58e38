import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_WEBHOOK_ALGORITHM } from '#shared/adapters/entra/test-webhook-authenticator.ts';
import { ENV } from '#shared/env-names.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { aTestWebhookSetup } from '#test/helpers/test-webhooks.ts';

type WebhookHandler = typeof import('#functions/fulfillment-webhook/handler.ts')['handler'];

describe('the webhook with smoke test webhooks on (SMOKE_TEST_WEBHOOKS=on)', () => {
  let system: FunctionsWithEmulator;
  let webhook: WebhookHandler;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator(undefined, { [ENV.smokeTestWebhooks]: 'on' });
    // As declared in infra/functions.ts: reading the test key needs no grant beyond the webhook's own.
    webhook = asDeclaredFunction(
      'FulfillmentWebhook',
      (await import('#functions/fulfillment-webhook/handler.ts')).handler,
    );
  });
  afterAll(async () => {
    delete process.env[ENV.smokeTestWebhooks];
    await system?.stop();
  });

  it("applies a test webhook signed with the key registered for its subscription, and the key's only", async () => {
    const test = await aTestWebhookSetup(system);
    await test.register();

    const response = await test.call(webhook, await test.token(), { action: 'ChangeQuantity', quantity: 2 });

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({ outcome: 'applied' });
    expect(await system.subscriptions.get(test.subscriptionId)).toMatchObject({ quantity: 2 });
    expect((await system.lifecycleEvents()).map((received) => received.event.type)).toContain('QuantityChanged');
  });

  it('refuses (401) a test token for a real subscription, which is left as it was', async () => {
    const test = await aTestWebhookSetup(system);
    await test.register();
    const real = aSubscription({ planId: 'basic' });
    await system.subscriptions.createIfAbsent(real);

    // The token names the test subscription, the payload the real one.
    const aboutReal = await test.call(webhook, await test.token(), { subscriptionId: real.id, action: 'Unsubscribe' });
    // The token names the real subscription: refused before any key is looked for.
    const naming = await test.call(webhook, await test.token({ sub: real.id }), {
      subscriptionId: real.id,
      action: 'Unsubscribe',
    });

    expect(aboutReal.statusCode).toBe(401);
    expect(naming.statusCode).toBe(401);
    expect((await system.subscriptions.get(real.id))?.status).toBe('Subscribed');
    expect((await system.itemsOf(real.id)).filter((item) => String(item.sk).startsWith('OP#'))).toEqual([]);
    // No key can be registered for a real subscription either.
    await expect(test.testSubscriptions.putWebhookKey(real.id, { kty: 'EC' }, new Date())).rejects.toThrow(
      'is not a test subscription id',
    );
    await expect(test.testSubscriptions.deleteAll(real.id)).rejects.toThrow('is not a test subscription id');
  });

  it('refuses (401) a token signed by another key, one whose key expired, and one for another audience', async () => {
    const test = await aTestWebhookSetup(system);
    const other = await generateKeyPair(TEST_WEBHOOK_ALGORITHM);
    await test.register();
    const byOtherKey = await test.call(webhook, await test.token({ key: other.privateKey }));
    const otherAudience = await test.call(webhook, await test.token({ audience: randomUUID() }));
    await test.register(new Date(Date.now() - 1_000));
    const afterExpiry = await test.call(webhook, await test.token());

    expect([byOtherKey.statusCode, otherAudience.statusCode, afterExpiry.statusCode]).toEqual([401, 401, 401]);
    expect((await system.subscriptions.get(test.subscriptionId))?.quantity).toBe(1);
  });

  it('deletes a test subscription with everything stored under it', async () => {
    const test = await aTestWebhookSetup(system);
    await test.register();
    await test.call(webhook, await test.token(), { action: 'Unsubscribe' });
    expect((await system.itemsOf(test.subscriptionId)).length).toBeGreaterThan(2);

    await test.testSubscriptions.deleteAll(test.subscriptionId);

    expect(await system.itemsOf(test.subscriptionId)).toEqual([]);
  });
});
