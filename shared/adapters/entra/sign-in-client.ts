/**
 * "Sign in with Microsoft" with openid-client: OpenID Connect authorization code flow with PKCE against a
 * multitenant Entra authority. openid-client does all of the protocol and token work (discovery, the authorization
 * URL, state / nonce / PKCE checks, the code exchange, the id token's signature, audience, lifetime and issuer);
 * this module only wires it to our settings.
 *
 * Multitenant issuers: the `organizations` discovery document names the issuer `…/{tenantid}/v2.0`, and each id token
 * carries its user's tenant. openid-client recognises Entra by the authority's origin and then expects the issuer
 * with the token's own `tid` put in (as Microsoft requires of multitenant apps). So the authority is always named by
 * Microsoft's login host; `authorityHost` only changes where its documents are fetched from (the local fake Entra),
 * and the fake issues Microsoft's issuer names, so the local flow runs the exact checks production runs.
 */
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { httpsFetch } from './https-fetch.ts';
import { MICROSOFT_LOGIN_HOST, type SignInConfig } from './sign-in-config.ts';

/** The user as the id token names them. */
export interface SignedInIdentity {
  readonly tenantId: string;
  readonly objectId: string;
  readonly name?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
}

/** What the callback must be checked against (kept in the sign-in cookie between the two requests). */
export interface SignInChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface SignInClient {
  /** The URL of Microsoft's sign-in page for a new attempt, with the checks its callback must pass. */
  start(redirectUri: string): Promise<{ url: string; checks: SignInChecks }>;
  /**
   * Redeems the callback's code and validates the id token.
   * @throws UnauthenticatedError when the callback is an error, does not match the checks, or its token is not valid.
   */
  finish(callbackUrl: URL, checks: SignInChecks): Promise<SignedInIdentity>;
}

/**
 * @param clientSecret the sign-in app's client secret (read from Secrets Manager or the environment by the caller).
 */
export function createSignInClient(config: SignInConfig, clientSecret: string): SignInClient {
  const server = new URL(`${MICROSOFT_LOGIN_HOST}/${config.authority}/v2.0`);
  const fetcher = config.authorityHost
    ? redirectingFetch(
        config.authorityHost,
        config.caCertificatePath ? readFileSync(config.caCertificatePath, 'utf8') : undefined,
      )
    : undefined;
  let configuration: Promise<oidc.Configuration> | undefined;
  // Discovered once per cold start; a failed discovery is tried again by the next sign-in.
  const discovered = () => {
    configuration ??= oidc
      .discovery(
        server,
        config.clientId,
        { client_secret: clientSecret },
        oidc.ClientSecretPost(clientSecret),
        fetcher ? { [oidc.customFetch]: fetcher } : undefined,
      )
      .catch((error: unknown) => {
        configuration = undefined;
        throw error;
      });
    return configuration;
  };

  return {
    async start(redirectUri) {
      const checks = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
      };
      const url = oidc.buildAuthorizationUrl(await discovered(), {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        response_type: 'code',
        response_mode: 'query',
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
        // Let the user pick the account: one browser often holds a work account and a customer's admin account.
        prompt: 'select_account',
      });
      return { url: url.href, checks };
    },

    async finish(callbackUrl, checks) {
      const error = callbackUrl.searchParams.get('error');
      if (error) {
        throw new UnauthenticatedError(
          `Microsoft did not sign you in (${error}: ${callbackUrl.searchParams.get('error_description') ?? 'no description'}).`,
        );
      }
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(await discovered(), callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
      } catch (cause) {
        if (cause instanceof oidc.ResponseBodyError || cause instanceof oidc.AuthorizationResponseError) {
          throw new UnauthenticatedError(`Microsoft refused the sign-in (${cause.error}): please sign in again.`, {
            cause,
          });
        }
        if (cause instanceof oidc.ClientError) {
          throw new UnauthenticatedError(
            `The sign-in response was not valid (${cause.message}): please sign in again.`,
            {
              cause,
            },
          );
        }
        throw cause;
      }
      const claims = tokens.claims();
      const tenantId = typeof claims?.tid === 'string' ? claims.tid : undefined;
      const objectId = typeof claims?.oid === 'string' ? claims.oid : undefined;
      if (!tenantId || !objectId) {
        throw new UnauthenticatedError('The id token names no tenant (tid) or user (oid): please sign in again.');
      }
      const email =
        typeof claims?.email === 'string'
          ? claims.email
          : typeof claims?.preferred_username === 'string'
            ? claims.preferred_username
            : undefined;
      const groups = Array.isArray(claims?.groups)
        ? claims.groups.filter((group): group is string => typeof group === 'string')
        : undefined;
      return {
        tenantId,
        objectId,
        ...(typeof claims?.name === 'string' ? { name: claims.name } : {}),
        ...(email ? { email } : {}),
        ...(groups?.length ? { groups } : {}),
      };
    },
  };
}

/**
 * A sign-in client built on its first use, from a client secret read then: pages of signed-in users (most requests)
 * never wait for the secret store, and a secret store that cannot be read fails the sign-in that needed it (with its
 * error) instead of the function's start, which would fail every page. A failed build is not kept: the next sign-in
 * tries again, so a secret put after the start is picked up without a redeploy.
 */
export function lazySignInClient(build: () => Promise<SignInClient>): SignInClient {
  let client: Promise<SignInClient> | undefined;
  const built = () => {
    client ??= build().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  return {
    start: async (redirectUri) => (await built()).start(redirectUri),
    finish: async (callbackUrl, checks) => (await built()).finish(callbackUrl, checks),
  };
}

/**
 * A `fetch` for openid-client that sends requests for Microsoft's login host to `authorityHost` instead (the other
 * URLs of the discovery document already point there), trusting `ca` when given. Used only when
 * `SIGN_IN_AUTHORITY_HOST` is set, i.e. against the local fake Entra.
 */
function redirectingFetch(authorityHost: string, ca: string | undefined) {
  const fetchOverHttps = httpsFetch(ca);
  return (url: string, options: oidc.CustomFetchOptions): Promise<Response> =>
    fetchOverHttps(
      url.startsWith(MICROSOFT_LOGIN_HOST) ? authorityHost + url.slice(MICROSOFT_LOGIN_HOST.length) : url,
      options,
    );
}
