import type { Catalog } from './catalog.ts';
import { planIn } from './catalog-rules.ts';
import { billingTermFor } from './plan-history.ts';
import type { Subscription } from './subscription.ts';

/**
 * Why Microsoft would refuse a plan change for leaving the subscription's billing term, or undefined when it keeps it.
 *
 * Since 2026-07 Microsoft takes a plan change only to a plan that sells the subscription's current term unit with the
 * same billing frequency (reference/marketplace-2026.md); asking it for anything else only earns a failed operation, so
 * we refuse first and say which rule. The current frequency is the one the subscription is rated with
 * (`billingTermFor`: the Fulfillment API does not say which frequency was bought). Pure, no I/O.
 *
 * Says nothing (undefined) when it cannot judge: no stored term, or a current or target plan the catalog does not
 * know (the catalog policy answers those).
 * @returns the reason, naming the rule, the term unit and the frequency; or undefined.
 */
export function sameTermChangeRefusal(
  catalog: Catalog,
  subscription: Pick<Subscription, 'offerId' | 'planId' | 'term'>,
  targetPlanId: string,
): string | undefined {
  const termUnit = subscription.term?.termUnit;
  if (termUnit === undefined) return undefined;
  const current = planIn(catalog, subscription.offerId, subscription.planId);
  const target = planIn(catalog, subscription.offerId, targetPlanId);
  if (!current || !target || current.billingTerms.length === 0) return undefined;
  const currentTerm = billingTermFor(current, termUnit);
  // A current plan that does not sell the stored unit (a catalog edited since) still binds the unit, not a frequency.
  const frequency = currentTerm.termUnit === termUnit ? currentTerm.billingFrequency : undefined;
  const kept = target.billingTerms.some(
    (term) => term.termUnit === termUnit && (frequency === undefined || term.billingFrequency === frequency),
  );
  if (kept) return undefined;
  const what = frequency ? `term ${termUnit} billed ${frequency}` : `term ${termUnit}`;
  return (
    `same-term rule: plan "${targetPlanId}" does not sell the subscription's ${what}; since 2026-07 Microsoft ` +
    'changes plans only within the same term unit and billing frequency'
  );
}
