import { ClientSecretCredential } from '@azure/identity';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { HttpMarketplace } from '#shared/adapters/marketplace/http-marketplace.ts';
import { trustedCas } from '#shared/adapters/marketplace/trusted-certificates.ts';

export const quietLogger = { info: () => undefined, warn: () => undefined };

/**
 * `@azure/identity`'s own `ClientSecretCredential` for the emulator's fake Entra (HTTPS with a self-signed
 * certificate: trusted for this credential only, and no instance discovery, which would ask Microsoft's public host).
 * The system builds its credentials with openid-client (entra-client-credential.ts); the tests that use this one show
 * that the marketplace client takes any `@azure/identity` credential a publisher hands it, and that the emulator
 * answers MSAL as Entra does.
 */
export function emulatorCredential(
  emulator: MarketplaceEmulator,
  app: { tenantId: string; clientId: string; clientSecret: string } = emulator.entra,
): ClientSecretCredential {
  return new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret, {
    authorityHost: emulator.entra.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: trustedCas(emulator.entra.caCertificatePem) },
  });
}

/** The project's marketplace client pointed at the emulator, with a real token; override anything (e.g. `retry`). */
export function emulatorMarketplace(
  emulator: MarketplaceEmulator,
  overrides: Partial<ConstructorParameters<typeof HttpMarketplace>[0]> = {},
): HttpMarketplace {
  return new HttpMarketplace({
    baseUrl: emulator.baseUrl,
    credential: emulatorCredential(emulator),
    credentialKind: 'secret',
    tenantId: emulator.entra.tenantId,
    clientId: emulator.entra.clientId,
    logger: quietLogger,
    ...overrides,
  });
}
