import * as z from 'zod';
import {
  SESSION_SETTINGS,
  type SessionSecretSource,
  SIGN_IN_SETTINGS,
  type SignInConfig,
  sessionSecretSource,
  signInConfig,
} from '#shared/adapters/entra/sign-in-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { optional, required } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the portal function reads: the sign-in app, the session secret (or the table holding the session key
 * item) and the folder of the page assets. It reads nothing else from the table: the pages are shells whose script
 * fetches the data from `/v1` with the session cookie, and the API decides what the user may see.
 */
export const PORTAL_SETTINGS = z.object({
  ...SIGN_IN_SETTINGS,
  ...SESSION_SETTINGS,
  // The table only for the session key item (SESSION_KEY): the pages themselves read nothing from it.
  [ENV.tableName]: optional(),
  [ENV.portalAssetsDir]: required('the folder of the portal page assets (script, stylesheet and manifest.json)'),
});

export interface PortalConfig {
  readonly signIn: SignInConfig;
  readonly sessionSecret: SessionSecretSource;
  readonly assetsDir: string;
  /** `PUBLIC_BASE_URL`: the origin browsers use when the API has a custom domain (redirect URI, CSRF check). */
  readonly publicOrigin?: string;
}

/**
 * The portal's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadPortalConfig(env: Env = runtimeEnv()): PortalConfig {
  const values = loadSettings(PORTAL_SETTINGS, env);
  return {
    signIn: signInConfig(values),
    sessionSecret: sessionSecretSource(values),
    assetsDir: values[ENV.portalAssetsDir],
    publicOrigin: values[ENV.publicBaseUrl],
  };
}
