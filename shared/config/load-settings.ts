/**
 * The one way a function reads its environment (STYLE §7): a zod object keyed by environment variable names, parsed
 * once at cold start. Each function states the settings it reads in `functions/<fn>/config.ts`, from the pieces in
 * `./settings.ts`; tests pass a plain object instead of `process.env`.
 */
import * as z from 'zod';
import { describedIssues } from '#shared/zod-issues.ts';

/** An environment: `process.env` in a function, a plain object in a test. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Raised when the environment lacks a value; the message names every missing or invalid variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Settings whose value must never appear in an error message (errors end up in logs). */
const SECRET_SETTINGS = z.registry<Record<string, never>>();

/** Marks a setting as secret: a bad value is named, never quoted. */
export function secret<T extends z.ZodType>(setting: T): T {
  SECRET_SETTINGS.add(setting, {});
  return setting;
}

/** Longest part of a bad value quoted in an error: enough to recognise it, not a catalog's worth of JSON. */
const QUOTED_VALUE_LIMIT = 80;

/**
 * Parses the settings `schema` states from `env`.
 * @param what how the error message names this configuration (`Invalid <what>: …`).
 * @throws ConfigError with one sentence per problem, each naming the variable, what it should hold and (unless it
 *   is secret) the value it has, e.g. `USAGE_REPORT_GRACE_MINUTES must be a whole number of minutes from 0 to 50
 *   (got "abc")`.
 */
export function loadSettings<S extends z.ZodObject>(schema: S, env: Env, what = 'configuration'): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = describedIssues(parsed.error).map(({ field, message }) => {
    const value = env[field];
    const quotable =
      value !== undefined && value.trim() !== '' && !SECRET_SETTINGS.has(schema.shape[field] as z.ZodType);
    return quotable ? `${field} ${message} (got ${quoted(value)})` : `${field} ${message}`;
  });
  throw new ConfigError(`Invalid ${what}: ${problems.join('; ')}`);
}

function quoted(value: string): string {
  return JSON.stringify(value.length > QUOTED_VALUE_LIMIT ? `${value.slice(0, QUOTED_VALUE_LIMIT)}…` : value);
}

/**
 * `process.env` plus the values the bundler compiles in: esbuild's `define` replaces only the literal expression
 * `process.env.CATALOG_JSON`, so it has to be spelled out here rather than read through the env object.
 */
export function runtimeEnv(): Env {
  return { ...process.env, CATALOG_JSON: process.env.CATALOG_JSON };
}
