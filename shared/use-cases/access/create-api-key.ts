import { type Principal, type Role, requirePublisher } from '#shared/domain/access.ts';
import { requireOrganizationTenant } from '#shared/domain/entra-ids.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { ApiKeyCodec, ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

export interface CreateApiKeyDeps {
  readonly apiKeys: ApiKeyStore;
  readonly codec: ApiKeyCodec;
  readonly clock: Clock;
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly role: Role;
  readonly partnerId?: string;
  readonly tenantId?: string;
  readonly subscriptionIds?: readonly string[];
}

export interface CreatedApiKey {
  /** The full key: shown once, never stored. */
  readonly token: string;
  readonly record: Omit<ApiKeyRecord, 'secretHash'>;
}

/**
 * Issues a scoped API key.
 * Steps: check the caller is the publisher (or `caller` is undefined: the operator bootstrap), check the scope
 * fits the role, generate the key, store its hash.
 * @throws ForbiddenError when a non-publisher asks.
 * @throws ValidationError when a partner key has no partnerId, a customer key has neither tenantId nor
 *   subscriptionIds or has the personal accounts' tenant, or a publisher key carries a scope.
 */
export async function createApiKey(
  deps: CreateApiKeyDeps,
  caller: Principal | undefined,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  if (caller) requirePublisher(caller, 'create API keys');
  assertScopeFitsRole(input);
  const generated = deps.codec.generate();
  const record: ApiKeyRecord = {
    keyId: generated.keyId,
    name: input.name,
    role: input.role,
    partnerId: input.role === 'partner' ? input.partnerId : undefined,
    tenantId: input.role === 'customer' ? input.tenantId : undefined,
    subscriptionIds: input.role === 'customer' ? input.subscriptionIds : undefined,
    secretHash: generated.secretHash,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.apiKeys.create(record);
  const { secretHash: _hash, ...visible } = record;
  return { token: generated.token, record: visible };
}

function assertScopeFitsRole(input: CreateApiKeyInput): void {
  const hasCustomerScope = input.tenantId !== undefined || (input.subscriptionIds?.length ?? 0) > 0;
  switch (input.role) {
    case 'publisher':
      if (input.partnerId || hasCustomerScope) {
        throw new ValidationError('A publisher key has no scope: remove partnerId, tenantId and subscriptionIds.');
      }
      return;
    case 'partner':
      if (!input.partnerId) throw new ValidationError('A partner key needs partnerId.', 'partnerId');
      if (hasCustomerScope) {
        throw new ValidationError('A partner key is scoped by partnerId only: remove tenantId and subscriptionIds.');
      }
      return;
    case 'customer':
      if (!hasCustomerScope) {
        throw new ValidationError('A customer key needs tenantId or subscriptionIds (or both).', 'tenantId');
      }
      if (input.partnerId) throw new ValidationError('A customer key cannot carry partnerId.', 'partnerId');
      if (input.tenantId !== undefined) requireOrganizationTenant(input.tenantId, 'tenantId');
      return;
    default:
      // Reachable from untyped callers (the operator tool): never store a key with a role nobody checks for.
      throw new ValidationError(`Unknown role "${String(input.role)}": use publisher, partner or customer.`, 'role');
  }
}
