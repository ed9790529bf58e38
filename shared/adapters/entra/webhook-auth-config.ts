import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { ConfigError, secret } from '#shared/config/load-settings.ts';
import { optional } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';
import type { EntraWebhookAuthenticatorOptions } from './entra-webhook-authenticator.ts';

/**
 * The optional shared secret in the webhook URL (reference §2.3, defence in depth beside the JWT):
 * `WEBHOOK_SHARED_SECRET_PARAMETER` names the query parameter, `WEBHOOK_SHARED_SECRET_VALUE` is its value; set both
 * or neither. The webhook function spreads these into its settings.
 */
export const WEBHOOK_AUTH_SETTINGS = {
  [ENV.smokeTestWebhooks]: optional().pipe(
    z.enum(['on', 'off'], { message: 'must be on or off (absent: off)' }).optional(),
  ),
  [ENV.webhookSharedSecretParameter]: optional().pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be a query parameter name (letters, digits, - and _)' })
      .optional(),
  ),
  [ENV.webhookSharedSecretValue]: secret(
    optional().pipe(
      z.string().min(16, { message: 'must be at least 16 characters (a guessable secret adds nothing)' }).optional(),
    ),
  ),
};

/** Whether the webhook also accepts the smoke check's test webhooks (`SMOKE_TEST_WEBHOOKS=on`); off when absent. */
export function smokeTestWebhooksOn(values: z.output<z.ZodObject<typeof WEBHOOK_AUTH_SETTINGS>>): boolean {
  return values[ENV.smokeTestWebhooks] === 'on';
}

/** The webhook URL's `?<parameter>=<value>`. */
export interface WebhookSharedSecret {
  readonly parameter: string;
  readonly value: string;
}

/**
 * The shared secret out of parsed `WEBHOOK_AUTH_SETTINGS`, or `undefined` when none is configured.
 * @throws ConfigError for half a shared secret.
 */
export function webhookSharedSecret(
  values: z.output<z.ZodObject<typeof WEBHOOK_AUTH_SETTINGS>>,
): WebhookSharedSecret | undefined {
  const parameter = values[ENV.webhookSharedSecretParameter];
  const value = values[ENV.webhookSharedSecretValue];
  if ((parameter === undefined) !== (value === undefined)) {
    throw new ConfigError(
      `Invalid webhook configuration: set both ${ENV.webhookSharedSecretParameter} and ` +
        `${ENV.webhookSharedSecretValue} (the webhook URL's ?<parameter>=<value>), or neither`,
    );
  }
  return parameter && value ? { parameter, value } : undefined;
}

/**
 * The webhook authenticator's settings: the publisher app and tenant (the tokens' `aud` and `tid`), the Entra
 * authority and extra CA from the marketplace client's configuration (one app serves both, reference §2.3, §3), and
 * the optional shared secret.
 * @throws ConfigError when the CA file cannot be read.
 */
export async function webhookAuthenticatorOptions(
  marketplace: MarketplaceConfig,
  sharedSecret: WebhookSharedSecret | undefined,
): Promise<EntraWebhookAuthenticatorOptions> {
  let caCertificatePem: string | undefined;
  if (marketplace.caCertificatePath) {
    try {
      caCertificatePem = await readFile(marketplace.caCertificatePath, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Invalid webhook configuration: ${ENV.entraCaCertPath} (${marketplace.caCertificatePath}) cannot be read: ${
          (error as Error).message
        }`,
      );
    }
  }
  return {
    tenantId: marketplace.tenantId,
    appId: marketplace.clientId,
    ...(marketplace.authorityHost ? { authorityHost: marketplace.authorityHost } : {}),
    ...(caCertificatePem ? { caCertificatePem } : {}),
    ...(sharedSecret ? { sharedSecret } : {}),
  };
}
