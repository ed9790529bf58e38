import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { readContactStateViews } from '#shared/use-cases/alerts/contact-state-views.ts';
import type { ContactStates } from '#shared/use-cases/alerts/ports/contact-states.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { PartnerAnswer } from '#shared/use-cases/partners/save-partner.ts';

/**
 * A reseller partner, for the publisher and for that partner itself, with the state of each contact.
 * @throws ForbiddenError for customer keys and other partners' keys. @throws NotFoundError for an unknown partner.
 */
export async function getPartner(
  deps: { readonly partners: Pick<PartnerStore, 'getPartner'>; readonly contactStates: ContactStates },
  caller: Principal,
  partnerId: string,
): Promise<PartnerAnswer> {
  requirePartnerAccess(caller, partnerId);
  const partner = await deps.partners.getPartner(partnerId);
  if (!partner) throw new NotFoundError(`No partner with id ${partnerId}.`);
  return { ...partner, contactStates: await readContactStateViews(deps.contactStates, partner.contacts) };
}
