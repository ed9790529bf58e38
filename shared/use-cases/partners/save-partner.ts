import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import { requireSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { type Partner, type PartnerInput, parsePartner } from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { requireOrganizationTenant } from '#shared/domain/entra-ids.ts';
import { type ContactStateView, contactStateViews } from '#shared/use-cases/alerts/contact-state-views.ts';
import type { AlertOutbox } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import {
  type ContactLifecycleDeps,
  registerRecipientContacts,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

export interface SavePartnerDeps {
  readonly partners: Pick<PartnerStore, 'putPartner' | 'getPartner'>;
  readonly outbox?: AlertOutbox;
  /** The contact states and the confirmation messages of new contacts (our own opt-in). */
  readonly contactLifecycle: ContactLifecycleDeps;
  /** The countries alert SMS may go to (`SMS_ALLOWED_COUNTRIES`): other phone numbers are refused. */
  readonly smsCountries: readonly SmsCountry[];
  /** The publisher's offers: their names sign the confirmation message a partner's contact receives. */
  readonly catalog: Catalog;
}

/** A partner as the API answers it: the settings and the state of each contact. */
export type PartnerAnswer = Partner & { readonly contactStates: readonly ContactStateView[] };

/**
 * Creates or replaces a reseller partner (publisher only): its name, Entra tenant (how its purchases are recognised
 * as reseller purchases), language and contacts. The contacts are registered in the contact store (and the local
 * outbox subscribed to the partner's alerts) before the partner is stored, so no alert finds the partner without
 * them; contacts the partner had and no longer has stop receiving its alerts. Phone numbers must be in countries SMS
 * may go to; each new contact is sent a confirmation message (our own opt-in) and the answer carries every contact's
 * state.
 * @throws ForbiddenError for partner and customer keys.
 * @throws ValidationError naming the field (the personal accounts' tenant is refused: no organisation's).
 * @throws ConflictError when the tenant belongs to another partner (nothing is stored).
 * @throws Error when contacts cannot be registered or the partner stored.
 */
export async function savePartner(
  deps: SavePartnerDeps,
  caller: Principal,
  input: { readonly partnerId: string; readonly partner: Omit<PartnerInput, 'id'> },
): Promise<PartnerAnswer> {
  requirePublisher(caller, 'register reseller partners');
  const partner = parsePartner({ ...input.partner, id: input.partnerId });
  // On saving only, not in `parsePartner`: a partner stored with it before stays readable (and is never a partner
  // of personal accounts: shared/domain/access.ts).
  requireOrganizationTenant(partner.tenantId, 'tenantId');
  requireSmsCountries(partner.contacts.phones, deps.smsCountries);
  const recipient = { kind: 'partner' as const, id: partner.id };
  // The local mode's stand-in for e-mail and SMS shows every alert of the partner.
  await deps.outbox?.subscribeRecipient(recipient);
  const previous = await deps.partners.getPartner(partner.id);
  const states = await registerRecipientContacts(
    deps.contactLifecycle,
    recipient,
    partner.contacts,
    { locale: partner.locale, brand: publisherBrand(deps.catalog) },
    previous ? { before: previous.contacts, kept: [partner.contacts] } : undefined,
  );
  await deps.partners.putPartner(partner);
  return { ...partner, contactStates: contactStateViews(states) };
}

/**
 * What a partner's contact knows the alerts by: a partner resells the publisher's offers, so their names (the first
 * three; a publisher with one offer, as most have, is simply that offer).
 */
export function publisherBrand(catalog: Catalog): string {
  const names = catalog.offers.map((offer) => offer.displayName);
  return names.length > 3 ? `${names.slice(0, 3).join(' / ')} …` : names.join(' / ');
}
