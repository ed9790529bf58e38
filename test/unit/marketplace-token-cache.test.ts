import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { AccessTokenCache, MARKETPLACE_SCOPE } from '#shared/adapters/marketplace/access-token-cache.ts';
import { MarketplaceTokenError } from '#shared/use-cases/ports/marketplace-errors.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A fake credential that counts calls and hands out tokens valid for one hour of the fake clock. */
class FakeCredential implements TokenCredential {
  calls = 0;
  scopes: (string | string[])[] = [];
  failNext = false;
  constructor(private readonly clock: { now: number }) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.calls += 1;
    this.scopes.push(scopes);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.failNext) throw new Error('AADSTS700027: Client assertion failed signature validation.');
    return { token: `t${this.calls}`, expiresOnTimestamp: this.clock.now + HOUR };
  }
}

function setup() {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const credential = new FakeCredential(clock);
  const cache = new AccessTokenCache(credential, { now: () => clock.now, credentialKind: 'assertion' });
  return { clock, credential, cache };
}

describe('marketplace access token cache', () => {
  it('asks for the marketplace scope once and reuses the token', async () => {
    const { credential, cache } = setup();

    expect([await cache.token(), await cache.token(), await cache.token()]).toEqual(['t1', 't1', 't1']);
    expect(credential.calls).toBe(1);
    expect(credential.scopes).toEqual([MARKETPLACE_SCOPE]);
    expect(MARKETPLACE_SCOPE).toBe('20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default');
  });

  it('shares one refresh between concurrent callers', async () => {
    const { credential, cache } = setup();

    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.token()));

    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(credential.calls).toBe(1);
  });

  it('keeps the token until five minutes before expiry, then refreshes it', async () => {
    const { clock, credential, cache } = setup();
    await cache.token();

    clock.now += HOUR - 5 * MINUTE - 1;
    expect(await cache.token()).toBe('t1');
    clock.now += 1;
    expect(await cache.token()).toBe('t2');
    expect(credential.calls).toBe(2);
  });

  it('keeps using a still-valid token when an early refresh fails', async () => {
    const { clock, credential, cache } = setup();
    await cache.token();
    clock.now += HOUR - MINUTE;
    credential.failNext = true;

    expect(await cache.token()).toBe('t1');
  });

  it('throws MarketplaceTokenError naming the credential kind when no valid token is at hand', async () => {
    const { credential, cache } = setup();
    credential.failNext = true;

    const error = await cache.token().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MarketplaceTokenError);
    expect((error as Error).message).toMatch(/assertion credential.*federated identity credential.*AADSTS700027/s);
  });
});
