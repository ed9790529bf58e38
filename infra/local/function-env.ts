import { randomBytes } from 'node:crypto';
import { LOCAL_PUBLISHER_ADMIN_OBJECT_ID, type MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import type { AwsEndpoints } from '#shared/adapters/aws-clients.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The environment that points the functions' AWS SDK clients at the local stand-ins (DynamoDB Local, fauxqs), as the
 * local mode, the tests and the benchmarks all need it. Local stand-ins accept any credentials.
 */
export function localAwsEnv(endpoints: AwsEndpoints, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
  };
}

/**
 * The environment of sign-in and sessions against the emulator's fake Entra: its sign-in app, its host (over HTTPS,
 * trusting the CA written to `caPath`), a session secret generated now (sessions end with the process, as a restart
 * of the local mode should), the publisher tenant's preset admin as the one publisher administrator, and the folder
 * of the portal's page assets.
 */
export function signInEnv(
  emulator: MarketplaceEmulator,
  caPath: string,
  portalAssetsDir: string,
): Record<string, string> {
  return {
    [ENV.signInClientId]: emulator.entra.signIn.clientId,
    [ENV.signInClientSecret]: emulator.entra.signIn.clientSecret,
    [ENV.signInAuthorityHost]: emulator.entra.authorityHost,
    [ENV.entraCaCertPath]: caPath,
    [ENV.sessionSecret]: randomBytes(48).toString('base64url'),
    [ENV.publisherAdminTenantId]: emulator.publisher.tenantId,
    [ENV.publisherAdminUsers]: LOCAL_PUBLISHER_ADMIN_OBJECT_ID,
    [ENV.portalAssetsDir]: portalAssetsDir,
  };
}

/** How long the local client secret is declared valid: Entra's longest (24 months), so it never nears expiry here. */
const LOCAL_SECRET_VALIDITY_MS = 730 * 86_400_000;

/**
 * The environment that points the functions' marketplace client at the emulator: its API base URL and the publisher
 * app it accepts, with a real client secret for its fake Entra (over HTTPS, trusting the CA written to `caPath`). The
 * secret is stored as in AWS, with its expiry (`{"clientSecret", "expiresOn"}`), so the health check and the canary
 * report it the same way.
 */
export function marketplaceClientEnv(emulator: MarketplaceEmulator, caPath: string): Record<string, string> {
  const expiresOn = new Date(Date.now() + LOCAL_SECRET_VALIDITY_MS).toISOString().slice(0, 10);
  return {
    [ENV.marketplaceApiBaseUrl]: emulator.baseUrl,
    [ENV.entraTenantId]: emulator.entra.tenantId,
    [ENV.entraClientId]: emulator.entra.clientId,
    [ENV.entraCredentialKind]: 'secret',
    [ENV.entraClientSecret]: JSON.stringify({ clientSecret: emulator.entra.clientSecret, expiresOn }),
    [ENV.entraAuthorityHost]: emulator.entra.authorityHost,
    [ENV.entraCaCertPath]: caPath,
  };
}
