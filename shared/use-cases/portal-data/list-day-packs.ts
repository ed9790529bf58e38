import { type Principal, requirePartnerAccess } from '#shared/domain/access.ts';
import type { DayPack } from '#shared/domain/day-packs.ts';
import { ForbiddenError, ValidationError } from '#shared/domain/errors.ts';
import type { DayPackDirectory } from '#shared/use-cases/portal-data/ports/directories.ts';
import { DEFAULT_LIST_LIMIT } from './list-subscriptions.ts';

/**
 * A partner's day packs with their redemptions, oldest issue first, page by page: a partner its own (`partnerId`
 * defaults to it), the publisher any partner's (`partnerId` required: packs are indexed per partner).
 * @throws ForbiddenError for customers and for another partner's packs.
 * @throws ValidationError when the publisher gives no partnerId, or for a foreign cursor.
 */
export async function listDayPacks(
  deps: { readonly dayPackDirectory: DayPackDirectory },
  caller: Principal,
  query: { readonly partnerId?: string; readonly limit?: number; readonly cursor?: string },
): Promise<{ dayPacks: DayPack[]; nextCursor?: string }> {
  if (caller.role === 'customer') {
    throw new ForbiddenError('Day packs are listed for the publisher and partners; this request used a customer key.');
  }
  const partnerId = query.partnerId ?? (caller.role === 'partner' ? caller.partnerId : undefined);
  if (partnerId === undefined) {
    throw new ValidationError(
      'partnerId is required: day packs are listed per partner (e.g. ?partnerId=p-1)',
      'partnerId',
    );
  }
  requirePartnerAccess(caller, partnerId);
  const page = await deps.dayPackDirectory.listByPartnerPage(partnerId, {
    limit: query.limit ?? DEFAULT_LIST_LIMIT,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return { dayPacks: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
