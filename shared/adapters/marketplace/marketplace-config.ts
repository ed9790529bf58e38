/**
 * Configuration of the marketplace client, separate from `shared/config.ts` so only functions that talk to Microsoft
 * need these variables. Parsed once at cold start; tests pass a plain object.
 */
import { z } from 'zod';
import { ConfigError } from '#shared/config.ts';
import { ENV } from '#shared/env-names.ts';
import { DEFAULT_MARKETPLACE_BASE_URL } from './marketplace-http-client.ts';

/** How the client proves its identity to Entra ID (reference/marketplace-api.md §3). */
export type EntraCredentialKind = 'secret' | 'certificate' | 'assertion';

/** Where the credential material is. Exactly one source per kind. */
export type EntraCredentialSource =
  /** Client secret: from the environment (local mode only) or from Secrets Manager (AWS). */
  | { readonly kind: 'secret'; readonly secret: { readonly value: string } | { readonly secretArn: string } }
  /** Client certificate: a PEM holding the certificate and its private key, in Secrets Manager or a file. */
  | {
      readonly kind: 'certificate';
      readonly certificate: { readonly secretArn: string } | { readonly path: string };
    }
  /**
   * Client assertion (workload identity federation): a JWT from an external issuer. With `assertionFile` it is read
   * from that file on every token request; otherwise an `AssertionProvider` must be passed to
   * `createMarketplaceCredential`.
   */
  | { readonly kind: 'assertion'; readonly assertionFile?: string };

export interface MarketplaceConfig {
  /** Fulfillment and Metering API base URL, `https://marketplaceapi.microsoft.com/api` unless set. */
  readonly baseUrl: string;
  readonly tenantId: string;
  /** The Entra application (client) id entered on the offer's Technical configuration page. */
  readonly clientId: string;
  readonly credential: EntraCredentialSource;
  /** Entra authority host, e.g. the emulator's fake Entra; Microsoft's public host when absent. */
  readonly authorityHost?: string;
  /** PEM file of an extra CA to trust for Entra and the API (the emulator's self-signed certificate). */
  readonly caCertificatePath?: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An absolute URL; plain http only for loopback (the emulator), never toward a real host with a bearer token. */
const urlSchema = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
        } catch {
          return false;
        }
      },
      { message: `must be an absolute https URL (http only for localhost) for ${what}` },
    );

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const schema = z.object({
  [ENV.marketplaceApiBaseUrl]: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .pipe(urlSchema('the marketplace API').optional()),
  [ENV.entraTenantId]: z.string({ error: 'is required: the Entra tenant id of the publisher app' }).trim().min(1),
  [ENV.entraClientId]: z
    .string({ error: 'is required: the Entra application (client) id of the publisher app' })
    .trim()
    .min(1),
  [ENV.entraCredentialKind]: z.enum(['secret', 'certificate', 'assertion'], {
    error: 'must be one of secret, certificate, assertion',
  }),
  [ENV.entraClientSecret]: optionalText,
  [ENV.entraClientSecretArn]: optionalText,
  [ENV.entraCertificateSecretArn]: optionalText,
  [ENV.entraCertificatePath]: optionalText,
  [ENV.entraAssertionFile]: optionalText,
  [ENV.entraAuthorityHost]: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .pipe(
      z
        .string()
        .refine((value) => value.startsWith('https://'), {
          // MSAL refuses a non-HTTPS authority; the emulator's fake Entra is HTTPS with a self-signed certificate.
          message: 'must be an https URL (Entra authorities are HTTPS only)',
        })
        .optional(),
    ),
  [ENV.entraCaCertPath]: optionalText,
});

/**
 * Reads the marketplace client's configuration.
 *
 * - `ENTRA_CREDENTIAL_KIND=secret`: `ENTRA_CLIENT_SECRET_ARN` (AWS) or `ENTRA_CLIENT_SECRET` (local only), one of them.
 * - `certificate`: `ENTRA_CERTIFICATE_SECRET_ARN` or `ENTRA_CERTIFICATE_PATH` (PEM with the private key), one of them.
 * - `assertion`: optionally `ENTRA_ASSERTION_FILE`; otherwise pass an `AssertionProvider` in code.
 * @throws ConfigError naming every missing, conflicting or invalid variable and what to set instead.
 */
export function loadMarketplaceConfig(env: Record<string, string | undefined> = process.env): MarketplaceConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid marketplace configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  const credential = credentialSource(values);
  return {
    baseUrl: values[ENV.marketplaceApiBaseUrl] ?? DEFAULT_MARKETPLACE_BASE_URL,
    tenantId: values[ENV.entraTenantId],
    clientId: values[ENV.entraClientId],
    credential,
    ...(values[ENV.entraAuthorityHost] ? { authorityHost: values[ENV.entraAuthorityHost] } : {}),
    ...(values[ENV.entraCaCertPath] ? { caCertificatePath: values[ENV.entraCaCertPath] } : {}),
  };
}

function credentialSource(values: z.output<typeof schema>): EntraCredentialSource {
  const kind = values[ENV.entraCredentialKind];
  const fail = (message: string): never => {
    throw new ConfigError(`Invalid marketplace configuration: ${message}`);
  };
  if (kind === 'secret') {
    const value = values[ENV.entraClientSecret];
    const secretArn = values[ENV.entraClientSecretArn];
    if (value && secretArn) {
      return fail(
        `set only one of ${ENV.entraClientSecretArn} (AWS) and ${ENV.entraClientSecret} (local mode), not both`,
      );
    }
    if (secretArn) return { kind, secret: { secretArn } };
    if (value) return { kind, secret: { value } };
    return fail(
      `${ENV.entraCredentialKind}=secret needs ${ENV.entraClientSecretArn} (the Secrets Manager secret holding the ` +
        `client secret) or, locally, ${ENV.entraClientSecret}`,
    );
  }
  if (kind === 'certificate') {
    const secretArn = values[ENV.entraCertificateSecretArn];
    const path = values[ENV.entraCertificatePath];
    if (secretArn && path) {
      return fail(`set only one of ${ENV.entraCertificateSecretArn} and ${ENV.entraCertificatePath}, not both`);
    }
    if (secretArn) return { kind, certificate: { secretArn } };
    if (path) return { kind, certificate: { path } };
    return fail(
      `${ENV.entraCredentialKind}=certificate needs ${ENV.entraCertificateSecretArn} (a Secrets Manager secret holding ` +
        `the PEM certificate and private key) or ${ENV.entraCertificatePath}`,
    );
  }
  const assertionFile = values[ENV.entraAssertionFile];
  return assertionFile ? { kind, assertionFile } : { kind };
}
