import type { AccessToken, TokenCredential } from '@azure/identity';
import { MarketplaceTokenError } from '#shared/use-cases/ports/marketplace-errors.ts';

/** The marketplace API's Entra resource: v2 scope of app `20e940b3-…` (reference/marketplace-api.md §0, §3). */
export const MARKETPLACE_SCOPE = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default';

/** Refresh this long before `expiresOnTimestamp`, so a token never expires in flight (tokens last ~1 h, §3). */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;

export interface AccessTokenCacheOptions {
  readonly scope?: string;
  readonly refreshMarginMs?: number;
  /** Names the credential in error messages: `secret`, `certificate`, `assertion` or `custom`. */
  readonly credentialKind?: string;
  /** Tenant and app the credential is for, named in error messages. */
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly now?: () => number;
}

/**
 * Holds the marketplace access token and asks the credential for a new one only when it is within `refreshMarginMs`
 * of expiry (or past Entra's `refreshAfterTimestamp` hint): one cached string per process keeps every request cheap,
 * whatever the credential (the system's `EntraClientCredential` keeps no token itself; an `@azure/identity`
 * credential a publisher passes in would run its own cache lookup on every call). Concurrent callers share one in-flight refresh.
 */
export class AccessTokenCache {
  private readonly scope: string;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private current: AccessToken | undefined;
  private inFlight: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly options: AccessTokenCacheOptions = {},
  ) {
    this.scope = options.scope ?? MARKETPLACE_SCOPE;
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * A valid bearer token for the marketplace.
   * @throws MarketplaceTokenError when the credential fails and no unexpired token is at hand.
   */
  async token(operation = 'getToken'): Promise<string> {
    const current = this.current;
    const now = this.now();
    if (current && !this.isDue(current, now)) {
      return current.token;
    }
    try {
      return (await this.refresh(operation)).token;
    } catch (error) {
      // A refresh inside the margin failed but the old token is still valid: use it, the next call tries again.
      if (current && current.expiresOnTimestamp > this.now()) {
        return current.token;
      }
      throw error;
    }
  }

  private isDue(token: AccessToken, now: number): boolean {
    if (now >= token.expiresOnTimestamp - this.refreshMarginMs) {
      return true;
    }
    return token.refreshAfterTimestamp !== undefined && now >= token.refreshAfterTimestamp;
  }

  private refresh(operation: string): Promise<AccessToken> {
    this.inFlight ??= this.fetch(operation).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(operation: string): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      token = await this.credential.getToken(this.scope);
    } catch (error) {
      throw this.tokenError(operation, error);
    }
    if (!token) {
      throw this.tokenError(operation, new Error('the credential returned no token'));
    }
    this.current = token;
    return token;
  }

  private tokenError(operation: string, cause: unknown): MarketplaceTokenError {
    const kind = this.options.credentialKind ?? 'custom';
    const app =
      this.options.clientId || this.options.tenantId
        ? ` for app ${this.options.clientId ?? '?'} in tenant ${this.options.tenantId ?? '?'}`
        : '';
    const hint: Record<string, string> = {
      secret:
        'check the client secret (value, not its id; not expired; ENTRA_CLIENT_SECRET or the secret in Secrets Manager)',
      certificate:
        'check the certificate (PEM with the private key; uploaded to the app registration; not expired; ENTRA_CERTIFICATE_*)',
      assertion:
        'check the federated identity credential on the app registration (issuer, subject and audience ' +
        "'api://AzureADTokenExchange' must match the assertion) and that the assertion provider returns a fresh JWT",
      custom: 'check the credential passed to the marketplace client',
    };
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new MarketplaceTokenError(
      `Could not get a marketplace access token from Entra ID with the ${kind} credential${app} (scope ${this.scope}): ` +
        `${hint[kind] ?? hint.custom}, and the tenant id and client id. Cause: ${reason}`,
      { operation, credentialKind: kind },
      { cause },
    );
  }
}
