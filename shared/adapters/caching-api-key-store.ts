import type { ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/** How long a function instance trusts a key record it read (`USAGE_INGEST` only; see `CachingApiKeyStore`). */
export const API_KEY_CACHE_SECONDS = 60;
/** Records kept at most; the oldest is dropped first (a publisher uses a handful of keys). */
const MAX_CACHED_KEYS = 1_000;

/**
 * An `ApiKeyStore` that remembers the records it found for a short time, for the usage ingest: an app sending usage
 * as it happens makes many small requests with one key, and reading the key's record for each of them was a third of
 * a one-event request's reads. What it costs: a key revoked meanwhile keeps working on this function instance for at
 * most `API_KEY_CACHE_SECONDS` (docs/api-and-keys.md). Keys not found are not remembered, so a new key works at once.
 * Writes go straight to the store (a revocation through this instance forgets the record at once).
 */
export class CachingApiKeyStore implements ApiKeyStore {
  private readonly records = new Map<string, { record: ApiKeyRecord; until: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
    private readonly ttlSeconds = API_KEY_CACHE_SECONDS,
  ) {}

  create(record: ApiKeyRecord): Promise<void> {
    return this.store.create(record);
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  async revoke(keyId: string, at: string): Promise<void> {
    this.records.delete(keyId);
    await this.store.revoke(keyId, at);
  }

  async findById(keyId: string): Promise<ApiKeyRecord | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.records.get(keyId);
    if (cached && cached.until > now) return cached.record;
    const record = await this.store.findById(keyId);
    this.records.delete(keyId);
    if (record) {
      if (this.records.size >= MAX_CACHED_KEYS) this.records.delete(this.records.keys().next().value as string);
      this.records.set(keyId, { record, until: now + this.ttlSeconds * 1000 });
    }
    return record;
  }
}
