import * as z from 'zod';
import { CONTACT_LINK_SETTINGS, contactLinksOf } from '#shared/adapters/links/contact-link-config.ts';
import type { SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { TABLE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/** The contact pages read the table (contact states) and check links (session secret, public base URL). */
export const CONTACT_PAGES_SETTINGS = z.object({ ...TABLE_SETTINGS, ...CONTACT_LINK_SETTINGS });

export interface ContactPagesConfig {
  readonly tableName: string;
  readonly links: SignedContactLinks;
}

/**
 * The function's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable.
 */
export function loadContactPagesConfig(env: Env = runtimeEnv()): ContactPagesConfig {
  const values = loadSettings(CONTACT_PAGES_SETTINGS, env);
  return { tableName: values[ENV.tableName], links: contactLinksOf(values) };
}
