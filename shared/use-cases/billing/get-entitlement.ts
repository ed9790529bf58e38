import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import type { PurchaseBlock, PurchaseBlockReason } from '#shared/domain/alerts/credit.ts';
import { parseIncluded, planInForceAt } from '#shared/domain/allowance.ts';
import type { Catalog, IncludedQuantity, Plan, TermUnit } from '#shared/domain/catalog.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { Dec } from '#shared/domain/money.ts';
import { billingTermFor, planHistoryOf } from '#shared/domain/plan-history.ts';
import type { Subscription, SubscriptionStatus } from '#shared/domain/subscription.ts';
import { termContaining } from '#shared/domain/terms.ts';
import type { DayPackStore } from '../day-packs/ports/day-pack-store.ts';
import type { UsageLedger, UsageTotals } from '../metering/ports/usage-ledger.ts';
import type { Clock } from '../ports/clock.ts';
import type { SubscriptionStore } from '../ports/subscription-store.ts';

/**
 * Whether new purchases (plan or seat increases) of a subscription are blocked by its reseller's credit, and why.
 * Implemented by the partners capability (`creditLevelPurchaseBlocks` in credit-level-change-policy.ts), so that
 * billing does not depend on partners (which depends on billing's charges).
 */
export interface PurchaseBlockCheck {
  /** @throws Error when it cannot be told now (the entitlement then answers 500 rather than guess). */
  purchaseBlockOf(subscription: Subscription): Promise<PurchaseBlock | undefined>;
}

/** A purchase block as the entitlement API shows it (amounts as `{ amount, currency }`, instants as ISO strings). */
export interface PurchaseBlockView {
  /**
   * `monthStartCheck`: the month-start check found the largest monthly charge of the six closed months above the
   * purchase-blocked level; `currentStatusCheck`: the same check, made when the level was set during the month;
   * `chargesOverLevel`: this month's charges are above it; `plannedAmountOverLevel`: the planned amount is.
   */
  readonly reason: PurchaseBlockReason;
  /** The month start or the level change (check reasons); null for the other reasons, computed at each request. */
  readonly since: string | null;
  /** The next month-start check (check reasons), the month end (charges); null for the planned amount. */
  readonly until: string | null;
  readonly amount: { readonly amount: string; readonly currency: string };
  readonly purchaseBlockedLevel: { readonly amount: string; readonly currency: string };
  /** The month of the largest charge (check reasons) or the current month (charges), in the partner's time zone. */
  readonly month: string | null;
}

export interface GetEntitlementDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly dayPacks: Pick<DayPackStore, 'findPrepaidTerm'>;
  readonly ledger: Pick<UsageLedger, 'readDailyTotals' | 'readMonthlyTotals'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly purchaseBlocks: PurchaseBlockCheck;
}

/** One dimension's included quantity in the current term. */
export interface IncludedAllowance {
  readonly dimension: string;
  /** `unlimited`, or a decimal string. */
  readonly included: IncludedQuantity;
  /** All usage of the dimension since the term start (decimal string), included and overage alike. */
  readonly used: string;
  /** `unlimited`, or max(0, included − used) as a decimal string. */
  readonly remaining: string;
}

/** What the publisher's app needs to decide whether and how far a subscription may be used (DESIGN "What it does" 5). */
export interface Entitlement {
  readonly subscriptionId: string;
  readonly status: SubscriptionStatus;
  /** True only while Subscribed: not before activation, not while Suspended, never after Unsubscribed (§1.4). */
  readonly entitled: boolean;
  readonly offerId: string;
  readonly planId: string;
  /** Seats of a per-user plan; null for flat-rate plans. */
  readonly quantity: number | null;
  /** Microsoft's billing term (§1.3), once activated. */
  readonly term: { readonly startDate: string; readonly endDate: string; readonly termUnit: TermUnit } | null;
  /** End (exclusive, ISO) of the term prepaid with day packs, when any pack was redeemed for it. */
  readonly prepaidTermEnd: string | null;
  /** Start (ISO) of the term the included quantities below count from; null before activation. */
  readonly includedSince: string | null;
  readonly included: readonly IncludedAllowance[];
  /**
   * True when the reseller's credit blocks purchases: plan or seat increases are refused, from the marketplace and
   * from the publisher API alike.
   */
  readonly purchaseBlocked: boolean;
  /** Why and since when purchases are blocked; null when they are not. */
  readonly purchaseBlock: PurchaseBlockView | null;
  /** The instant the figures are computed for. */
  readonly asOf: string;
}

/**
 * A subscription's entitlement, for any caller allowed to see the subscription (publisher, its partner, its customer).
 *
 * Included quantities follow the allowance rules of `allowance.ts` (DESIGN invariant 3): the term is the one in force
 * now (anniversary from Microsoft's `term.startDate`, reset at each renewal, never at calendar months), the included
 * quantity is the current plan's for that term, and `used` is ALL usage of the dimension since the term start, so
 * `remaining = max(0, included − used)` also after a plan change within the term.
 *
 * DynamoDB reads: 1 GetItem (subscription), then in parallel: 1 GetItem (prepaid term), at most 3 Queries of the
 * ledger's daily and monthly totals (whole UTC months of the term from the monthly totals, the partial months around
 * them from the daily totals: ≤ 36 + 62 small items whatever the number of dimensions), and the credit check
 * (1 GetItem of the credit link; only for a linked customer, its budget and partner and the usage of the month to
 * date and the six closed months: `creditPositionOf`).
 *
 * @throws NotFoundError for an unknown subscription. @throws ForbiddenError for another party's subscription.
 */
export async function getEntitlement(
  deps: GetEntitlementDeps,
  caller: Principal,
  subscriptionId: string,
): Promise<Entitlement> {
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const now = deps.clock.now();
  const [prepaid, allowance, block] = await Promise.all([
    deps.dayPacks.findPrepaidTerm(subscriptionId),
    includedAllowances(deps, subscription, now),
    deps.purchaseBlocks.purchaseBlockOf(subscription),
  ]);
  const term = subscription.term;
  return {
    subscriptionId: subscription.id,
    status: subscription.status,
    entitled: subscription.status === 'Subscribed',
    offerId: subscription.offerId,
    planId: subscription.planId,
    quantity: subscription.quantity ?? null,
    term: term ? { startDate: term.startDate, endDate: term.endDate, termUnit: term.termUnit } : null,
    prepaidTermEnd: prepaid ? prepaid.term.end.toISOString() : null,
    includedSince: allowance.since?.toISOString() ?? null,
    included: allowance.included,
    purchaseBlocked: block !== undefined,
    purchaseBlock: block ? purchaseBlockView(block) : null,
    asOf: now.toISOString(),
  };
}

function purchaseBlockView(block: PurchaseBlock): PurchaseBlockView {
  return {
    reason: block.reason,
    since: block.since?.toISOString() ?? null,
    until: block.until?.toISOString() ?? null,
    amount: block.amount.roundToMinorUnit().toJSON(),
    purchaseBlockedLevel: block.purchaseBlockedLevel.toJSON(),
    month: block.month ?? null,
  };
}

/** The included quantities of the current term, its span and the plan they come from (`includedAllowances`). */
export interface TermAllowances {
  /** Start of the current term; absent before activation. */
  readonly since?: Date;
  /** End (exclusive) of the current term; absent before activation. */
  readonly until?: Date;
  /** The plan in force (the plan whose included quantities these are); absent when it is not in the catalog. */
  readonly planId?: string;
  readonly included: IncludedAllowance[];
}

/**
 * The included quantities of the plan in force (plan-history.ts: the same plan, billing term and term start the
 * reporter bills the hour with) and their use in its current term. A subscription whose offer or plan is no longer in
 * the catalog has none to show (an empty list, not an error: its status still answers the main question).
 * Shared by the entitlement and the portal's allowance view, so both show the same figures.
 */
export async function includedAllowances(
  deps: Pick<GetEntitlementDeps, 'ledger' | 'catalog'>,
  subscription: Subscription,
  now: Date,
): Promise<TermAllowances> {
  let history: ReturnType<typeof planHistoryOf>;
  let currentPlan: Plan;
  try {
    history = planHistoryOf(subscription, deps.catalog);
    currentPlan = findPlan(deps.catalog, subscription.offerId, subscription.planId);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError) return { included: [] };
    throw error;
  }
  // After a cancellation the figures stand as they were at its instant.
  const asOf =
    history?.endsAt && history.endsAt.getTime() <= now.getTime() ? new Date(history.endsAt.getTime() - 1) : now;
  const entry = history ? (planInForceAt(history.resolved, asOf) ?? history.resolved.at(-1)) : undefined;
  const plan = entry?.plan ?? currentPlan;
  const billingTerm = entry?.billingTerm ?? billingTermFor(currentPlan, subscription.term?.termUnit);
  const dimensions = [
    ...new Set([
      ...plan.meteredDimensions.map((dimension) => dimension.dimensionId),
      ...Object.keys(billingTerm.includedQuantities),
    ]),
  ].sort();
  if (dimensions.length === 0) return { included: [] };
  const allowanceOf = (dimension: string, used: Dec): IncludedAllowance => {
    const included = billingTerm.includedQuantities[dimension] ?? '0';
    const limit = parseIncluded(included);
    return {
      dimension,
      included,
      used: used.toString(),
      remaining: limit === undefined ? 'unlimited' : Dec.max(0, limit.minus(used)).toString(),
    };
  };
  // Never activated: nothing used yet, and no term has started.
  if (!entry) return { planId: plan.id, included: dimensions.map((dimension) => allowanceOf(dimension, new Dec(0))) };

  const { start: since, end: until } = termContaining(entry.anchor, entry.billingTerm.termUnit, asOf);
  const totals = await usageTotalsSince(deps.ledger, subscription.id, since, asOf);
  const used = new Map<string, Dec>();
  for (const total of totals) {
    for (const [dimension, quantity] of Object.entries(total.quantities)) {
      used.set(dimension, (used.get(dimension) ?? new Dec(0)).plus(new Dec(quantity)));
    }
  }
  return {
    since,
    until,
    planId: plan.id,
    included: dimensions.map((dimension) => allowanceOf(dimension, used.get(dimension) ?? new Dec(0))),
  };
}

/**
 * The ledger's totals covering [since, asOf], each day counted once: whole UTC months from the monthly totals, the
 * days before the first whole month and those of the current month from the daily totals. Terms start at 00:00 UTC
 * (`plan-history.ts`: Microsoft's `term.startDate` is a day), so days and months tile the term exactly.
 */
async function usageTotalsSince(
  ledger: GetEntitlementDeps['ledger'],
  subscriptionId: string,
  since: Date,
  asOf: Date,
): Promise<UsageTotals[]> {
  const firstWholeMonth =
    since.getUTCDate() === 1
      ? monthStart(since)
      : new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth() + 1, 1));
  const currentMonth = monthStart(asOf);
  if (firstWholeMonth.getTime() >= currentMonth.getTime()) {
    return ledger.readDailyTotals(subscriptionId, dayKey(since), dayKey(asOf));
  }
  const lastWholeMonth = new Date(Date.UTC(currentMonth.getUTCFullYear(), currentMonth.getUTCMonth() - 1, 1));
  const reads: Promise<UsageTotals[]>[] = [
    ledger.readMonthlyTotals(subscriptionId, monthKey(firstWholeMonth), monthKey(lastWholeMonth)),
    ledger.readDailyTotals(subscriptionId, dayKey(currentMonth), dayKey(asOf)),
  ];
  if (since.getTime() < firstWholeMonth.getTime()) {
    reads.push(
      ledger.readDailyTotals(subscriptionId, dayKey(since), dayKey(new Date(firstWholeMonth.getTime() - 86_400_000))),
    );
  }
  return (await Promise.all(reads)).flat();
}

function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

function dayKey(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function monthKey(at: Date): string {
  return at.toISOString().slice(0, 7);
}
