import * as z from 'zod';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import { TABLE_SETTINGS } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/** The contact-events consumer reads only the table (contact states); its queue comes through its event source. */
export const CONTACT_EVENTS_SETTINGS = z.object({ ...TABLE_SETTINGS });

export interface ContactEventsConfig {
  readonly tableName: string;
}

/**
 * The consumer's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable.
 */
export function loadContactEventsConfig(env: Env = runtimeEnv()): ContactEventsConfig {
  const values = loadSettings(CONTACT_EVENTS_SETTINGS, env);
  return { tableName: values[ENV.tableName] };
}
