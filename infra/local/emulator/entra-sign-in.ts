/**
 * The user-facing half of the fake Entra: what a web app's "Sign in with Microsoft" needs (OpenID Connect
 * authorization code flow with PKCE, reference: Microsoft identity platform "OAuth 2.0 authorization code flow").
 *
 * - `GET /{tenant}/oauth2/v2.0/authorize` shows a test-user form instead of Microsoft's sign-in pages: tenant id,
 *   object id, name and e-mail, prefilled from a few preset users;
 * - `POST` of that form issues a one-time code (10 minutes, as Entra's codes) and redirects to `redirect_uri` with
 *   `code` and `state`;
 * - the token endpoint's `authorization_code` grant (`redeem`) checks the client's secret, the `redirect_uri` of the
 *   authorization request and the PKCE verifier (S256 only), and returns an id token signed with the JWKS key.
 *
 * Multitenant authorities (`organizations`, `common`) are what a SaaS offer's sign-in uses: any tenant's user may
 * sign in, and the id token's issuer names the user's own tenant. The issuer host is Microsoft's
 * (`https://login.microsoftonline.com/<tid>/v2.0`) whatever host serves the fake: issuers are names, not locations,
 * and openid-client applies Entra's multitenant issuer rule (expected issuer = the template with the token's `tid`)
 * only under that name, so the local flow runs the exact check production runs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { HttpError } from './http.ts';

/** The issuer host of Entra's v2 tokens in Microsoft's public cloud. */
export const ENTRA_ISSUER_HOST = 'https://login.microsoftonline.com';
/** Tenant-independent authorities: any work or school account (`organizations`), or any account (`common`). */
export const MULTITENANT_AUTHORITIES: readonly string[] = ['organizations', 'common'];
/** Entra's authorization codes are short-lived and single use (about 10 minutes). */
const CODE_LIFETIME_MS = 10 * 60_000;
/** Entra's id tokens last an hour. */
const ID_TOKEN_LIFETIME_S = 3600;

/** A user the sign-in form offers. */
export interface TestUser {
  /** What the form's preset list shows, e.g. "Customer (tenant 1111…)". */
  readonly label: string;
  readonly tenantId: string;
  readonly objectId: string;
  readonly name: string;
  readonly email: string;
  /** Group object ids, sent as the `groups` claim when present. */
  readonly groups?: readonly string[];
}

/** A web app registration that signs users in (a multitenant app in Entra). */
export interface SignInApplication {
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Redirect URIs registered for the app. As Entra does for loopback addresses, the port of an `http://localhost` or
   * `http://127.0.0.1` redirect URI is ignored when matching, so a local server on any port can sign in.
   */
  readonly redirectUris: readonly string[];
}

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce?: string;
  readonly user: Omit<TestUser, 'label'>;
  readonly expiresAtMs: number;
}

export interface SignInEndpoints {
  authorize(tenant: string, query: URLSearchParams): { status: number; body: string; headers: Record<string, string> };
  submit(tenant: string, form: URLSearchParams): { status: number; headers: Record<string, string> };
  redeem(form: URLSearchParams): Promise<{ status: number; body: Record<string, unknown> }>;
  discovery(authorityHost: string, tenant: string): Record<string, unknown>;
}

export function signInEndpoints(deps: {
  readonly apps: () => readonly SignInApplication[];
  readonly users: () => readonly TestUser[];
  readonly sign: (claims: JWTPayload, lifetimeSeconds: number) => Promise<string>;
  readonly nowMs: () => number;
  readonly error: (status: number, error: string, code: number, description: string) => HttpError;
}): SignInEndpoints {
  const codes = new Map<string, PendingCode>();
  const appOf = (clientId: string | null) => deps.apps().find((app) => app.clientId === clientId);

  /** @throws HttpError 400 unless the request names a registered app, one of its redirect URIs and a S256 challenge. */
  function checkRequest(query: URLSearchParams): { app: SignInApplication; redirectUri: string } {
    const app = appOf(query.get('client_id'));
    if (!app) {
      throw deps.error(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${query.get('client_id') ?? ''}' was not found in the directory.`,
      );
    }
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!app.redirectUris.some((registered) => sameRedirectUri(registered, redirectUri))) {
      throw deps.error(
        400,
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'.`,
      );
    }
    if (query.get('response_type') !== 'code') {
      throw deps.error(400, 'unsupported_response_type', 700054, "response_type must be 'code' here.");
    }
    if (!(query.get('scope') ?? '').split(/\s+/).includes('openid')) {
      throw deps.error(400, 'invalid_scope', 70011, "The scope must include 'openid' to sign a user in.");
    }
    // PKCE is required and only S256 accepted: 'plain' offers no protection against a stolen code.
    if (!query.get('code_challenge') || query.get('code_challenge_method') !== 'S256') {
      throw deps.error(400, 'invalid_request', 501481, 'A code_challenge with code_challenge_method S256 is required.');
    }
    return { app, redirectUri };
  }

  return {
    discovery(authorityHost, tenant) {
      const base = `${authorityHost}/${tenant}`;
      const multitenant = MULTITENANT_AUTHORITIES.includes(tenant);
      return {
        issuer: `${ENTRA_ISSUER_HOST}/${multitenant ? '{tenantid}' : tenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${authorityHost}/${tenant}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'name', 'email', 'nonce'],
        tenant_region_scope: null,
        cloud_instance_name: 'microsoftonline.com',
      };
    },

    authorize(tenant, query) {
      checkRequest(query);
      const users = deps.users();
      const first = users[0];
      return {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *",
        },
        body: signInForm(tenant, query, users, first),
      };
    },

    submit(tenant, form) {
      const { app, redirectUri } = checkRequest(form);
      const user = {
        tenantId: (form.get('tid') ?? '').trim(),
        objectId: (form.get('oid') ?? '').trim(),
        name: (form.get('name') ?? '').trim(),
        email: (form.get('email') ?? '').trim(),
        groups: (form.get('groups') ?? '')
          .split(',')
          .map((group) => group.trim())
          .filter(Boolean),
      };
      if (!UUID.test(user.tenantId) || !UUID.test(user.objectId)) {
        throw deps.error(400, 'invalid_request', 90002, 'The tenant id and the object id must be GUIDs.');
      }
      if (!MULTITENANT_AUTHORITIES.includes(tenant) && tenant !== user.tenantId) {
        throw deps.error(
          400,
          'invalid_request',
          50020,
          `User account is from a tenant other than '${tenant}', the tenant of this single-tenant authority.`,
        );
      }
      const code = randomBytes(32).toString('base64url');
      const nonce = form.get('nonce');
      codes.set(code, {
        clientId: app.clientId,
        redirectUri,
        codeChallenge: form.get('code_challenge') ?? '',
        ...(nonce ? { nonce } : {}),
        user,
        expiresAtMs: deps.nowMs() + CODE_LIFETIME_MS,
      });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      const state = form.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.href } };
    },

    async redeem(form) {
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      // One use only, whatever happens next: a replayed code is refused as Entra does (AADSTS54005).
      codes.delete(code);
      if (!pending || pending.expiresAtMs < deps.nowMs()) {
        throw deps.error(400, 'invalid_grant', 54005, 'The authorization code was already redeemed, or has expired.');
      }
      const app = appOf(form.get('client_id'));
      if (!app || app.clientId !== pending.clientId) {
        throw deps.error(400, 'invalid_grant', 700005, 'The authorization code was issued to another application.');
      }
      if (form.get('client_secret') !== app.clientSecret) {
        throw deps.error(401, 'invalid_client', 7000215, `Invalid client secret provided for app '${app.clientId}'.`);
      }
      if (form.get('redirect_uri') !== pending.redirectUri) {
        throw deps.error(
          400,
          'invalid_grant',
          70002,
          'The redirect_uri does not match the one of the authorization request.',
        );
      }
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) {
        throw deps.error(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge.');
      }
      const { user } = pending;
      const idToken = await deps.sign(
        {
          iss: `${ENTRA_ISSUER_HOST}/${user.tenantId}/v2.0`,
          aud: app.clientId,
          sub: createHash('sha256').update(`${app.clientId}:${user.objectId}`).digest('base64url'),
          tid: user.tenantId,
          oid: user.objectId,
          name: user.name,
          ...(user.email ? { email: user.email, preferred_username: user.email } : {}),
          ...(user.groups?.length ? { groups: user.groups } : {}),
          ...(pending.nonce ? { nonce: pending.nonce } : {}),
          ver: '2.0',
          uti: randomUUID(),
        },
        ID_TOKEN_LIFETIME_S,
      );
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          scope: 'openid profile email',
          expires_in: ID_TOKEN_LIFETIME_S,
          ext_expires_in: ID_TOKEN_LIFETIME_S,
          // An access token for Microsoft Graph in real life; an opaque stand-in here (the app does not use it).
          access_token: randomBytes(32).toString('base64url'),
          id_token: idToken,
        },
      };
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sameRedirectUri(registered: string, requested: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  const loopback = (url: URL) => url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (loopback(a) && loopback(b)) return a.hostname === b.hostname && a.pathname === b.pathname && b.search === '';
  return a.href === b.href;
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

/** The form: the authorization request's parameters ride along as hidden fields to the POST. */
function signInForm(
  tenant: string,
  query: URLSearchParams,
  users: readonly TestUser[],
  first: TestUser | undefined,
): string {
  const carried = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge']
    .concat(['code_challenge_method', 'response_mode'])
    .flatMap((name) => {
      const value = query.get(name);
      return value === null ? [] : [`<input type="hidden" name="${name}" value="${escapeHtml(value)}">`];
    })
    .join('\n');
  const field = (name: string, label: string, value: string) =>
    `<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" value="${escapeHtml(value)}" size="44"></p>`;
  // One button per preset user: each is its own form with that user's values, so a test (or a person) signs in
  // with one click; the editable form below signs in anyone else.
  const presets = users
    .map(
      (user) => `<form method="post"><p>${carried}
<input type="hidden" name="tid" value="${escapeHtml(user.tenantId)}">
<input type="hidden" name="oid" value="${escapeHtml(user.objectId)}">
<input type="hidden" name="name" value="${escapeHtml(user.name)}">
<input type="hidden" name="email" value="${escapeHtml(user.email)}">
<input type="hidden" name="groups" value="${escapeHtml((user.groups ?? []).join(','))}">
<button type="submit">Sign in as ${escapeHtml(user.label)}</button> ${escapeHtml(user.name)} &lt;${escapeHtml(user.email)}&gt;</p></form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in (fake Entra ID)</title></head>
<body style="font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto">
<h1>Sign in to your account</h1>
<p>Local fake of Microsoft Entra ID (authority <code>${escapeHtml(tenant)}</code>): choose a test user, or enter one.</p>
${presets}
<h2>Another user</h2>
<form method="post">
${carried}
${field('tid', 'Tenant id', first?.tenantId ?? randomUUID())}
${field('oid', 'Object id', randomUUID())}
${field('name', 'Name', 'Test User')}
${field('email', 'E-mail', 'user@customer.example')}
${field('groups', 'Group ids (comma separated)', '')}
<p><button type="submit">Sign in</button></p>
</form>
</body></html>`;
}

/** The customer tenant of the purchases `npm start` suggests (its printed example buys for this tenant). */
export const LOCAL_CUSTOMER_TENANT_ID = '11111111-1111-4111-8111-111111111111';
/** The tenant of the local reseller partner preset: register a partner with this `tenantId` to make it one. */
export const LOCAL_PARTNER_TENANT_ID = '22222222-2222-4222-8222-222222222222';
/** The object id of the preset publisher administrator (the local mode lists it in `PUBLISHER_ADMIN_USERS`). */
export const LOCAL_PUBLISHER_ADMIN_OBJECT_ID = '33333333-3333-4333-8333-333333333333';

/** The sign-in form's presets: a customer of the emulator's purchases, a reseller partner's user, a publisher admin. */
export function defaultTestUsers(publisherTenantId: string): TestUser[] {
  return [
    {
      label: 'customer',
      tenantId: LOCAL_CUSTOMER_TENANT_ID,
      objectId: '11111111-aaaa-4aaa-8aaa-111111111111',
      name: 'Casey Customer',
      email: 'it@customer.example',
    },
    {
      label: 'partner',
      tenantId: LOCAL_PARTNER_TENANT_ID,
      objectId: '22222222-bbbb-4bbb-8bbb-222222222222',
      name: 'Pat Partner',
      email: 'pat@reseller.example',
    },
    {
      label: 'publisher admin',
      tenantId: publisherTenantId,
      objectId: LOCAL_PUBLISHER_ADMIN_OBJECT_ID,
      name: 'Ada Admin',
      email: 'ada@publisher.example',
    },
  ];
}
