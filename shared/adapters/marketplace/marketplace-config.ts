/**
 * Configuration of the marketplace client: the settings a function that talks to Microsoft adds to its own
 * (`functions/<fn>/config.ts`), so only those functions need these variables. Parsed once at cold start; tests pass a
 * plain object.
 */
import * as z from 'zod';
import { ConfigError, type Env, loadSettings, secret } from '#shared/config/load-settings.ts';
import { optional, required } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';
import { DEFAULT_MARKETPLACE_BASE_URL } from './marketplace-http-client.ts';

/** How the client proves its identity to Entra ID (reference/marketplace-api.md §3). */
export type EntraCredentialKind = 'secret' | 'certificate' | 'assertion';

/** Where the credential material is. Exactly one source per kind. */
export type EntraCredentialSource =
  /**
   * Client secret: from the environment (local mode only), an SSM Parameter Store SecureString (AWS, the stacks'
   * default) or Secrets Manager (AWS, the `secretStore=secretsManager` setting).
   */
  | {
      readonly kind: 'secret';
      readonly secret: { readonly value: string } | { readonly parameterName: string } | { readonly secretArn: string };
    }
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

const optionalUrl = (what: string) => optional().pipe(urlSchema(what).optional());

/** What the marketplace client reads from the environment; a function that talks to Microsoft spreads it in. */
export const MARKETPLACE_SETTINGS = {
  [ENV.marketplaceApiBaseUrl]: optionalUrl('the marketplace API'),
  [ENV.entraTenantId]: required('the Entra tenant id of the publisher app'),
  [ENV.entraClientId]: required('the Entra application (client) id of the publisher app'),
  [ENV.entraCredentialKind]: z.enum(['secret', 'certificate', 'assertion'], {
    error: (issue) =>
      issue.input === undefined
        ? 'is not set: it should hold how the app proves its identity to Entra (secret, certificate or assertion)'
        : 'must be one of secret, certificate, assertion',
  }),
  [ENV.entraClientSecret]: secret(optional()),
  [ENV.entraClientSecretArn]: optional(),
  [ENV.entraClientSecretParameter]: optional(),
  [ENV.entraCertificateSecretArn]: optional(),
  [ENV.entraCertificatePath]: optional(),
  [ENV.entraAssertionFile]: optional(),
  [ENV.entraAuthorityHost]: optional().pipe(
    z
      .string()
      .refine((value) => value.startsWith('https://'), {
        // openid-client refuses a non-HTTPS token endpoint; the emulator's fake Entra is HTTPS with a self-signed certificate.
        message: 'must be an https URL (Entra authorities are HTTPS only)',
      })
      .optional(),
  ),
  [ENV.entraCaCertPath]: optional(),
};

type MarketplaceSettings = z.output<z.ZodObject<typeof MARKETPLACE_SETTINGS>>;

/**
 * Reads the marketplace client's configuration.
 *
 * - `ENTRA_CREDENTIAL_KIND=secret`: `ENTRA_CLIENT_SECRET_PARAMETER` or `ENTRA_CLIENT_SECRET_ARN` (AWS) or
 *   `ENTRA_CLIENT_SECRET` (local only), one of them.
 * - `certificate`: `ENTRA_CERTIFICATE_SECRET_ARN` or `ENTRA_CERTIFICATE_PATH` (PEM with the private key), one of them.
 * - `assertion`: optionally `ENTRA_ASSERTION_FILE`; otherwise pass an `AssertionProvider` in code.
 * @throws ConfigError naming every missing, conflicting or invalid variable and what to set instead.
 */
export function loadMarketplaceConfig(env: Env = process.env): MarketplaceConfig {
  return marketplaceConfig(loadSettings(z.object(MARKETPLACE_SETTINGS), env, 'marketplace configuration'));
}

/**
 * The marketplace client's configuration out of parsed `MARKETPLACE_SETTINGS`.
 * @throws ConfigError for a credential kind without its source, or with two sources.
 */
export function marketplaceConfig(values: MarketplaceSettings): MarketplaceConfig {
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

function credentialSource(values: MarketplaceSettings): EntraCredentialSource {
  const kind = values[ENV.entraCredentialKind];
  const fail = (message: string): never => {
    throw new ConfigError(`Invalid marketplace configuration: ${message}`);
  };
  if (kind === 'secret') {
    const value = values[ENV.entraClientSecret];
    const parameterName = values[ENV.entraClientSecretParameter];
    const secretArn = values[ENV.entraClientSecretArn];
    const given = [
      parameterName && `${ENV.entraClientSecretParameter} (AWS)`,
      secretArn && `${ENV.entraClientSecretArn} (AWS)`,
      value && `${ENV.entraClientSecret} (local mode)`,
    ].filter(Boolean);
    if (given.length > 1) return fail(`set only one of ${given.join(', ')}`);
    if (parameterName) return { kind, secret: { parameterName } };
    if (secretArn) return { kind, secret: { secretArn } };
    if (value) return { kind, secret: { value } };
    return fail(
      `${ENV.entraCredentialKind}=secret needs ${ENV.entraClientSecretParameter} (the SSM SecureString parameter ` +
        `holding the client secret), ${ENV.entraClientSecretArn} (a Secrets Manager secret) or, locally, ` +
        `${ENV.entraClientSecret}`,
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
