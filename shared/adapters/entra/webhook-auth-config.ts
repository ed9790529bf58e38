import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { ConfigError } from '#shared/config.ts';
import { ENV } from '#shared/env-names.ts';
import type { EntraWebhookAuthenticatorOptions } from './entra-webhook-authenticator.ts';

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const schema = z.object({
  [ENV.webhookSharedSecretParameter]: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be a query parameter name (letters, digits, - and _)' })
      .optional(),
  ),
  [ENV.webhookSharedSecretValue]: optionalText.pipe(
    z.string().min(16, { message: 'must be at least 16 characters (a guessable secret adds nothing)' }).optional(),
  ),
});

/**
 * The webhook authenticator's settings: the publisher app and tenant (the tokens' `aud` and `tid`), the Entra
 * authority and extra CA from the marketplace client's configuration (one app serves both, reference §2.3, §3), and
 * the optional shared secret in the webhook URL (`WEBHOOK_SHARED_SECRET_PARAMETER` names the query parameter,
 * `WEBHOOK_SHARED_SECRET_VALUE` is its value; set both or neither).
 * @throws ConfigError for half a shared secret, a bad parameter name, a short secret or an unreadable CA file.
 */
export async function loadWebhookAuthConfig(
  marketplace: MarketplaceConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<EntraWebhookAuthenticatorOptions> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid webhook configuration: ${problems.join('; ')}`);
  }
  const parameter = parsed.data[ENV.webhookSharedSecretParameter];
  const value = parsed.data[ENV.webhookSharedSecretValue];
  if ((parameter === undefined) !== (value === undefined)) {
    throw new ConfigError(
      `Invalid webhook configuration: set both ${ENV.webhookSharedSecretParameter} and ` +
        `${ENV.webhookSharedSecretValue} (the webhook URL's ?<parameter>=<value>), or neither`,
    );
  }
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
    ...(parameter && value ? { sharedSecret: { parameter, value } } : {}),
  };
}
