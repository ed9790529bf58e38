import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { Partner } from '#shared/domain/alerts/settings.ts';
import type { PartnerDirectory } from '#shared/use-cases/portal-data/ports/directories.ts';
import { DEFAULT_LIST_LIMIT } from './list-subscriptions.ts';

/**
 * The reseller partners, by id, page by page: for the publisher only (a partner sees itself with
 * `GET /v1/partners/{partnerId}`).
 * @throws ForbiddenError for partner and customer callers. @throws ValidationError for a foreign cursor.
 */
export async function listPartners(
  deps: { readonly partnerDirectory: PartnerDirectory },
  caller: Principal,
  query: { readonly limit?: number; readonly cursor?: string },
): Promise<{ partners: Partner[]; nextCursor?: string }> {
  requirePublisher(caller, 'list partners');
  const page = await deps.partnerDirectory.listPartners({
    limit: query.limit ?? DEFAULT_LIST_LIMIT,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return { partners: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
