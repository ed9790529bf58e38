/**
 * Settings of "Sign in with Microsoft" (landing page, portal) and of the session it opens (also read by the API,
 * which accepts the session cookie). A function spreads the groups it needs into its own settings.
 *
 * The sign-in uses its own Entra app registration, apart from the publisher app that calls the marketplace APIs:
 * Microsoft's SaaS guidance keeps the landing page's app multitenant (customers of any tenant sign in) and the
 * marketplace API app single-tenant, and a separate app lets either secret rotate without touching the other.
 */
import * as z from 'zod';
import { ConfigError, secret } from '#shared/config/load-settings.ts';
import { optional, required } from '#shared/config/settings.ts';
import type { PublisherAdmins } from '#shared/domain/access.ts';
import { ENV } from '#shared/env-names.ts';

/** Microsoft's public-cloud login host: its discovery documents carry the issuers openid-client knows as Entra's. */
export const MICROSOFT_LOGIN_HOST = 'https://login.microsoftonline.com';

/** An https origin (a trailing `/` is dropped), or http on the loopback address for the local mode. */
const PUBLIC_ORIGIN = /^(https:\/\/[^/]+|http:\/\/(localhost|127\.0\.0\.1)(:\d+)?)\/?$/;

const httpsUrl = (what: string) =>
  optional().pipe(
    z
      .string()
      .refine((value) => PUBLIC_ORIGIN.test(value), {
        message: `must be an https origin without a path (${what})`,
      })
      .transform((value) => value.replace(/\/$/, ''))
      .optional(),
  );

/**
 * The session secret as a value (local mode, tests; unset in AWS, where the key material is the table's `SESSION_KEY`
 * item), and the public origin when the API is served at a custom domain through CloudFront (set by the stateless
 * stack; unset, the request's `Host` is the origin).
 */
export const SESSION_SETTINGS = {
  [ENV.sessionSecret]: secret(optional()),
  [ENV.publicBaseUrl]: httpsUrl('the origin users reach the API at, e.g. https://marketplace.contoso.com'),
};

export const SIGN_IN_SETTINGS = {
  [ENV.signInClientId]: required('the application (client) id of the sign-in app registration'),
  [ENV.signInClientSecret]: secret(optional()),
  [ENV.signInClientSecretArn]: optional(),
  [ENV.signInClientSecretParameter]: optional(),
  [ENV.signInAuthority]: optional().pipe(
    z
      .enum(['organizations', 'common'], { message: 'must be organizations or common (a multitenant authority)' })
      .optional(),
  ),
  [ENV.signInAuthorityHost]: httpsUrl('Entra endpoints, e.g. the local fake Entra'),
  [ENV.entraCaCertPath]: optional(),
};

export const PUBLISHER_ADMIN_SETTINGS = {
  [ENV.publisherAdminTenantId]: optional(),
  [ENV.publisherAdminUsers]: optional(),
  [ENV.publisherAdminGroupId]: optional(),
};

/**
 * A secret given as a value (local mode), an SSM Parameter Store `SecureString` (AWS, the default store) or a
 * Secrets Manager secret (AWS, with the `secretStore=secretsManager` setting).
 */
export type SecretSource =
  | { readonly value: string }
  | { readonly parameterName: string }
  | { readonly secretArn: string };

/** Where the session key material comes from: a value (local mode, tests) or the table's `SESSION_KEY` item. */
export type SessionSecretSource = { readonly value: string } | { readonly tableName: string };

export interface SignInConfig {
  readonly clientId: string;
  readonly clientSecret: SecretSource;
  /** `organizations` or `common`. */
  readonly authority: 'organizations' | 'common';
  /** Where the authority's endpoints are reached; Microsoft's login host unless set. */
  readonly authorityHost?: string;
  /** PEM file of an extra CA to trust (the fake Entra's self-signed certificate). */
  readonly caCertificatePath?: string;
}

function secretSource(
  value: string | undefined,
  parameterName: string | undefined,
  secretArn: string | undefined,
  names: [string, string, string],
): SecretSource {
  const [valueName, parameterVar, arnName] = names;
  const given = [value && valueName, parameterName && parameterVar, secretArn && arnName].filter(Boolean);
  if (given.length > 1) {
    throw new ConfigError(`Invalid sign-in configuration: set only one of ${given.join(', ')}.`);
  }
  if (parameterName) return { parameterName };
  if (secretArn) return { secretArn };
  if (value) return { value };
  throw new ConfigError(
    `Invalid sign-in configuration: ${parameterVar} (the SSM parameter), ${arnName} (the Secrets Manager secret) or, ` +
      `locally, ${valueName} must be set.`,
  );
}

/**
 * The session secret's source: `SESSION_SECRET` when set, otherwise the function's table (`TABLE_NAME`).
 * @throws ConfigError when neither is set.
 */
export function sessionSecretSource(values: {
  readonly [ENV.sessionSecret]?: string | undefined;
  readonly [ENV.tableName]?: string | undefined;
}): SessionSecretSource {
  const value = values[ENV.sessionSecret];
  if (value) return { value };
  const tableName = values[ENV.tableName];
  if (tableName) return { tableName };
  throw new ConfigError(
    `Invalid session configuration: ${ENV.tableName} (the table holding the session key item) or, locally, ` +
      `${ENV.sessionSecret} must be set.`,
  );
}

/** @throws ConfigError when the client secret has no source or two. */
export function signInConfig(values: z.output<z.ZodObject<typeof SIGN_IN_SETTINGS>>): SignInConfig {
  return {
    clientId: values[ENV.signInClientId],
    clientSecret: secretSource(
      values[ENV.signInClientSecret],
      values[ENV.signInClientSecretParameter],
      values[ENV.signInClientSecretArn],
      [ENV.signInClientSecret, ENV.signInClientSecretParameter, ENV.signInClientSecretArn],
    ),
    authority: values[ENV.signInAuthority] ?? 'common',
    ...(values[ENV.signInAuthorityHost] ? { authorityHost: values[ENV.signInAuthorityHost] } : {}),
    ...(values[ENV.entraCaCertPath] ? { caCertificatePath: values[ENV.entraCaCertPath] } : {}),
  };
}

export function publisherAdmins(values: z.output<z.ZodObject<typeof PUBLISHER_ADMIN_SETTINGS>>): PublisherAdmins {
  const tenantId = values[ENV.publisherAdminTenantId];
  const groupId = values[ENV.publisherAdminGroupId];
  return {
    ...(tenantId ? { tenantId: tenantId.toLowerCase() } : {}),
    users: (values[ENV.publisherAdminUsers] ?? '')
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter(Boolean),
    ...(groupId ? { groupId: groupId.toLowerCase() } : {}),
  };
}
