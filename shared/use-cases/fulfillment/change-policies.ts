import type { Catalog } from '#shared/domain/catalog.ts';
import { ACCEPT, decideByCatalog } from '#shared/domain/change-rules.ts';
import type { ChangePolicy } from './ports/change-policy.ts';

/**
 * The default policy: accept what the plan catalog allows (a known plan offered to the beneficiary's tenant, a seat
 * count within the plan's limits) and reject the rest.
 */
export function catalogChangePolicy(catalog: Catalog): ChangePolicy {
  return { decide: async ({ subscription, change }) => decideByCatalog(catalog, subscription, change) };
}

/**
 * Accepts only what every policy accepts; the first rejection (in the order given) is the answer. How further rules
 * join the default one, e.g. `allPolicies(catalogChangePolicy(catalog), creditLevelPolicy(partners))`.
 */
export function allPolicies(...policies: readonly ChangePolicy[]): ChangePolicy {
  return {
    decide: async (request) => {
      for (const policy of policies) {
        const decision = await policy.decide(request);
        if (!decision.accept) return decision;
      }
      return ACCEPT;
    },
  };
}
