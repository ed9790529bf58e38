import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type SessionKeys, sessionKeys } from '#shared/http/session.ts';
import type { SecretSource } from './sign-in-config.ts';

/** Seconds Powertools caches a secret before reading it again: a rotated secret is picked up within that time. */
const SECRET_CACHE_SECONDS = 300;

export type SecretReader = (secretArn: string) => Promise<string>;

/**
 * Powertools `getSecret` with a 5-minute cache.
 * @throws Error when the secret does not exist, has no string value, or may not be read.
 */
export const readSecretString: SecretReader = async (secretArn) => {
  const value = await getSecret(secretArn, { maxAge: SECRET_CACHE_SECONDS });
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`Secret ${secretArn} has no string value`);
  return value;
};

/** The value of a secret given inline (local mode) or in Secrets Manager (AWS). */
export function secretValue(source: SecretSource, read: SecretReader = readSecretString): Promise<string> {
  return 'value' in source ? Promise.resolve(source.value) : read(source.secretArn);
}

/**
 * The session cookie keys, derived from the session secret on first use and again whenever the secret's value
 * changes (rotation: sessions sealed with the old key then simply need a new sign-in).
 */
export function sessionKeysFrom(
  source: SecretSource,
  read: SecretReader = readSecretString,
): () => Promise<SessionKeys> {
  let last: { secret: string; keys: SessionKeys } | undefined;
  return async () => {
    const secret = await secretValue(source, read);
    if (last?.secret !== secret) last = { secret, keys: sessionKeys(secret) };
    return last.keys;
  };
}
