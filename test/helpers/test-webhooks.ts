import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type CryptoKey, exportJWK, generateKeyPair, type KeyObject, SignJWT } from 'jose';
import { DynamoTestSubscriptions } from '#shared/adapters/dynamodb/dynamo-test-subscriptions.ts';
import { TEST_WEBHOOK_ALGORITHM, TEST_WEBHOOK_ISSUER } from '#shared/adapters/entra/test-webhook-authenticator.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { TEST_SUBSCRIPTION_PREFIX } from '#shared/domain/test-subscriptions.ts';
import { ENV } from '#shared/env-names.ts';
import type { FunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type WebhookHandler = typeof import('#functions/fulfillment-webhook/handler.ts')['handler'];

/**
 * What `npm run smoke` does for a test webhook (infra/tools/smoke-test-webhook.ts), in pieces a test can vary: a test
 * subscription stored as the smoke tool stores it, a key pair with its public half registered for it, and webhook
 * calls signed with any key, for any subscription.
 */
export async function aTestWebhookSetup(system: FunctionsWithEmulator) {
  const tableName = process.env[ENV.tableName] ?? '';
  const testSubscriptions = new DynamoTestSubscriptions(localClients().documentClient, tableName);
  const subscriptionId = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
  const keys = await generateKeyPair(TEST_WEBHOOK_ALGORITHM, { extractable: true });
  const subscription: Subscription = {
    id: subscriptionId,
    offerId: 'contoso-analytics',
    planId: 'basic',
    status: 'Subscribed',
    quantity: 1,
    isFreeTrial: false,
    beneficiary: { tenantId: 'smoke' },
    purchaser: { tenantId: 'smoke' },
    timeline: [
      { from: new Date(Date.now() - 60_000).toISOString(), status: 'Subscribed', planId: 'basic', quantity: 1 },
    ],
  };
  await system.subscriptions.createIfAbsent(subscription);
  const register = async (expiresAt = new Date(Date.now() + 600_000), publicKey = keys.publicKey) =>
    testSubscriptions.putWebhookKey(subscriptionId, await exportJWK(publicKey), expiresAt);
  const token = (options: { sub?: string; key?: CryptoKey | KeyObject; audience?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: TEST_WEBHOOK_ALGORITHM })
      .setIssuer(TEST_WEBHOOK_ISSUER)
      .setSubject(options.sub ?? subscriptionId)
      .setAudience(options.audience ?? process.env[ENV.entraClientId] ?? '')
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(options.key ?? keys.privateKey);
  const call = async (
    webhook: WebhookHandler,
    bearer: string,
    payload: { subscriptionId?: string; action?: string; quantity?: number } = {},
  ) => {
    const event = httpEvent('POST', '/webhook', {
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    });
    event.body = JSON.stringify({
      id: randomUUID(),
      subscriptionId,
      action: 'ChangeQuantity',
      quantity: 2,
      status: 'Succeeded',
      timeStamp: new Date().toISOString(),
      ...payload,
    });
    return (await webhook(event, aLambdaContext('FulfillmentWebhook'))) as APIGatewayProxyStructuredResultV2;
  };
  return { subscriptionId, subscription, testSubscriptions, register, token, call };
}
