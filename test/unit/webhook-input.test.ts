import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { webhookSchema } from '#functions/fulfillment-webhook/schema.ts';
import { tokenFromForm, tokenFromQuery } from '#functions/landing/schema.ts';
import {
  WEBHOOK_AUTH_SETTINGS,
  webhookAuthenticatorOptions,
  webhookSharedSecret,
} from '#shared/adapters/entra/webhook-auth-config.ts';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { ConfigError, type Env, loadSettings } from '#shared/config/load-settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { httpEvent } from '#test/helpers/http-event.ts';

describe('the webhook payload schema (lenient, §2.1 and §6.11)', () => {
  it('trims padded values, reads a quantity sent as a string, and ignores fields it does not know', () => {
    const parsed = webhookSchema.parse({
      id: ' op-1 ',
      subscriptionId: 'sub-1',
      action: 'changequantity',
      status: ' InProgress ',
      quantity: '10',
      somethingNew: { nested: true },
      subscription: { saasSubscriptionStatus: ' Subscribed ' },
    });

    expect(parsed).toEqual({
      operationId: 'op-1',
      subscriptionId: 'sub-1',
      action: 'ChangeQuantity',
      status: 'InProgress',
      quantity: 10,
    });
  });

  it('accepts a minimal payload and treats empty or null quantities as absent', () => {
    expect(webhookSchema.parse({ id: 'op', subscriptionId: 's', action: 'Renew', quantity: '' })).toEqual({
      operationId: 'op',
      subscriptionId: 's',
      action: 'Renew',
    });
    expect(
      webhookSchema.parse({ id: 'op', subscriptionId: 's', action: 'Renew', quantity: null }).quantity,
    ).toBeUndefined();
  });

  it('accepts Subscribe (auto-activation) and keeps an action or status it does not know, raw', () => {
    expect(webhookSchema.parse({ id: 'op', subscriptionId: 's', action: 'subscribe', status: 'Succeeded' })).toEqual({
      operationId: 'op',
      subscriptionId: 's',
      action: 'Subscribe',
      status: 'Succeeded',
    });
    expect(
      webhookSchema.parse({ id: 'op', subscriptionId: 's', action: ' Transfer ', status: 'Queued' }),
    ).toMatchObject({
      action: 'Transfer',
      status: 'Queued',
    });
  });

  it.each([['id'], ['subscriptionId'], ['planId'], ['offerId'], ['activityId'], ['action']])(
    'refuses a %s longer than 256 characters, and accepts one of 256',
    (field) => {
      const payload = (value: string) => ({ id: 'op', subscriptionId: 's', action: 'Suspend', [field]: value });

      const refused = webhookSchema.safeParse(payload('x'.repeat(257)));

      expect(refused.success).toBe(false);
      expect(refused.error?.issues[0]?.message).toContain('is 257 characters long; at most 256 are accepted');
      expect(webhookSchema.safeParse(payload(field === 'action' ? 'Suspend' : 'x'.repeat(256))).success).toBe(true);
    },
  );

  it.each([['id'], ['subscriptionId'], ['action']])('requires %s', (field) => {
    const payload: Record<string, unknown> = { id: 'op', subscriptionId: 's', action: 'Suspend' };
    delete payload[field];

    expect(webhookSchema.safeParse(payload).success).toBe(false);
  });
});

describe('the landing token, decoded exactly once', () => {
  it('takes the query parameter as API Gateway decoded it, keeping a literal %2B', () => {
    const event = httpEvent('GET', `/landing?token=${encodeURIComponent('ab+cd/ef%2Bgh==')}`);

    expect(tokenFromQuery(event)).toBe('ab+cd/ef%2Bgh==');
  });

  it('reads the form field from a plain or base64 body', () => {
    const form = new URLSearchParams({ token: 'ab+cd/ef%2Bgh==' }).toString();
    const plain = httpEvent('POST', '/landing', { body: form });
    const base64 = { ...plain, body: Buffer.from(form).toString('base64'), isBase64Encoded: true };

    expect(tokenFromForm(plain)).toBe('ab+cd/ef%2Bgh==');
    expect(tokenFromForm(base64)).toBe('ab+cd/ef%2Bgh==');
  });

  it('refuses an absurdly long token or form', () => {
    expect(() => tokenFromQuery(httpEvent('GET', `/landing?token=${'a'.repeat(9000)}`))).toThrow(ValidationError);
    expect(() => tokenFromForm(httpEvent('POST', '/landing', { body: `token=${'a'.repeat(20_000)}` }))).toThrow(
      ValidationError,
    );
  });
});

describe('the webhook authenticator configuration', () => {
  const marketplace: MarketplaceConfig = {
    baseUrl: 'https://marketplaceapi.microsoft.com/api',
    tenantId: 'tenant',
    clientId: 'app',
    credential: { kind: 'secret', secret: { value: 'x' } },
  };

  /** What the webhook's cold start does with these settings (functions/fulfillment-webhook/config.ts, dependencies.ts). */
  const loadWebhookAuthConfig = async (marketplaceConfig: MarketplaceConfig, env: Env) =>
    webhookAuthenticatorOptions(
      marketplaceConfig,
      webhookSharedSecret(loadSettings(z.object(WEBHOOK_AUTH_SETTINGS), env, 'webhook configuration')),
    );

  it('takes the tenant and app of the marketplace client, with no shared secret by default', async () => {
    await expect(loadWebhookAuthConfig(marketplace, {})).resolves.toEqual({ tenantId: 'tenant', appId: 'app' });
  });

  it('adds the shared secret when both its parameter and value are set', async () => {
    const config = await loadWebhookAuthConfig(marketplace, {
      WEBHOOK_SHARED_SECRET_PARAMETER: 'sig',
      WEBHOOK_SHARED_SECRET_VALUE: '0123456789abcdef0123',
    });

    expect(config.sharedSecret).toEqual({ parameter: 'sig', value: '0123456789abcdef0123' });
  });

  it.each([
    [{ WEBHOOK_SHARED_SECRET_PARAMETER: 'sig' }],
    [{ WEBHOOK_SHARED_SECRET_VALUE: '0123456789abcdef0123' }],
    [{ WEBHOOK_SHARED_SECRET_PARAMETER: 'sig', WEBHOOK_SHARED_SECRET_VALUE: 'short' }],
    [{ WEBHOOK_SHARED_SECRET_PARAMETER: 'a b', WEBHOOK_SHARED_SECRET_VALUE: '0123456789abcdef0123' }],
  ])('refuses %o', async (env) => {
    await expect(loadWebhookAuthConfig(marketplace, env)).rejects.toThrow(ConfigError);
  });

  it('names a bad shared secret without quoting it, so it never reaches a log', async () => {
    await expect(
      loadWebhookAuthConfig(marketplace, {
        WEBHOOK_SHARED_SECRET_PARAMETER: 'sig',
        WEBHOOK_SHARED_SECRET_VALUE: 'short',
      }),
    ).rejects.toThrow(
      /^Invalid webhook configuration: WEBHOOK_SHARED_SECRET_VALUE must be at least 16 characters[^"]*$/,
    );
  });

  it('refuses a CA file it cannot read', async () => {
    await expect(
      loadWebhookAuthConfig({ ...marketplace, caCertificatePath: '/nonexistent/ca.pem' }, {}),
    ).rejects.toThrow(ConfigError);
  });
});
