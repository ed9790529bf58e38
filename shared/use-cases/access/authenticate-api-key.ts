import type { Principal } from '#shared/domain/access.ts';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import type { ApiKeyCodec, ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';

export interface AuthenticateDeps {
  readonly apiKeys: ApiKeyStore;
  readonly codec: ApiKeyCodec;
}

/**
 * Turns a presented API key into the caller's principal.
 * Steps: parse the token, load the record by key id, compare the secret in constant time, refuse revoked keys.
 * @throws UnauthenticatedError when the key is missing, malformed, unknown, wrong or revoked (one message for
 *   the last three, so a caller cannot probe which key ids exist).
 */
export async function authenticateApiKey(deps: AuthenticateDeps, token: string | undefined): Promise<Principal> {
  if (!token) {
    throw new UnauthenticatedError('Missing API key: send it as `Authorization: Bearer mmk_…` or `x-api-key: mmk_…`.');
  }
  const parsed = deps.codec.parse(token);
  if (!parsed) {
    throw new UnauthenticatedError('Malformed API key: expected a key of the form mmk_<id>_<secret>.');
  }
  const record = await deps.apiKeys.findById(parsed.keyId);
  if (!record || record.revokedAt || !deps.codec.matches(parsed.secret, record.secretHash)) {
    throw new UnauthenticatedError('Unknown or revoked API key: ask the publisher for a valid key.');
  }
  return principalOf(record);
}

/** The principal a stored key stands for. */
export function principalOf(record: ApiKeyRecord): Principal {
  switch (record.role) {
    case 'publisher':
      return { role: 'publisher', keyId: record.keyId };
    case 'partner':
      return { role: 'partner', keyId: record.keyId, partnerId: record.partnerId ?? '' };
    case 'customer':
      return {
        role: 'customer',
        keyId: record.keyId,
        tenantId: record.tenantId,
        subscriptionIds: record.subscriptionIds ?? [],
      };
  }
}
