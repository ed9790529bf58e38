/**
 * The signed-in user's session and the sign-in transaction, each in an encrypted cookie (jose `EncryptJWT`, `dir` +
 * `A256GCM`): nothing is stored server-side, the browser cannot read or forge either, and a session ends after one
 * hour whatever happens (absolute lifetime, no sliding renewal: signing in again takes one click while the user is
 * still signed in at Microsoft).
 *
 * Both keys are derived from one session secret with HKDF, one per purpose, so a transaction cookie can never be
 * presented as a session or the other way round. Expiry runs on the real clock, as the browser's cookie `Max-Age`
 * does (the local mode's movable clock must not sign users out or in).
 */
import { hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EncryptJWT, errors as joseErrors, jwtDecrypt } from 'jose';
import { ForbiddenError } from '#shared/domain/errors.ts';

/** The signed-in user, as the session cookie carries it (portal contract). */
export interface SignedInUser {
  /** `tid` claim. */
  readonly tenantId: string;
  /** `oid` claim. */
  readonly objectId: string;
  readonly name?: string;
  /** `email` or `preferred_username`. */
  readonly email?: string;
  readonly groups?: readonly string[];
  /** Random per session; state-changing requests made with the cookie must echo it (header or form field). */
  readonly csrfToken: string;
}

/** What the sign-in keeps between the redirect to Microsoft and the callback. */
export interface SignInTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** A same-origin path to return to after sign-in. */
  readonly returnTo: string;
}

export const SESSION_COOKIE = 'mm_session';
export const SIGN_IN_COOKIE = 'mm_signin';
/** One hour, absolute. */
export const SESSION_LIFETIME_SECONDS = 3600;
/** Long enough to type a password and approve an MFA prompt at Microsoft, short enough to leave little to replay. */
export const SIGN_IN_LIFETIME_SECONDS = 600;
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FORM_FIELD = 'csrfToken';

/** The two keys derived from the session secret. */
export interface SessionKeys {
  readonly session: Uint8Array;
  readonly signIn: Uint8Array;
}

/**
 * Derives the cookie keys from the session secret (any string of at least 32 characters: in AWS 64 random ones in the
 * table's `SESSION_KEY` item, made by the first function that needs it; locally a random one at each start;
 * docs/portal.md "Sessions").
 * @throws Error when the secret is too short to give 256-bit keys their strength.
 */
export function sessionKeys(secret: string): SessionKeys {
  if (secret.length < 32) throw new Error('The session secret must be at least 32 characters long.');
  const derive = (purpose: string) => new Uint8Array(hkdfSync('sha256', secret, 'marketplace-metering', purpose, 32));
  return { session: derive('mm_session cookie'), signIn: derive('mm_signin cookie') };
}

const realNow = () => new Date();

/** A new session for a user who just signed in: the cookie value, with a fresh CSRF token inside. */
export async function sealSession(
  keys: SessionKeys,
  user: Omit<SignedInUser, 'csrfToken'>,
  now: () => Date = realNow,
): Promise<{ value: string; user: SignedInUser }> {
  const full: SignedInUser = { ...user, csrfToken: randomBytes(32).toString('base64url') };
  return { value: await seal(keys.session, 'session', { user: full }, SESSION_LIFETIME_SECONDS, now), user: full };
}

/** The user of a session cookie value; undefined when it is absent, expired, tampered with or not a session. */
export async function openSession(
  keys: SessionKeys,
  value: string | undefined,
  now: () => Date = realNow,
): Promise<SignedInUser | undefined> {
  const payload = await open(keys.session, 'session', value, now);
  const user = payload?.user as SignedInUser | undefined;
  if (!user || typeof user.tenantId !== 'string' || typeof user.objectId !== 'string') return undefined;
  if (typeof user.csrfToken !== 'string') return undefined;
  return user;
}

export async function sealSignIn(
  keys: SessionKeys,
  transaction: SignInTransaction,
  now: () => Date = realNow,
): Promise<string> {
  return seal(keys.signIn, 'signin', { transaction }, SIGN_IN_LIFETIME_SECONDS, now);
}

export async function openSignIn(
  keys: SessionKeys,
  value: string | undefined,
  now: () => Date = realNow,
): Promise<SignInTransaction | undefined> {
  const payload = await open(keys.signIn, 'signin', value, now);
  const transaction = payload?.transaction as SignInTransaction | undefined;
  if (!transaction || typeof transaction.state !== 'string' || typeof transaction.codeVerifier !== 'string') {
    return undefined;
  }
  return transaction;
}

async function seal(
  key: Uint8Array,
  purpose: string,
  claims: Record<string, unknown>,
  lifetimeSeconds: number,
  now: () => Date,
): Promise<string> {
  const issuedAt = Math.floor(now().getTime() / 1000);
  return new EncryptJWT({ ...claims, purpose })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .encrypt(key);
}

async function open(
  key: Uint8Array,
  purpose: string,
  value: string | undefined,
  now: () => Date,
): Promise<Record<string, unknown> | undefined> {
  if (!value) return undefined;
  try {
    const { payload } = await jwtDecrypt(value, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      currentDate: now(),
    });
    return payload.purpose === purpose ? payload : undefined;
  } catch (error) {
    // Expired, tampered with, encrypted with a rotated key, or not ours at all: the user simply signs in again.
    if (error instanceof joseErrors.JOSEError) return undefined;
    throw error;
  }
}

/** `Set-Cookie` for a cookie of ours: HttpOnly, Secure, SameSite=Lax, Path=/. `maxAge` 0 deletes it. */
export function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Lax`;
}

/** A cookie's value from the request (API Gateway v2 puts them in `event.cookies`; a `cookie` header otherwise). */
export function cookieOf(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const pairs = event.cookies ?? (event.headers?.cookie ?? '').split(';');
  for (const pair of pairs) {
    const index = pair.indexOf('=');
    if (index > 0 && pair.slice(0, index).trim() === name) return pair.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * The request's own origin (`https://<host>`): what a same-origin `Origin` header must equal and where the sign-in
 * callback is. API Gateway sets `x-forwarded-proto`; the local HTTP adapter sets it to `http`.
 * @param publicOrigin the configured public origin (`PUBLIC_BASE_URL`): behind CloudFront the request's `Host` is
 *   the execute-api host, not the custom domain the browser used, so the configured one wins when set.
 */
export function originOf(event: APIGatewayProxyEventV2, publicOrigin?: string): string {
  if (publicOrigin !== undefined) return publicOrigin;
  const proto = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  const host = event.headers?.host ?? event.requestContext?.domainName ?? 'localhost';
  return `${proto}://${host}`;
}

/**
 * Checks a state-changing request made with the session cookie against cross-site request forgery: it must carry
 * the session's CSRF token (header `X-CSRF-Token`, or the form field `csrfToken`), and its `Origin` (or, without one,
 * its `Referer`) must be this origin when the browser sent either. SameSite=Lax already keeps the cookie off
 * cross-site POSTs in current browsers; this is the second, browser-independent line.
 * @param publicOrigin this site's configured origin, if any (`originOf`).
 * @throws ForbiddenError saying what is missing or wrong.
 */
export function requireCsrf(
  event: APIGatewayProxyEventV2,
  user: SignedInUser,
  formToken?: string,
  publicOrigin?: string,
): void {
  const presented = event.headers?.[CSRF_HEADER] ?? formToken;
  if (!presented) {
    throw new ForbiddenError(
      "This request uses the sign-in session but carries no CSRF token: send the page's csrf-token in the X-CSRF-Token header (or the csrfToken form field).",
    );
  }
  const a = Buffer.from(presented);
  const b = Buffer.from(user.csrfToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new ForbiddenError(
      'The CSRF token does not match this session (it may have expired): reload the page and try again.',
    );
  }
  const own = originOf(event, publicOrigin);
  const origin = event.headers?.origin;
  if (origin !== undefined && origin !== 'null') {
    if (origin !== own) throw new ForbiddenError(`Cross-origin request refused: Origin ${origin} is not ${own}.`);
    return;
  }
  if (origin === 'null') throw new ForbiddenError(`Cross-origin request refused: Origin null is not ${own}.`);
  const referer = event.headers?.referer;
  if (referer !== undefined) {
    let refererOrigin: string | undefined;
    try {
      refererOrigin = new URL(referer).origin;
    } catch {
      refererOrigin = undefined;
    }
    if (refererOrigin !== own) throw new ForbiddenError(`Cross-origin request refused: Referer is not from ${own}.`);
  }
}

/**
 * A `returnTo` that stays on this site: a path starting with a single `/` (not `//host` nor `/\host`, which
 * browsers treat as another host), without control characters. Anything else is refused, so the sign-in can never
 * be used to send a user to another site (open redirect).
 */
export function isLocalPath(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return false;
  // Control characters (tabs and newlines are dropped by URL parsers, turning `/\t/host` into `//host`) and backslashes.
  if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f || char === '\\')) {
    return false;
  }
  try {
    return new URL(value, 'https://example.invalid').origin === 'https://example.invalid';
  } catch {
    return false;
  }
}
