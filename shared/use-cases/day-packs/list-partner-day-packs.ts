import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import type { DayPack } from '#shared/domain/day-packs.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';

/**
 * The day packs issued to a reseller partner, with their redemptions: for the publisher and that partner only.
 * @throws ForbiddenError for customers and for other partners.
 */
export async function listPartnerDayPacks(
  deps: { readonly dayPacks: DayPackStore },
  caller: Principal,
  partnerId: string,
): Promise<DayPack[]> {
  requirePartnerAccess(caller, partnerId);
  return deps.dayPacks.listByPartner(partnerId);
}
