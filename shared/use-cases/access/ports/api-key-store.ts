import type { Role } from '#shared/domain/access.ts';

/** A stored API key. Only a hash of the secret is kept: a leaked table does not leak usable keys. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  /** Partner keys: the partner whose customers the key may see. */
  readonly partnerId?: string;
  /** Customer keys: the customer's Entra tenant (all its subscriptions) and/or explicit subscription ids. */
  readonly tenantId?: string;
  readonly subscriptionIds?: readonly string[];
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/** Persistence of API keys. */
export interface ApiKeyStore {
  /** @throws ConflictError when a key with this id exists already. */
  create(record: ApiKeyRecord): Promise<void>;
  findById(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, newest first, without secrets' hashes being of any use to the caller. */
  list(): Promise<ApiKeyRecord[]>;
  /** @throws NotFoundError when no such key exists. */
  revoke(keyId: string, at: string): Promise<void>;
}

/** Making and checking key tokens (the crypto lives in an adapter, not in the use cases). */
export interface ApiKeyCodec {
  /** A new random key: the token is shown to the caller once; only the hash is stored. */
  generate(): { keyId: string; token: string; secretHash: string };
  /** Splits a presented token; undefined when it is not in our format. */
  parse(token: string): { keyId: string; secret: string } | undefined;
  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, secretHash: string): boolean;
}
