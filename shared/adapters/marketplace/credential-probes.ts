/**
 * The Entra credential as the health check and the canary see it: its stored state, a real token request, and the
 * landing page Microsoft sends buyers to.
 */
import type {
  EntraCredentialDescription,
  EntraCredentialInspector,
  LandingPageProbe,
  MarketplaceTokenProbe,
} from '#shared/use-cases/operations/ports/entra-credential-inspector.ts';
import { AccessTokenCache } from './access-token-cache.ts';
import {
  createMarketplaceCredential,
  describeMarketplaceCredential,
  type MarketplaceCredentialDeps,
} from './credentials.ts';
import type { MarketplaceConfig } from './marketplace-config.ts';

/** Reads the configured credential's material (through the same cached secret reader as the marketplace client). */
export class ConfiguredCredentialInspector implements EntraCredentialInspector {
  constructor(
    private readonly config: MarketplaceConfig,
    private readonly deps: Pick<MarketplaceCredentialDeps, 'readSecret' | 'readParameter' | 'countSecretVersions'> = {},
  ) {}

  describe(): Promise<EntraCredentialDescription> {
    return describeMarketplaceCredential(this.config, this.deps);
  }
}

/**
 * Asks Entra for a marketplace token the way `createHttpMarketplace` builds its credential, but with a new credential
 * every time and no token cache: a token kept for its hour would hide a secret revoked or expired in the meantime
 * from an hourly check.
 */
export class FreshCredentialTokenProbe implements MarketplaceTokenProbe {
  constructor(
    private readonly config: MarketplaceConfig,
    private readonly deps: MarketplaceCredentialDeps = {},
  ) {}

  /** @throws MarketplaceTokenError naming the credential, the app, the tenant and Entra's reason. */
  async acquireToken(): Promise<{ expiresOn: Date }> {
    const credential = await createMarketplaceCredential(this.config, this.deps);
    let expiresOn = new Date(0);
    const cache = new AccessTokenCache(
      {
        getToken: async (scopes, options) => {
          const token = await credential.credential.getToken(scopes, options);
          if (token) expiresOn = new Date(token.expiresOnTimestamp);
          return token;
        },
      },
      { credentialKind: credential.kind, tenantId: credential.tenantId, clientId: credential.clientId },
    );
    await cache.token('canary');
    return { expiresOn };
  }
}

/** How long the landing page may take to answer the canary: a buyer would not wait longer either. */
const LANDING_TIMEOUT_MS = 10_000;

/**
 * `GET <landing URL>` without a token or cookie, redirects not followed: the first answer is what is checked (the page
 * asks a signed-out buyer to sign in). The timeout also covers a server that accepts the connection and never answers.
 */
export class HttpLandingPageProbe implements LandingPageProbe {
  constructor(
    private readonly landingUrl: string,
    private readonly timeoutMs = LANDING_TIMEOUT_MS,
  ) {}

  /** @throws Error when nothing answers within the timeout (DNS, connection refused, hang). */
  async open(): Promise<{ status: number }> {
    const answer = await fetch(this.landingUrl, {
      redirect: 'manual',
      headers: { 'user-agent': 'marketplace-entra-canary' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await answer.body?.cancel();
    return { status: answer.status };
  }
}
