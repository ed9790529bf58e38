import type { EntraCredentialFacts } from '#shared/domain/entra-credential.ts';

/** Where the credential material is kept, so a message can say where to put a new one. */
export interface CredentialLocation {
  /**
   * `parameterStore`: `name` is an SSM SecureString parameter's name; `secretsManager`: the secret's ARN;
   * `environment`: a variable (local mode); `file`: a path.
   */
  readonly store: 'parameterStore' | 'secretsManager' | 'environment' | 'file';
  readonly name: string;
}

/** The marketplace credential as far as it can be known without asking Entra. */
export interface EntraCredentialDescription extends EntraCredentialFacts {
  readonly kind: 'secret' | 'certificate' | 'assertion';
  readonly location: CredentialLocation;
}

/** Reads the credential's material (placeholder marker, stored expiry, certificate expiry). */
export interface EntraCredentialInspector {
  /** @throws Error when the material cannot be read (missing, no permission, unreadable). */
  describe(): Promise<EntraCredentialDescription>;
}

/** Asks Entra for a marketplace access token, as the marketplace client does, bypassing every cache. */
export interface MarketplaceTokenProbe {
  /** @throws Error (with Entra's reason) when no token is issued. */
  acquireToken(): Promise<{ readonly expiresOn: Date }>;
}

/** Opens the landing page the way a buyer's browser first does: no purchase token, no session. */
export interface LandingPageProbe {
  /** The HTTP status answered. @throws Error when nothing answers (DNS, connection, timeout). */
  open(): Promise<{ readonly status: number }>;
}
