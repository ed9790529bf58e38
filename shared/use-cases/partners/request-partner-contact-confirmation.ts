import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { ContactLifecycleDeps } from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import {
  type ContactConfirmationAnswer,
  parseContactParam,
  requestContactConfirmation,
  requireListedContact,
} from '#shared/use-cases/alerts/request-contact-confirmation.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import { publisherBrand } from '#shared/use-cases/partners/save-partner.ts';

/**
 * `POST /v1/partners/{partnerId}/contacts/{contact}/confirmation`: the partner (or the publisher) asks for a new
 * confirmation message to one of the partner's alert contacts (`requestContactConfirmation`). A partner may not
 * change its contacts (the publisher registers them) but may ask its own people to confirm again.
 * @throws ForbiddenError for customer keys and other partners' keys.
 * @throws NotFoundError for an unknown partner or a contact it does not list.
 * @throws ValidationError for a contact that is neither an e-mail address nor an E.164 number.
 * @throws ConflictError, TooManyRequestsError: see `requestContactConfirmation`.
 */
export async function requestPartnerContactConfirmation(
  deps: {
    readonly partners: Pick<PartnerStore, 'getPartner'>;
    readonly catalog: Catalog;
    readonly contactLifecycle: ContactLifecycleDeps;
  },
  caller: Principal,
  input: { readonly partnerId: string; readonly contact: string },
): Promise<ContactConfirmationAnswer> {
  requirePartnerAccess(caller, input.partnerId);
  const partner = await deps.partners.getPartner(input.partnerId);
  if (!partner) throw new NotFoundError(`No partner with id ${input.partnerId}.`);
  const contact = requireListedContact(partner.contacts, parseContactParam(input.contact), `partner ${partner.id}`);
  return requestContactConfirmation(deps.contactLifecycle, { kind: 'partner', id: partner.id }, contact, {
    locale: partner.locale,
    brand: publisherBrand(deps.catalog),
  });
}
