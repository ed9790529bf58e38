import { describe, expect, it } from 'vitest';
import { CachingApiKeyStore } from '#shared/adapters/caching-api-key-store.ts';
import type { ApiKeyRecord } from '#shared/use-cases/access/ports/api-key-store.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryApiKeyStore } from '#test/helpers/in-memory-api-key-store.ts';

const aRecord = (keyId: string): ApiKeyRecord => ({
  keyId,
  name: 'app',
  role: 'publisher',
  secretHash: 'hash',
  createdAt: '2026-01-01T00:00:00Z',
});

/** Counts the reads that reach the store. */
class CountingStore extends InMemoryApiKeyStore {
  reads = 0;
  override async findById(keyId: string) {
    this.reads += 1;
    return super.findById(keyId);
  }
}

describe('the API key cache of the usage ingest', () => {
  it('reads a found key once per minute, then again', async () => {
    const store = new CountingStore();
    await store.create(aRecord('k1'));
    const clock = new FixedClock('2026-01-15T10:00:00Z');
    const cache = new CachingApiKeyStore(store, clock, 60);

    await cache.findById('k1');
    await cache.findById('k1');
    clock.advanceMinutes(1.001);
    await cache.findById('k1');

    expect(store.reads).toBe(2);
  });

  it('never remembers a key it did not find, so a new key works at once', async () => {
    const store = new CountingStore();
    const cache = new CachingApiKeyStore(store, new FixedClock(), 60);

    expect(await cache.findById('k2')).toBeUndefined();
    await store.create(aRecord('k2'));

    expect(await cache.findById('k2')).toMatchObject({ keyId: 'k2' });
  });

  it('forgets a key revoked through it at once, and sees another instance’s revocation after the minute', async () => {
    const store = new CountingStore();
    await store.create(aRecord('k3'));
    await store.create(aRecord('k4'));
    const clock = new FixedClock('2026-01-15T10:00:00Z');
    const cache = new CachingApiKeyStore(store, clock, 60);
    await cache.findById('k3');
    await cache.findById('k4');

    await cache.revoke('k3', '2026-01-15T10:00:01Z');
    await store.revoke('k4', '2026-01-15T10:00:01Z');

    expect((await cache.findById('k3'))?.revokedAt).toBeDefined();
    expect((await cache.findById('k4'))?.revokedAt).toBeUndefined();
    clock.advanceMinutes(1.001);
    expect((await cache.findById('k4'))?.revokedAt).toBeDefined();
  });
});
