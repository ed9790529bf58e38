/**
 * (Over 400 lines: one stand-in authority — discovery, two token endpoints, v1 and v2 token shapes, signing keys
 * and the certificate chain — that tests read as a whole.)
 * A fake Microsoft Entra ID authority over HTTPS, enough for `@azure/identity` and for the marketplace's own use of
 * Entra (reference §3, §2.3; what the real credential asks for is in ../shared/reference/local-stack.md
 * "Microsoft side"):
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` (what MSAL reads first) and the v1
 *   `GET /{tenant}/.well-known/openid-configuration`;
 * - `POST /{tenant}/oauth2/v2.0/token` (client credentials, `scope=<resource>/.default`) and the v1
 *   `POST /{tenant}/oauth2/token` (`resource=<resource>`), with a client secret or a client assertion; tokens for
 *   the marketplace resource are v1 access tokens from both (issuer `https://sts.windows.net/<tenant>/`, `appid`,
 *   `tid`, `ver: "1.0"`), as Entra issues them for that resource (marketplace-2026.md);
 * - `GET /{tenant}/discovery/v2.0/keys` and `/discovery/keys`: the JWKS that verifies both the access tokens and the
 *   webhook tokens the emulator signs (§2.3: "verify with the tenant's OIDC keys").
 *
 * The certificate is generated at start for `127.0.0.1` and `localhost`: trust it per credential
 * (`agent: new https.Agent({ ca })`) or process-wide (`NODE_EXTRA_CA_CERTS`).
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importX509,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { generate } from 'selfsigned';
import type { EmulatorClock } from './clock.ts';
import { MULTITENANT_AUTHORITIES, type SignInApplication, signInEndpoints, type TestUser } from './entra-sign-in.ts';
import { HttpError, readBody, writeReply } from './http.ts';

/** The Marketplace API's first-party application id: the resource of publisher tokens and `azp` of webhook tokens. */
export const MARKETPLACE_RESOURCE_ID = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7';
/** Entra access tokens last about an hour (§3: `expires_in: 3600`). */
const ACCESS_TOKEN_LIFETIME_S = 3600;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Audience Entra expects in workload-identity-federation assertions (§3). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** An Entra application registration the fake authority knows. */
export interface EntraApplication {
  readonly tenantId: string;
  readonly clientId: string;
  /** Client secret; undefined when the app only has a certificate or federated credentials. */
  readonly clientSecret?: string;
  /**
   * PEM certificate uploaded for certificate credentials: when set, a client assertion with `iss` = `sub` = clientId
   * must be signed by its key. Without it such an assertion is accepted unverified (the emulator cannot know the key).
   */
  readonly certificatePem?: string;
  /** Federated identity credentials (§3 workload identity federation): the external token's issuer and subject. */
  readonly federatedCredentials?: readonly { issuer: string; subject: string; audiences?: readonly string[] }[];
  /** Object id of the app's service principal (the `oid`/`sub` of its app-only tokens). */
  readonly servicePrincipalId: string;
}

export interface EntraAuthority {
  readonly authorityHost: string;
  readonly caCertificatePem: string;
  readonly kid: string;
  issuerOf(tenantId: string): string;
  jwksUriOf(tenantId: string): string;
  openIdConfigurationUrlOf(tenantId: string): string;
  register(app: Omit<EntraApplication, 'servicePrincipalId'>): EntraApplication;
  unregisterAllBut(clientIds: readonly string[]): void;
  /** Registers a web app that signs users in (authorization code flow with PKCE, `entra-sign-in.ts`). */
  registerSignInApp(app: SignInApplication): void;
  /** The preset users of the sign-in form, first one prefilled. */
  setSignInUsers(users: readonly TestUser[]): void;
  /** Signs any claims with the authority's key (RS256, `kid` in the JWKS); iat/nbf/exp on the emulator clock. */
  sign(claims: JWTPayload, lifetimeSeconds?: number): Promise<string>;
  /** Verifies signature and lifetime (on the emulator clock unless `checkExpiry` is false); returns the claims. */
  verify(token: string, checkExpiry: boolean): Promise<JWTPayload>;
  stop(): Promise<void>;
}

/**
 * Shape of the access tokens for the marketplace resource. `v1` (default) is what Entra issues, from either token
 * endpoint, because that resource accepts v1 tokens (marketplace-2026.md "Tokens the marketplace API accepts");
 * `v2` exists only to check that a client copes with both shapes.
 */
export type MarketplaceTokenVersion = 'v1' | 'v2';

export async function startEntraAuthority(options: {
  port: number;
  clock: EmulatorClock;
  log: (line: string) => void;
  marketplaceTokenVersion?: MarketplaceTokenVersion;
}): Promise<EntraAuthority> {
  const { clock } = options;
  const [pems, keys] = await Promise.all([
    generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 24 * 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    }),
    generateKeyPair('RS256', { extractable: true }),
  ]);
  const publicJwk: JWK = await exportJWK(keys.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, use: 'sig', alg: 'RS256' }] };
  const apps = new Map<string, EntraApplication>();
  const signInApps = new Map<string, SignInApplication>();
  let signInUsers: readonly TestUser[] = [];

  const server: Server = createServer({ key: pems.private, cert: pems.cert, minVersion: 'TLSv1.2' });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const authorityHost = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuerOf = (tenantId: string) => `${authorityHost}/${tenantId}/v2.0`;
  // Entra's v1 tokens carry the sts.windows.net issuer whatever the login host (§2.3).
  const v1IssuerOf = (tenantId: string) => `https://sts.windows.net/${tenantId}/`;
  const knownTenant = (tenantId: string) => [...apps.values()].some((app) => app.tenantId === tenantId);

  const sign = (claims: JWTPayload, lifetimeSeconds = ACCESS_TOKEN_LIFETIME_S) =>
    signAt(clock.nowMs(), claims, lifetimeSeconds);
  const signAt = async (nowMs: number, claims: JWTPayload, lifetimeSeconds: number): Promise<string> => {
    const now = Math.floor(nowMs / 1000);
    return new SignJWT({ ...claims, iat: now, nbf: now, exp: now + lifetimeSeconds })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .sign(keys.privateKey);
  };

  const signIn = signInEndpoints({
    apps: () => [...signInApps.values()],
    users: () => signInUsers,
    // Id tokens are stamped with the real time, not the emulator clock: the signing-in app checks them against its
    // own real clock (openid-client), as a browser's cookie lifetimes run on real time whatever the local clock says.
    sign: (claims, lifetime) => signAt(Date.now(), claims, lifetime),
    nowMs: () => clock.nowMs(),
    error: entraError,
  });

  server.on('request', (request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? '/', authorityHost);
        const reply = await route(request.method ?? 'GET', url, () => readBody(request));
        writeReply(response, reply, { 'cache-control': 'no-store' });
      } catch (error) {
        if (error instanceof HttpError) {
          writeReply(response, { status: error.status, body: error.body });
        } else {
          options.log(`entra: ${(error as Error).stack ?? String(error)}`);
          writeReply(response, { status: 500, body: entraErrorBody('server_error', 500, 'internal error') });
        }
      }
    })();
  });

  async function route(method: string, url: URL, body: () => Promise<string>) {
    const segments = url.pathname.split('/').filter(Boolean);
    const [tenant, ...rest] = segments;
    const path = rest.join('/');
    if (tenant === undefined) throw entraError(404, 'invalid_request', 90002, 'No tenant in the path.');
    if (method === 'GET' && path === 'discovery/v2.0/keys') return { status: 200, body: jwks };
    if (method === 'GET' && path === 'discovery/keys') return { status: 200, body: jwks };
    // Signing users in: any tenant's users (multitenant authorities) or a tenant named by its id.
    const signInAuthority = MULTITENANT_AUTHORITIES.includes(tenant) || GUID.test(tenant);
    if (signInAuthority && method === 'GET' && path === 'oauth2/v2.0/authorize') {
      return signIn.authorize(tenant, url.searchParams);
    }
    if (signInAuthority && method === 'POST' && path === 'oauth2/v2.0/authorize') {
      return signIn.submit(tenant, new URLSearchParams(await body()));
    }
    if (
      MULTITENANT_AUTHORITIES.includes(tenant) &&
      method === 'GET' &&
      path === 'v2.0/.well-known/openid-configuration'
    ) {
      return { status: 200, body: signIn.discovery(authorityHost, tenant) };
    }
    if (signInAuthority && method === 'POST' && path === 'oauth2/v2.0/token') {
      const form = new URLSearchParams(await body());
      if (form.get('grant_type') === 'authorization_code') return signIn.redeem(form);
      if (MULTITENANT_AUTHORITIES.includes(tenant)) {
        throw entraError(400, 'unsupported_grant_type', 70003, 'Only authorization_code is served for this authority.');
      }
      if (!knownTenant(tenant)) throw entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
      return tokenEndpoint(tenant, 'v2', form);
    }
    if (!knownTenant(tenant)) {
      throw entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    }
    if (method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      return { status: 200, body: openIdConfiguration(tenant, 'v2') };
    }
    if (method === 'GET' && path === '.well-known/openid-configuration') {
      return { status: 200, body: openIdConfiguration(tenant, 'v1') };
    }
    if (method === 'POST' && (path === 'oauth2/v2.0/token' || path === 'oauth2/token')) {
      return tokenEndpoint(tenant, path === 'oauth2/token' ? 'v1' : 'v2', new URLSearchParams(await body()));
    }
    throw entraError(404, 'invalid_request', 0, `No endpoint ${method} ${url.pathname} on the fake authority.`);
  }

  function openIdConfiguration(tenant: string, version: 'v1' | 'v2') {
    const v2 = version === 'v2';
    const base = `${authorityHost}/${tenant}`;
    return {
      token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? issuerOf(tenant) : v1IssuerOf(tenant),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${authorityHost}/oidc/userinfo`,
      authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'azp', 'ver'],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  async function tokenEndpoint(tenant: string, version: 'v1' | 'v2', form: URLSearchParams) {
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      throw entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType ?? ''}'.`,
      );
    }
    const clientId = form.get('client_id') ?? '';
    const app = apps.get(clientId);
    if (!app || app.tenantId !== tenant) {
      throw entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
      );
    }
    const resource = version === 'v1' ? form.get('resource') : resourceOfScope(form.get('scope'));
    if (!resource) {
      throw version === 'v1'
        ? entraError(400, 'invalid_request', 900144, "The request body must contain the parameter: 'resource'.")
        : entraError(
            400,
            'invalid_scope',
            1002012,
            `The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          );
    }
    const credentialKind = await authenticateClient(app, tenant, form);
    const now = Math.floor(clock.nowMs() / 1000);
    const common = {
      aud: resource,
      aio: randomBytes(24).toString('base64url'),
      oid: app.servicePrincipalId,
      sub: app.servicePrincipalId,
      tid: app.tenantId,
      rh: `0.${randomBytes(12).toString('base64url')}.`,
      uti: randomBytes(16).toString('base64url'),
      idtyp: 'app',
    };
    // `azpacr`/`appidacr`: 1 = client secret, 2 = certificate or assertion.
    const acr = credentialKind === 'secret' ? '1' : '2';
    // The token's shape follows what the resource accepts, not the endpoint asked: the marketplace resource takes
    // v1 tokens, so its tokens are v1 even from the v2 endpoint (issuer sts.windows.net, `appid`, ver 1.0).
    const v1Shape =
      version === 'v1' || (resource === MARKETPLACE_RESOURCE_ID && options.marketplaceTokenVersion !== 'v2');
    if (!v1Shape) {
      const accessToken = await sign({
        ...common,
        iss: issuerOf(app.tenantId),
        azp: app.clientId,
        azpacr: acr,
        ver: '2.0',
      });
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: ACCESS_TOKEN_LIFETIME_S,
          ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
          access_token: accessToken,
        },
      };
    }
    const accessToken = await sign({
      ...common,
      iss: v1IssuerOf(app.tenantId),
      appid: app.clientId,
      appidacr: acr,
      ver: '1.0',
    });
    if (version === 'v2') {
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: ACCESS_TOKEN_LIFETIME_S,
          ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
          access_token: accessToken,
        },
      };
    }
    // The v1 endpoint answers numbers as strings (§3, documented v1 request).
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: String(ACCESS_TOKEN_LIFETIME_S),
        ext_expires_in: String(ACCESS_TOKEN_LIFETIME_S),
        expires_on: String(now + ACCESS_TOKEN_LIFETIME_S),
        not_before: String(now),
        resource,
        access_token: accessToken,
      },
    };
  }

  /**
   * Client authentication. A secret must match. An assertion is accepted when either
   * - `iss` = `sub` = the client id (a certificate credential): when the app has a `certificatePem`, the header must
   *   name its thumbprint (`x5t` or `x5t#S256`), `aud` must be the tenant's token endpoint, and the signature must
   *   verify with its key, as Entra checks; without one it is accepted unverified (the emulator cannot know the key);
   * - or `iss`/`sub` match one of the app's federated credentials and `aud` its audience (workload identity
   *   federation, §3). The external issuer's signature is not verified (the emulator does not fetch foreign JWKS).
   * Assertion lifetimes are checked against the real clock: the caller mints them with its own clock.
   */
  async function authenticateClient(
    app: EntraApplication,
    tenant: string,
    form: URLSearchParams,
  ): Promise<'secret' | 'assertion'> {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (app.clientSecret === undefined || secret !== app.clientSecret) {
        throw entraError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
      return 'secret';
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        throw entraError(400, 'invalid_request', 50027, `client_assertion_type must be ${JWT_BEARER}.`);
      }
      let claims: JWTPayload;
      try {
        claims = decodeJwt(assertion);
      } catch {
        throw entraError(401, 'invalid_client', 50027, 'The client assertion is not a valid JWT.');
      }
      if (claims.exp !== undefined && claims.exp * 1000 < Date.now()) {
        throw entraError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
      }
      if (claims.iss === app.clientId && claims.sub === app.clientId) {
        if (app.certificatePem !== undefined) {
          const header = decodeProtectedHeader(assertion);
          const certificate = new X509Certificate(app.certificatePem);
          const thumbprint = (hexWithColons: string) =>
            Buffer.from(hexWithColons.replaceAll(':', ''), 'hex').toString('base64url');
          // Entra finds the uploaded certificate by the thumbprint in the header (SHA-1 `x5t` or SHA-256 `x5t#S256`).
          if (
            header.x5t !== thumbprint(certificate.fingerprint) &&
            header['x5t#S256'] !== thumbprint(certificate.fingerprint256)
          ) {
            throw entraError(
              401,
              'invalid_client',
              700027,
              'Client assertion contains an invalid signature. [Reason - The key was not found.] The x5t or x5t#S256 header must name the thumbprint of a certificate uploaded to the app.',
            );
          }
          // ... and wants the token endpoint it was sent to as the audience.
          const endpoints = ['oauth2/v2.0/token', 'oauth2/token'].map((path) => `${authorityHost}/${tenant}/${path}`);
          if (
            !endpoints.some(
              (endpoint) => claims.aud === endpoint || (Array.isArray(claims.aud) && claims.aud.includes(endpoint)),
            )
          ) {
            throw entraError(
              401,
              'invalid_client',
              700021,
              `Client assertion audience claim does not match Realm issuer. Expected the token endpoint ${endpoints[0]}.`,
            );
          }
          try {
            const { alg = 'RS256' } = header;
            await jwtVerify(assertion, await importX509(app.certificatePem, alg));
          } catch {
            throw entraError(
              401,
              'invalid_client',
              700027,
              'Client assertion failed signature validation against the registered certificate.',
            );
          }
        }
        return 'assertion';
      }
      const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      const federated = app.federatedCredentials?.find(
        (credential) =>
          credential.issuer === claims.iss &&
          credential.subject === claims.sub &&
          (credential.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).some((audience) => audiences.includes(audience)),
      );
      if (!federated) {
        throw entraError(
          401,
          'invalid_client',
          70021,
          `No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss ?? ''}'. Assertion Subject: '${claims.sub ?? ''}'.`,
        );
      }
      return 'assertion';
    }
    throw entraError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  return {
    authorityHost,
    caCertificatePem: pems.cert,
    kid,
    issuerOf,
    jwksUriOf: (tenantId) => `${authorityHost}/${tenantId}/discovery/v2.0/keys`,
    openIdConfigurationUrlOf: (tenantId) => `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`,
    register(app) {
      const registered: EntraApplication = { ...app, servicePrincipalId: randomUUID() };
      apps.set(app.clientId, registered);
      return registered;
    },
    unregisterAllBut(clientIds) {
      for (const clientId of [...apps.keys()]) if (!clientIds.includes(clientId)) apps.delete(clientId);
    },
    registerSignInApp(app) {
      signInApps.set(app.clientId, app);
    },
    setSignInUsers(users) {
      signInUsers = users;
    },
    sign,
    async verify(token, checkExpiry) {
      // jose checks exp and nbf against currentDate: "expired" means expired on the emulator clock. nbf is not
      // enforced (evaluated no earlier than iat), because the emulator clock may be set back, which no real clock does.
      const issuedAt = (decodeJwt(token).iat ?? 0) * 1000;
      const { payload } = await jwtVerify(token, keys.publicKey, {
        algorithms: ['RS256'],
        currentDate: new Date(checkExpiry ? Math.max(clock.nowMs(), issuedAt) : issuedAt),
      });
      return payload;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The resource of a `<resource>/.default` scope (other scopes such as `openid` are ignored, as Entra does). */
function resourceOfScope(scope: string | null): string | undefined {
  const defaultScope = scope?.split(/\s+/).find((value) => value.endsWith('/.default'));
  return defaultScope?.slice(0, -'/.default'.length) || undefined;
}

/** Entra's JSON error shape (`error`, `error_description` starting with the AADSTS code, `error_codes`, …). */
export function entraErrorBody(error: string, code: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function entraError(status: number, error: string, code: number, description: string): HttpError {
  return new HttpError(status, entraErrorBody(error, code, description));
}
