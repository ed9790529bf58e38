import { type CredentialStateLogger, logCredentialState } from './credential-state-log.ts';
import { createMarketplaceCredential, type MarketplaceCredentialDeps } from './credentials.ts';
import { HttpMarketplace, type HttpMarketplaceOptions } from './http-marketplace.ts';
import type { MarketplaceConfig } from './marketplace-config.ts';

/** The credential's state is logged once per process (a Lambda cold start), by the first client that reads it. */
let credentialStateLogged = false;

/**
 * The production wiring: the credential from configuration, and an `HttpMarketplace` on the configured base URL that
 * trusts the same extra CA (locally, the emulator serves Entra and the API with one self-signed certificate).
 * Call once at cold start.
 *
 * When the credential's material is first read (at once for a local value, on the first token request for a
 * parameter or secret), one line is logged if it needs attention (`logCredentialState`: the stack's placeholder, expired,
 * expiring within 30 days, no stored expiry), once per process, from the material just read: no extra secret read.
 * @throws ConfigError (see `createMarketplaceCredential`).
 */
export async function createHttpMarketplace(
  config: MarketplaceConfig,
  deps: MarketplaceCredentialDeps &
    Omit<Partial<HttpMarketplaceOptions>, 'credential'> & {
      readonly credentialStateLogger?: CredentialStateLogger;
    } = {},
): Promise<HttpMarketplace> {
  const { readSecret, readParameter, assertionProvider, onFirstRead, credentialStateLogger, ...options } = deps;
  const credential = await createMarketplaceCredential(config, {
    ...(readSecret ? { readSecret } : {}),
    ...(readParameter ? { readParameter } : {}),
    ...(assertionProvider ? { assertionProvider } : {}),
    onFirstRead: (description) => {
      onFirstRead?.(description);
      if (credentialStateLogged) return;
      credentialStateLogged = true;
      void logCredentialState(
        { describe: async () => description },
        credentialStateLogger ? { logger: credentialStateLogger } : {},
      );
    },
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
