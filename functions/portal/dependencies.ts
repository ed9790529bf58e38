import { secretValue, sessionKeysFrom, sessionSecretReader } from '#shared/adapters/entra/secret-source.ts';
import { createSignInClient, lazySignInClient, type SignInClient } from '#shared/adapters/entra/sign-in-client.ts';
import type { SessionKeys } from '#shared/http/session.ts';
import type { PortalConfig } from './config.ts';

export interface PortalDependencies {
  readonly signIn: SignInClient;
  readonly sessionKeys: () => Promise<SessionKeys>;
  readonly assetsDir: string;
  /** This site's origin when it has a custom domain (`PUBLIC_BASE_URL`): sign-in redirect URI, CSRF check. */
  readonly publicOrigin?: string;
}

/**
 * What the portal needs, built once per cold start: the sign-in client (its client secret read on the first sign-in,
 * `lazySignInClient`: the pages of signed-in users do not wait for it) and the cookie keys.
 */
export function buildPortalDependencies(config: PortalConfig): PortalDependencies {
  return {
    signIn: lazySignInClient(async () =>
      createSignInClient(config.signIn, await secretValue(config.signIn.clientSecret)),
    ),
    sessionKeys: sessionKeysFrom(sessionSecretReader(config.sessionSecret)),
    assetsDir: config.assetsDir,
    publicOrigin: config.publicOrigin,
  };
}
