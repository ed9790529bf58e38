import { ValidationError } from '#shared/domain/errors.ts';

/**
 * Microsoft Entra tenant ids and object ids (the id token's `tid` and `oid`, the marketplace's
 * `beneficiary`/`purchaser` `tenantId` and `objectId`) are GUIDs: the same id may reach us in upper or lower case
 * (a publisher types a partner's tenant id, Microsoft sends its own), and GUIDs are case-insensitive. Every id is
 * lower-cased where it enters the system (stored, or read from a token), and compared with `sameEntraId` where two
 * sources meet, so that a tenant's access never depends on how someone spelled its id.
 */

/**
 * The tenant id of every personal Microsoft account (Microsoft's consumer tenant, "MSA"): the `tid` of an id token
 * issued to a personal account through the `common` or `consumers` authority (Microsoft identity platform, "ID token
 * claims reference": the GUID that indicates that the user is a consumer user from a Microsoft account). Every personal
 * account in the world shares it, so it says nothing about whose a purchase is: access in this tenant goes by the
 * user's object id, never by the tenant (`shared/domain/access.ts`).
 */
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

/** The canonical (lower-case, trimmed) form of a tenant or object id. */
export function normalizeEntraId(id: string): string {
  return id.trim().toLowerCase();
}

/** Whether two tenant ids, or two object ids, name the same tenant or user, however each is spelled. */
export function sameEntraId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && normalizeEntraId(a) === normalizeEntraId(b);
}

/** Whether this is Microsoft's consumer tenant, shared by all personal Microsoft accounts. */
export function isConsumerTenant(tenantId: string | undefined): boolean {
  return sameEntraId(tenantId, CONSUMER_TENANT_ID);
}

/**
 * Whether two tenant ids name the same organisation: what a tenant-wide scope (a customer key's or a signed-in
 * user's tenant, a partner's tenant) goes by. Never for the consumer tenant, which is no organisation: a key, partner
 * or recipient stored with it (before such were refused) must not reach every personal account's purchases.
 */
export function sameOrganizationTenant(a: string | undefined, b: string | undefined): boolean {
  return sameEntraId(a, b) && !isConsumerTenant(a);
}

/**
 * Refuses the consumer tenant where a tenant stands for one organisation (a customer key's tenant, a partner's tenant):
 * scoped to it, a key or a partner would reach every personal account's purchases.
 * @throws ValidationError naming `field`.
 */
export function requireOrganizationTenant(tenantId: string, field: string): string {
  if (isConsumerTenant(tenantId)) {
    throw new ValidationError(
      `${field} ${CONSUMER_TENANT_ID} is the tenant of every personal Microsoft account, not one organisation's: ` +
        'scoped to it, this would reach every personal account. Use a work or school tenant id (a customer key for a ' +
        'personal account is scoped by subscriptionIds instead).',
      field,
    );
  }
  return tenantId;
}
