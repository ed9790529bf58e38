import { ENV } from '#shared/env-names.ts';
import { type SessionKeys, type SignedInUser, sealSession, sessionKeys } from '#shared/http/session.ts';

/** The cookie keys of this test process's session secret (set by prepareFunctionEnvironment). */
export function testSessionKeys(): SessionKeys {
  const secret = process.env[ENV.sessionSecret];
  if (!secret) throw new Error(`${ENV.sessionSecret} is not set: call prepareFunctionEnvironment first`);
  return sessionKeys(secret);
}

/**
 * A signed-in user's session, as the Portal function's callback seals it: the `cookie` header to send, and the
 * CSRF token the page would hold.
 */
export async function aSession(
  user: Omit<SignedInUser, 'csrfToken'>,
): Promise<{ cookie: string; csrfToken: string; user: SignedInUser }> {
  const sealed = await sealSession(testSessionKeys(), user);
  return { cookie: `mm_session=${sealed.value}`, csrfToken: sealed.user.csrfToken, user: sealed.user };
}
