import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#shared/env-names.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { aTestWebhookSetup } from '#test/helpers/test-webhooks.ts';

type WebhookHandler = typeof import('#functions/fulfillment-webhook/handler.ts')['handler'];

describe('the webhook as deployed by default (no SMOKE_TEST_WEBHOOKS)', () => {
  let system: FunctionsWithEmulator;
  let webhook: WebhookHandler;

  beforeAll(async () => {
    delete process.env[ENV.smokeTestWebhooks];
    system = await startFunctionsWithEmulator();
    webhook = asDeclaredFunction(
      'FulfillmentWebhook',
      (await import('#functions/fulfillment-webhook/handler.ts')).handler,
    );
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('refuses (401) a test webhook that the same key would have made applied with the mode on', async () => {
    const test = await aTestWebhookSetup(system);
    await test.register();

    const response = await test.call(webhook, await test.token(), { action: 'ChangeQuantity', quantity: 2 });

    expect(response.statusCode).toBe(401);
    expect(await system.subscriptions.get(test.subscriptionId)).toMatchObject({ quantity: 1 });
    expect(await system.itemsOf(test.subscriptionId)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ sk: expect.stringMatching(/^OP#/) })]),
    );
  });
});
