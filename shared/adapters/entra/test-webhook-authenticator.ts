import { decodeJwt, importJWK, type JWTPayload, jwtVerify } from 'jose';
import type { TestWebhookKeys } from '#shared/adapters/dynamodb/dynamo-test-subscriptions.ts';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { isTestSubscriptionId } from '#shared/domain/test-subscriptions.ts';
import type { WebhookAuthenticator, WebhookCaller } from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/** The `iss` of a smoke check's test webhook token: no Entra issuer looks like it. */
export const TEST_WEBHOOK_ISSUER = 'urn:marketplace-metering:smoke-test';

/** The only signature algorithm of test tokens (the smoke run's key pair is made for it). */
export const TEST_WEBHOOK_ALGORITHM = 'ES256';

/** A test token lives at most this long: the smoke run signs each call just before sending it. */
const MAX_TOKEN_AGE_SECONDS = 300;

export interface TestWebhookAuthenticatorOptions {
  /** The publisher app id: the test token's audience, as for Microsoft's tokens. */
  readonly appId: string;
  readonly tenantId: string;
  readonly keys: TestWebhookKeys;
  readonly clock?: Clock;
}

/**
 * The webhook's authenticator when the stack is deployed with `smokeTestWebhooks` (docs/security.md "Test
 * webhooks"). A token whose `iss` is `TEST_WEBHOOK_ISSUER` is a smoke check's: its `sub` must be a test subscription
 * id (shared/domain/test-subscriptions.ts), checked before anything is read, and it must verify (ES256 only, `aud` the
 * publisher app, at most 5 minutes old) against the public key the smoke run registered for that very subscription
 * (`TestWebhookKeys`). The caller is then that one test subscription (`testSubscriptionId`); the handler refuses a
 * body about any other. Every other token goes to the Entra authenticator unchanged.
 *
 * Without the setting this class is not built at all, and a test token meets only the Entra check, which refuses it
 * (its issuer and key are not the tenant's).
 */
export class TestWebhookAuthenticator implements WebhookAuthenticator {
  constructor(
    private readonly entra: WebhookAuthenticator,
    private readonly options: TestWebhookAuthenticatorOptions,
  ) {}

  async verify(
    authorization: string | undefined,
    query: Readonly<Record<string, string | undefined>>,
  ): Promise<WebhookCaller> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    const claims = token ? unverifiedClaims(token) : undefined;
    if (!token || claims?.iss !== TEST_WEBHOOK_ISSUER) return this.entra.verify(authorization, query);

    const subscriptionId = claims.sub;
    if (typeof subscriptionId !== 'string' || !isTestSubscriptionId(subscriptionId)) {
      throw new UnauthenticatedError('Test webhook token refused: its sub is not a test subscription id.');
    }
    const now = (this.options.clock ?? systemClock).now();
    const jwk = await this.options.keys.webhookKeyOf(subscriptionId, now);
    if (!jwk) {
      throw new UnauthenticatedError(`Test webhook token refused: no live test key for ${subscriptionId}.`);
    }
    try {
      const key = await importJWK({ ...jwk, alg: TEST_WEBHOOK_ALGORITHM }, TEST_WEBHOOK_ALGORITHM);
      await jwtVerify(token, key, {
        algorithms: [TEST_WEBHOOK_ALGORITHM],
        issuer: TEST_WEBHOOK_ISSUER,
        audience: this.options.appId,
        subject: subscriptionId,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        currentDate: now,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
    } catch (error) {
      throw new UnauthenticatedError(`Test webhook token refused: ${(error as Error).message}`, { cause: error });
    }
    return {
      tenantId: this.options.tenantId,
      appId: this.options.appId,
      tokenVersion: '2.0',
      testSubscriptionId: subscriptionId,
    };
  }
}

/** The claims of a token without checking it, only to tell a test token from Entra's; undefined when unreadable. */
function unverifiedClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}
