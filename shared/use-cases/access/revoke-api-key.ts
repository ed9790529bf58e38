import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * Revokes a key at once; it can never be used again.
 * @throws ForbiddenError unless the caller is the publisher. @throws NotFoundError for an unknown key id.
 */
export async function revokeApiKey(
  deps: { apiKeys: ApiKeyStore; clock: Clock },
  caller: Principal,
  keyId: string,
): Promise<void> {
  requirePublisher(caller, 'revoke API keys');
  await deps.apiKeys.revoke(keyId, deps.clock.now().toISOString());
}
