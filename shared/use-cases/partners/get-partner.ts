import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import type { Partner } from '#shared/domain/alerts/settings.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

/**
 * A reseller partner, for the publisher and for that partner itself.
 * @throws ForbiddenError for customer keys and other partners' keys. @throws NotFoundError for an unknown partner.
 */
export async function getPartner(
  deps: { readonly partners: Pick<PartnerStore, 'getPartner'> },
  caller: Principal,
  partnerId: string,
): Promise<Partner> {
  requirePartnerAccess(caller, partnerId);
  const partner = await deps.partners.getPartner(partnerId);
  if (!partner) throw new NotFoundError(`No partner with id ${partnerId}.`);
  return partner;
}
