import { ConfiguredCredentialInspector } from './credential-probes.ts';
import { type CredentialStateLogger, logCredentialState } from './credential-state-log.ts';
import { createMarketplaceCredential, type MarketplaceCredentialDeps } from './credentials.ts';
import { HttpMarketplace, type HttpMarketplaceOptions } from './http-marketplace.ts';
import type { MarketplaceConfig } from './marketplace-config.ts';

/** The credential's state is logged by the first marketplace client a process builds: one line per cold start. */
let credentialStateLogged = false;

/**
 * The production wiring: the credential from configuration, and an `HttpMarketplace` on the configured base URL that
 * trusts the same extra CA (locally, the emulator serves Entra and the API with one self-signed certificate).
 * Call once at cold start. The first call in a process also logs the credential's state when it needs attention
 * (`logCredentialState`: the stack's placeholder, expired, expiring within 30 days, no stored expiry); reading the
 * secret for it costs nothing extra, as the first token request finds it in the 5-minute secret cache.
 * @throws ConfigError (see `createMarketplaceCredential`).
 */
export async function createHttpMarketplace(
  config: MarketplaceConfig,
  deps: MarketplaceCredentialDeps &
    Omit<Partial<HttpMarketplaceOptions>, 'credential'> & {
      readonly credentialStateLogger?: CredentialStateLogger;
    } = {},
): Promise<HttpMarketplace> {
  const { readSecret, assertionProvider, credentialStateLogger, ...options } = deps;
  const credential = await createMarketplaceCredential(config, {
    ...(readSecret ? { readSecret } : {}),
    ...(assertionProvider ? { assertionProvider } : {}),
  });
  if (!credentialStateLogged) {
    credentialStateLogged = true;
    await logCredentialState(new ConfiguredCredentialInspector(config, readSecret ? { readSecret } : {}), {
      ...(credentialStateLogger ? { logger: credentialStateLogger } : {}),
    });
  }
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
