import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { Dec } from '#shared/domain/money.ts';
import { type GetEntitlementDeps, includedAllowances } from '#shared/use-cases/billing/get-entitlement.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface GetAllowanceDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly ledger: GetEntitlementDeps['ledger'];
  readonly catalog: Catalog;
  readonly clock: Clock;
}

/** One dimension's allowance in the current term. Quantities are decimal strings; `unlimited` where nothing is billed. */
export interface DimensionAllowance {
  readonly dimensionId: string;
  readonly displayName: string;
  readonly unitOfMeasure: string;
  readonly included: string;
  /** All usage of the term so far, included and overage alike. */
  readonly used: string;
  /** `unlimited`, or max(0, included − used). */
  readonly remaining: string;
  /** max(0, used − included): the usage billed above the allowance (0 for an unlimited dimension). */
  readonly overage: string;
}

export interface Allowance {
  readonly subscriptionId: string;
  readonly asOf: string;
  /** The plan whose included quantities apply (the plan in force); null when it is not in the catalog. */
  readonly planId: string | null;
  /** The current term [start, end); null before activation. */
  readonly term: { readonly start: string; readonly end: string } | null;
  readonly dimensions: readonly DimensionAllowance[];
}

/**
 * "How much of what is included have I used this term?": per dimension of the plan in force, the included quantity,
 * the usage since the term start (the anniversary, never a calendar month), what remains and the overage. The same
 * figures as the entitlement's `included` (`includedAllowances`), with the overage and the dimension names added.
 *
 * Reads: the subscription, then at most 3 queries of the ledger's daily and monthly totals.
 * @throws NotFoundError for an unknown subscription. @throws ForbiddenError for another party's subscription.
 */
export async function getAllowance(
  deps: GetAllowanceDeps,
  caller: Principal,
  subscriptionId: string,
): Promise<Allowance> {
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const now = deps.clock.now();
  const allowances = await includedAllowances(deps, subscription, now);
  const offer = deps.catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  return {
    subscriptionId: subscription.id,
    asOf: now.toISOString(),
    planId: allowances.planId ?? null,
    term:
      allowances.since && allowances.until
        ? { start: allowances.since.toISOString(), end: allowances.until.toISOString() }
        : null,
    dimensions: allowances.included.map((allowance) => {
      const known = offer?.dimensions.find((candidate) => candidate.id === allowance.dimension);
      const overage =
        allowance.included === 'unlimited' ? new Dec(0) : Dec.max(0, new Dec(allowance.used).minus(allowance.included));
      return {
        dimensionId: allowance.dimension,
        displayName: known?.displayName ?? allowance.dimension,
        unitOfMeasure: known?.unitOfMeasure ?? '',
        included: allowance.included,
        used: allowance.used,
        remaining: allowance.remaining,
        overage: overage.toString(),
      };
    }),
  };
}
