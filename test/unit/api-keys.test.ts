import { describe, expect, it } from 'vitest';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '#shared/domain/errors.ts';
import { authenticateApiKey } from '#shared/use-cases/access/authenticate-api-key.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { listApiKeys } from '#shared/use-cases/access/list-api-keys.ts';
import { revokeApiKey } from '#shared/use-cases/access/revoke-api-key.ts';
import { aCustomer, aPartner, aPublisher } from '#test/builders/subscription.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryApiKeyStore } from '#test/helpers/in-memory-api-key-store.ts';

function setUp() {
  const deps = { apiKeys: new InMemoryApiKeyStore(), codec: apiKeyCodec, clock: new FixedClock() };
  return deps;
}

describe('API keys', () => {
  it('authenticates a created partner key as that partner', async () => {
    const deps = setUp();
    const created = await createApiKey(deps, aPublisher(), { name: 'p', role: 'partner', partnerId: 'partner-7' });

    const principal = await authenticateApiKey(deps, created.token);

    expect(principal).toEqual({ role: 'partner', keyId: created.record.keyId, partnerId: 'partner-7' });
  });

  it('stores only a hash of the secret, never the key itself', async () => {
    const deps = setUp();
    const created = await createApiKey(deps, aPublisher(), { name: 'c', role: 'customer', tenantId: 't1' });

    const stored = JSON.stringify([...deps.apiKeys.records.values()]);

    // The secret is everything after the key id (it may itself contain `_`).
    const secret = apiKeyCodec.parse(created.token)?.secret ?? '';
    expect(secret).toHaveLength(43);
    expect(stored).not.toContain(secret);
    expect(created.record).not.toHaveProperty('secretHash');
  });

  it('refuses a missing, malformed, unknown, tampered or revoked key with 401-type errors', async () => {
    const deps = setUp();
    const created = await createApiKey(deps, aPublisher(), { name: 'p', role: 'publisher' });
    const tampered = `${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`;
    const unknown = apiKeyCodec.generate().token;

    await expect(authenticateApiKey(deps, undefined)).rejects.toThrow(UnauthenticatedError);
    await expect(authenticateApiKey(deps, 'hello')).rejects.toThrow(/Malformed/);
    await expect(authenticateApiKey(deps, unknown)).rejects.toThrow(/Unknown or revoked/);
    await expect(authenticateApiKey(deps, tampered)).rejects.toThrow(/Unknown or revoked/);
    await revokeApiKey(deps, aPublisher(), created.record.keyId);
    await expect(authenticateApiKey(deps, created.token)).rejects.toThrow(/Unknown or revoked/);
  });

  it('lets only the publisher create, list and revoke keys', async () => {
    const deps = setUp();

    await expect(createApiKey(deps, aPartner(), { name: 'x', role: 'publisher' })).rejects.toThrow(ForbiddenError);
    await expect(listApiKeys(deps, aCustomer({ tenantId: 't' }))).rejects.toThrow(ForbiddenError);
    await expect(revokeApiKey(deps, aPartner(), 'any')).rejects.toThrow(ForbiddenError);
  });

  it('requires a scope that fits the role', async () => {
    const deps = setUp();

    await expect(createApiKey(deps, aPublisher(), { name: 'x', role: 'partner' })).rejects.toThrow(ValidationError);
    await expect(createApiKey(deps, aPublisher(), { name: 'x', role: 'customer' })).rejects.toThrow(/tenantId/);
    await expect(createApiKey(deps, aPublisher(), { name: 'x', role: 'publisher', tenantId: 't' })).rejects.toThrow(
      /no scope/,
    );
  });

  it('lists keys newest first without hashes', async () => {
    const deps = setUp();
    await createApiKey(deps, aPublisher(), { name: 'first', role: 'publisher' });
    deps.clock.advanceMinutes(1);
    await createApiKey(deps, aPublisher(), { name: 'second', role: 'publisher' });

    const listed = await listApiKeys(deps, aPublisher());

    expect(listed.map((key) => key.name)).toEqual(['second', 'first']);
    expect(listed[0]).not.toHaveProperty('secretHash');
  });
});

describe('API keys from untyped callers', () => {
  it('refuses a role that does not exist instead of storing it', async () => {
    const deps = setUp();

    await expect(createApiKey(deps, undefined, { name: 'x', role: 'admin' as never })).rejects.toThrow(/Unknown role/);
    expect(deps.apiKeys.records.size).toBe(0);
  });
});
