import { type Principal, type PublisherAdmins, principalOfUser, type SignedInIdentity } from '#shared/domain/access.ts';
import { isConsumerTenant } from '#shared/domain/entra-ids.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

export interface SignedInPrincipalDeps {
  readonly partners: Pick<PartnerStore, 'findPartnerByTenant'>;
  readonly publisherAdmins: PublisherAdmins;
}

/**
 * What a signed-in user may see: a publisher administrator (by configuration), the reseller partner registered with
 * the user's tenant, or otherwise a customer of that tenant; a personal Microsoft account only its own purchases
 * (`principalOfUser`). Looked up on every request rather than frozen into the session, so registering a partner or
 * removing an administrator takes effect at once.
 */
export async function principalOfSignedInUser(
  deps: SignedInPrincipalDeps,
  identity: SignedInIdentity,
): Promise<Principal> {
  // The consumer tenant is every personal account's: it is never a partner's, whatever was registered.
  const partner = isConsumerTenant(identity.tenantId)
    ? undefined
    : await deps.partners.findPartnerByTenant(identity.tenantId);
  return principalOfUser(identity, deps.publisherAdmins, partner?.id);
}
