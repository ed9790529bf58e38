/**
 * Whether a plan or seat change the customer asked for in the marketplace (a ChangePlan / ChangeQuantity webhook,
 * reference/marketplace-api.md §2.1) fits the plan catalog. Pure: the `ChangePolicy` port
 * (`shared/use-cases/fulfillment/ports/change-policy.ts`) wraps it, and other policies (e.g. reseller credit levels) are added
 * beside it.
 */
import type { Catalog, Plan } from './catalog.ts';
import { isPlanOfferedTo, planIn } from './catalog-rules.ts';
import { billingTermFor } from './plan-history.ts';
import type { Subscription } from './subscription.ts';

/**
 * Microsoft's window for answering a ChangePlan / ChangeQuantity the customer started: a change not PATCHed within
 * 10 seconds of its webhook is accepted anyway (reference/marketplace-api.md §0, §2.1), so a rejection later than
 * that is worthless.
 */
export const CHANGE_ANSWER_WINDOW_MS = 10_000;

/**
 * Our own deadline for that answer, counted from Microsoft's webhook call: the PATCH with our decision must have been
 * sent by then, 2 s inside Microsoft's window for the webhook's own transit and the PATCH's last round trip. The
 * operation-answers consumer measures each PATCH against it (a late one is logged and counted as
 * `OperationAnswerLate`); an answer past the window would only meet an auto-accepted change.
 */
export const CHANGE_ANSWER_DEADLINE_MS = 8_000;

/**
 * The order Microsoft expects (reference/marketplace-2026.md, "The order Microsoft's reference emulator expects"):
 * the webhook call is answered first, the operation PATCHed after. The webhook's own path (Get Operation, the change
 * policy, recording the decision, queueing the PATCH) therefore ends at its 200, and is aborted after this long (a
 * path aborted answers 500 and Microsoft's redelivery is handled again, idempotently). What follows must fit in
 * `CHANGE_ANSWER_DEADLINE_MS`: the queue's delay (`CHANGE_ANSWER_QUEUE_DELAY_SECONDS`), the consumer picking the
 * message up and the PATCH itself, about 2 s in all.
 */
export const CHANGE_DECISION_DEADLINE_MS = 5_000;

/**
 * How long the PATCH message waits in the operation-answers queue before a consumer may see it. The webhook queues it
 * just before returning its 200: without a delay a fast consumer could PATCH before API Gateway has relayed that 200
 * to Microsoft, the very order Microsoft's emulator records as an error. 1 s is the smallest delay SQS offers and far
 * more than the relay takes.
 */
export const CHANGE_ANSWER_QUEUE_DELAY_SECONDS = 1;

/** A change the customer asked for: one field per operation, plan or quantity (§1.2 "one field per call"). */
export type RequestedChange =
  | { readonly kind: 'plan'; readonly planId: string }
  | { readonly kind: 'quantity'; readonly quantity: number };

/** Accept, or reject with a reason that is logged, audited and shown to the operator. */
export type ChangeDecision = { readonly accept: true } | { readonly accept: false; readonly reason: string };

export const ACCEPT: ChangeDecision = { accept: true };

/**
 * The catalog's verdict: a plan must exist in the subscription's offer and be offered to the beneficiary's tenant
 * (private plans list their audience, §1.2 "A private plan must list the customer's tenant") and sell the
 * subscription's current term with the same billing frequency (`sameTermRefusal`); a quantity must be a whole number
 * within the current plan's seat limits, on a per-user plan.
 */
export function decideByCatalog(catalog: Catalog, subscription: Subscription, change: RequestedChange): ChangeDecision {
  const offer = catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  if (!offer) return reject(`offer "${subscription.offerId}" is not in the plan catalog`);
  if (change.kind === 'plan') {
    const plan = planIn(catalog, offer.id, change.planId);
    if (!plan) return reject(`plan "${change.planId}" is not in the catalog of offer "${offer.id}"`);
    const buyer = { tenantId: subscription.beneficiary.tenantId, subscriptionId: subscription.id };
    if (!isPlanOfferedTo(plan, buyer)) {
      return reject(`plan "${plan.id}" is private and not offered to tenant ${subscription.beneficiary.tenantId}`);
    }
    const current = planIn(catalog, offer.id, subscription.planId);
    const sameTerm = current ? sameTermRefusal(current, subscription, plan) : undefined;
    return sameTerm ? reject(sameTerm) : ACCEPT;
  }
  const plan = planIn(catalog, offer.id, subscription.planId);
  if (!plan) return reject(`the current plan "${subscription.planId}" is not in the catalog of offer "${offer.id}"`);
  if (plan.pricingModel !== 'perUser') return reject(`plan "${plan.id}" is not priced per user: it has no seats`);
  const { min, max } = seatLimits(plan);
  if (!Number.isInteger(change.quantity) || change.quantity < min || (max !== undefined && change.quantity > max)) {
    return reject(
      `quantity ${change.quantity} is outside the seat limits of plan "${plan.id}" (${min} to ${max ?? 'no limit'})`,
    );
  }
  return ACCEPT;
}

/** The name of the same-term rule, in every refusal it causes (for the audit trail, the logs and API answers). */
export const SAME_TERM_RULE = 'same-term rule';

/**
 * THE same-term rule (marketplace-2026.md, Azure update 568591: since 2026-07, after a purchase, plan changes are
 * allowed only to plans with the same term and billing frequency): why moving `subscription` from `currentPlan` to
 * `target` breaks it, or undefined when it does not. The current term is the subscription's term unit with the
 * billing frequency `billingTermFor` chooses for it (the one it is rated with); a term unit this system does not rate
 * (`unratedTermUnit`, e.g. `PAY`) is sold by no plan of the catalog, so no change can keep it.
 */
export function sameTermRefusal(
  currentPlan: Plan,
  subscription: Pick<Subscription, 'term' | 'unratedTermUnit'>,
  target: Plan,
): string | undefined {
  const unrated = subscription.term ? undefined : subscription.unratedTermUnit;
  const termUnit = unrated ?? billingTermFor(currentPlan, subscription.term?.termUnit).termUnit;
  const frequency = unrated ? undefined : billingTermFor(currentPlan, subscription.term?.termUnit).billingFrequency;
  const sold = target.billingTerms.some(
    (term) => term.termUnit === termUnit && frequency !== undefined && term.billingFrequency === frequency,
  );
  if (sold) return undefined;
  return (
    `${SAME_TERM_RULE}: plan "${target.id}" does not sell the subscription's term ${termUnit}` +
    `${frequency ? ` billed ${frequency}` : ''}; since 2026-07 Microsoft allows plan changes only to plans with the ` +
    'same term and billing frequency'
  );
}

/** Seat limits of a per-user plan: at least 1 when the catalog sets no minimum; no maximum unless it sets one. */
export function seatLimits(plan: Plan): { readonly min: number; readonly max?: number } {
  return { min: plan.minQuantity ?? 1, ...(plan.maxQuantity === undefined ? {} : { max: plan.maxQuantity }) };
}

function reject(reason: string): ChangeDecision {
  return { accept: false, reason };
}
