import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import { type Partner, type PartnerInput, parsePartner } from '#shared/domain/alerts/settings.ts';
import type { AlertOutbox } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import {
  type RegisterAlertContactsDeps,
  registerRecipient,
  releaseRemovedContacts,
} from '#shared/use-cases/alerts/register-alert-contacts.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

export interface SavePartnerDeps extends RegisterAlertContactsDeps {
  readonly partners: Pick<PartnerStore, 'putPartner' | 'getPartner'>;
  readonly outbox?: AlertOutbox;
}

/**
 * Creates or replaces a reseller partner (publisher only): its name, Entra tenant (how its purchases are recognised
 * as reseller purchases), language and contacts. The contacts are registered (and the local outbox subscribed to the partner's
 * alerts) before the partner is stored, so no alert finds the partner without them; contacts the partner had and no
 * longer has stop receiving its alerts.
 * @throws ForbiddenError for partner and customer keys.
 * @throws ValidationError naming the field.
 * @throws ConflictError when the tenant belongs to another partner (nothing is stored).
 * @throws Error when contacts cannot be registered or the partner stored.
 */
export async function savePartner(
  deps: SavePartnerDeps,
  caller: Principal,
  input: { readonly partnerId: string; readonly partner: Omit<PartnerInput, 'id'> },
): Promise<Partner> {
  requirePublisher(caller, 'register reseller partners');
  const partner = parsePartner({ ...input.partner, id: input.partnerId });
  const recipient = { kind: 'partner' as const, id: partner.id };
  await registerRecipient(deps, recipient, partner.contacts, partner.locale);
  const previous = await deps.partners.getPartner(partner.id);
  if (previous) await releaseRemovedContacts(deps, recipient, previous.contacts, [partner.contacts]);
  await deps.partners.putPartner(partner);
  return partner;
}
