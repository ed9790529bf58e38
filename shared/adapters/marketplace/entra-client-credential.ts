/**
 * Marketplace access tokens from Entra ID with the OAuth 2.0 client credentials grant (reference/marketplace-api.md
 * §3), sent and validated by openid-client, the library the portal's sign-in already uses.
 *
 * Why not `@azure/identity`'s `ClientSecretCredential` & co.: they run MSAL, about 330 KB of every function bundle
 * that calls Microsoft (public-client flows, managed-identity sources, a token cache, a JWT library and its semver),
 * which kept those bundles over the 1 MB budget (issue 14). All the marketplace needs is one grant whose token
 * `AccessTokenCache` keeps for the process. The class implements `@azure/identity`'s `TokenCredential` interface, so
 * a publisher can still hand the marketplace client any `@azure/identity` credential instead (docs/fulfillment.md).
 *
 * Client authentication, as Entra documents it:
 * - `secret`: `client_secret` in the body (client_secret_post);
 * - `certificate`: a JWT signed with the certificate's private key (private_key_jwt, RS256), with the certificate's
 *   SHA-1 and SHA-256 thumbprints in `x5t` / `x5t#S256` and the token endpoint as `aud`, as Entra's "certificate
 *   credentials" page asks;
 * - `assertion`: a JWT minted elsewhere (workload identity federation) sent as `client_assertion`.
 */
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/identity';
import * as oidc from 'openid-client';
import { httpsFetch } from '#shared/adapters/entra/https-fetch.ts';
import { trustedCas } from './trusted-certificates.ts';

/** Microsoft's public-cloud login host: the authority unless `authorityHost` names another (the local fake Entra). */
export const ENTRA_PUBLIC_AUTHORITY_HOST = 'https://login.microsoftonline.com';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The WebCrypto private key type openid-client signs client assertions with. */
type SigningKey = Extract<Parameters<typeof oidc.PrivateKeyJwt>[0], { type: string }>;

/** How the app proves who it is to Entra. */
export type EntraClientAuthentication =
  | { readonly kind: 'secret'; readonly secret: string }
  /** A PEM holding the certificate and its unencrypted private key (as uploaded to the app registration). */
  | { readonly kind: 'certificate'; readonly pem: string }
  /** Called for every token request: return a fresh, unexpired JWT. */
  | { readonly kind: 'assertion'; readonly assertion: () => Promise<string> };

export interface EntraClientCredentialOptions {
  /** Default: Microsoft's public cloud. */
  readonly authorityHost?: string;
  /** An extra CA to trust besides Node's roots (the local fake Entra's self-signed certificate). */
  readonly caCertificatePem?: string;
  readonly now?: () => number;
}

/** A client credentials grant against one tenant's v2.0 token endpoint. */
export class EntraClientCredential implements TokenCredential {
  private readonly tokenEndpoint: string;
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly now: () => number;

  constructor(
    tenantId: string,
    private readonly clientId: string,
    private readonly authentication: EntraClientAuthentication,
    private readonly options: EntraClientCredentialOptions = {},
  ) {
    const authorityHost = (options.authorityHost ?? ENTRA_PUBLIC_AUTHORITY_HOST).replace(/\/+$/, '');
    this.tokenEndpoint = `${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    this.now = options.now ?? Date.now;
  }

  /**
   * @throws EntraTokenRequestError when Entra refuses the request (its `AADSTS…` description is in the message);
   *   Error when Entra cannot be reached or its answer is not a token.
   */
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const configuration = await this.configured();
    const parameters: Record<string, string> = { scope: [scopes].flat().join(' ') };
    if (this.authentication.kind === 'assertion') {
      parameters.client_assertion_type = JWT_BEARER;
      parameters.client_assertion = await this.authentication.assertion();
    }
    const requestedAt = this.now();
    let response: Awaited<ReturnType<typeof oidc.clientCredentialsGrant>>;
    try {
      response = await oidc.clientCredentialsGrant(configuration, parameters);
    } catch (error) {
      throw error instanceof oidc.ResponseBodyError ? new EntraTokenRequestError(error) : error;
    }
    const expiresIn = response.expiresIn();
    if (expiresIn === undefined) {
      throw new Error(`Entra's token answer from ${this.tokenEndpoint} has no expires_in`);
    }
    // Counted from when the request left, so the token is never thought to live longer than it does.
    return { token: response.access_token, expiresOnTimestamp: requestedAt + expiresIn * 1000, tokenType: 'Bearer' };
  }

  /** The server and client description, built once (the certificate's key is imported once). */
  private configured(): Promise<oidc.Configuration> {
    this.configuration ??= this.configure().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  private async configure(): Promise<oidc.Configuration> {
    const server: oidc.ServerMetadata = {
      // Entra's v2.0 issuer name; only used by openid-client for ID tokens, which this grant does not return.
      issuer: this.tokenEndpoint.replace(/oauth2\/v2\.0\/token$/, 'v2.0'),
      token_endpoint: this.tokenEndpoint,
    };
    const configuration = new oidc.Configuration(server, this.clientId, {}, await this.clientAuth());
    if (this.options.caCertificatePem) {
      configuration[oidc.customFetch] = httpsFetch(trustedCas(this.options.caCertificatePem));
    }
    return configuration;
  }

  private async clientAuth(): Promise<oidc.ClientAuth> {
    const authentication = this.authentication;
    switch (authentication.kind) {
      case 'secret':
        return oidc.ClientSecretPost(authentication.secret);
      case 'assertion':
        // The assertion is a request parameter (getToken); the grant itself only names the client.
        return oidc.None();
      case 'certificate': {
        const { key, sha1Thumbprint, sha256Thumbprint } = await certificateKey(authentication.pem);
        return oidc.PrivateKeyJwt(key, {
          [oidc.modifyAssertion]: (header, payload) => {
            header.x5t = sha1Thumbprint;
            header['x5t#S256'] = sha256Thumbprint;
            // Entra wants its token endpoint as the audience, not its issuer name.
            payload.aud = this.tokenEndpoint;
          },
        });
      }
    }
  }
}

/** Entra refused the token request: its `error` and `AADSTS…` description, which name what to fix. */
export class EntraTokenRequestError extends Error {
  readonly status: number;
  readonly error: string;

  constructor(cause: oidc.ResponseBodyError) {
    super(`Entra answered ${cause.status} ${cause.error}: ${cause.error_description ?? '(no description)'}`, {
      cause,
    });
    this.name = new.target.name;
    this.status = cause.status;
    this.error = cause.error;
  }
}

/**
 * The RSA private key of a certificate PEM, as a WebCrypto key for RS256, with the certificate's thumbprints.
 * @throws Error when the PEM has no certificate, no private key, or a key that is not RSA.
 */
async function certificateKey(
  pem: string,
): Promise<{ key: SigningKey; sha1Thumbprint: string; sha256Thumbprint: string }> {
  let certificate: X509Certificate;
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    certificate = new X509Certificate(pem);
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new Error(
      'The Entra certificate PEM must hold the certificate and its unencrypted private key ' +
        `(${(cause as Error).message})`,
      { cause },
    );
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new Error(`The Entra certificate's key is ${privateKey.asymmetricKeyType}: Entra signs in with RSA keys`);
  }
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const thumbprint = (hexWithColons: string) =>
    Buffer.from(hexWithColons.replaceAll(':', ''), 'hex').toString('base64url');
  return {
    key: key as SigningKey,
    sha1Thumbprint: thumbprint(certificate.fingerprint),
    sha256Thumbprint: thumbprint(certificate.fingerprint256),
  };
}
