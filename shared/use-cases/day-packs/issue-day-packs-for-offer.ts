import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import {
  type IssueDayPacksDeps,
  type IssueDayPacksInput,
  type IssuedDayPack,
  issueDayPacks,
} from '#shared/use-cases/day-packs/issue-day-packs.ts';

/**
 * The API's way to issue day packs: only the publisher issues them (resellers sell packs they were issued), and
 * only for an offer of the catalog, so a typo in the product key cannot create packs that extend nothing.
 * @throws ForbiddenError for partner and customer keys. @throws ValidationError for an offer not in the catalog,
 *   and for the input rules of `issueDayPacks`.
 */
export async function issueDayPacksForOffer(
  deps: IssueDayPacksDeps & { readonly catalog: Catalog },
  caller: Principal,
  input: IssueDayPacksInput,
): Promise<IssuedDayPack[]> {
  requirePublisher(caller, 'issue day packs');
  if (!deps.catalog.offers.some((offer) => offer.id === input.productKey)) {
    const known = deps.catalog.offers.map((offer) => offer.id).join(', ');
    throw new ValidationError(
      `productKey "${input.productKey}" is not an offer of the catalog (offers: ${known}).`,
      'productKey',
    );
  }
  return issueDayPacks(deps, input);
}
