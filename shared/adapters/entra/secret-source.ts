import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoSessionKeyMaterial } from '#shared/adapters/dynamodb/dynamo-session-key-material.ts';
import { type ParameterReader, secureParameterReader } from '#shared/adapters/parameters/secure-parameter.ts';
import { type SessionKeys, sessionKeys } from '#shared/http/session.ts';
import type { SecretSource, SessionSecretSource } from './sign-in-config.ts';

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

/** The readers of the two AWS stores; tests replace them. */
export interface SecretReaders {
  readonly secret?: SecretReader;
  readonly parameter?: ParameterReader;
}

/**
 * The value of a secret given inline (local mode), in Parameter Store or in Secrets Manager (AWS).
 * @throws MissingParameterError when the parameter has not been put yet (its message names the command).
 */
export function secretValue(source: SecretSource, readers: SecretReaders = {}): Promise<string> {
  if ('value' in source) return Promise.resolve(source.value);
  if ('parameterName' in source) return (readers.parameter ?? secureParameterReader())(source.parameterName);
  return (readers.secret ?? readSecretString)(source.secretArn);
}

/**
 * The session key material: the inline value, or the table's `SESSION_KEY` item (made on first use, cached per
 * container for 5 minutes: dynamo-session-key-material.ts).
 */
export function sessionSecretReader(source: SessionSecretSource): () => Promise<string> {
  if ('value' in source) return () => Promise.resolve(source.value);
  const material = new DynamoSessionKeyMaterial(createDocumentClient(), source.tableName);
  return () => material.read();
}

/**
 * The session cookie keys, derived from the session key material on first use and again whenever the material
 * changes (the item deleted to sign everyone out: sessions sealed with the old key then simply need a new sign-in).
 */
export function sessionKeysFrom(read: () => Promise<string>): () => Promise<SessionKeys> {
  let last: { secret: string; keys: SessionKeys } | undefined;
  return async () => {
    const secret = await read();
    if (last?.secret !== secret) last = { secret, keys: sessionKeys(secret) };
    return last.keys;
  };
}
