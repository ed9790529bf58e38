import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';

/** Lists every API key (never the secret or its hash). @throws ForbiddenError unless the caller is the publisher. */
export async function listApiKeys(
  deps: { apiKeys: ApiKeyStore },
  caller: Principal,
): Promise<Omit<ApiKeyRecord, 'secretHash'>[]> {
  requirePublisher(caller, 'list API keys');
  const records = await deps.apiKeys.list();
  return records.map(({ secretHash: _hash, ...visible }) => visible);
}
