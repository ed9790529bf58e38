import type { Principal } from '#shared/domain/access.ts';
import type { SignedInUser } from './session.ts';

/**
 * `GET /v1/me` for a signed-in user (portal contract): the role and its scope, and who the user is (tenant and object
 * ids lower case, as the principal compares them). A personal Microsoft account's customer principal has no
 * `tenantId`: it sees its own purchases, not its tenant's. The CSRF token is not repeated here: the page has it from
 * its `<meta name="csrf-token">`.
 */
export function signedInMe(principal: Principal, user: SignedInUser) {
  const ids = principal.user ?? user;
  return {
    role: principal.role,
    ...(principal.role === 'partner' ? { partnerId: principal.partnerId } : {}),
    ...(principal.role === 'customer' && principal.tenantId ? { tenantId: principal.tenantId } : {}),
    user: {
      tenantId: ids.tenantId,
      objectId: ids.objectId,
      ...(user.name ? { name: user.name } : {}),
      ...(user.email ? { email: user.email } : {}),
    },
  };
}
