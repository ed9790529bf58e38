import { createMarketplaceCredential, type MarketplaceCredentialDeps } from './credentials.ts';
import { HttpMarketplace, type HttpMarketplaceOptions } from './http-marketplace.ts';
import type { MarketplaceConfig } from './marketplace-config.ts';

/**
 * The production wiring: the credential from configuration, and an `HttpMarketplace` on the configured base URL that
 * trusts the same extra CA (locally, the emulator serves Entra and the API with one self-signed certificate).
 * Call once at cold start.
 * @throws ConfigError (see `createMarketplaceCredential`).
 */
export async function createHttpMarketplace(
  config: MarketplaceConfig,
  deps: MarketplaceCredentialDeps & Omit<Partial<HttpMarketplaceOptions>, 'credential'> = {},
): Promise<HttpMarketplace> {
  const { readSecret, assertionProvider, ...options } = deps;
  const credential = await createMarketplaceCredential(config, {
    ...(readSecret ? { readSecret } : {}),
    ...(assertionProvider ? { assertionProvider } : {}),
  });
  return new HttpMarketplace({
    baseUrl: config.baseUrl,
    ...(credential.caCertificatePem ? { caCertificatePem: credential.caCertificatePem } : {}),
    ...options,
    credential: credential.credential,
    credentialKind: credential.kind,
    tenantId: credential.tenantId,
    clientId: credential.clientId,
  });
}
