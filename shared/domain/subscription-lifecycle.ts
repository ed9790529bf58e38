/**
 * How marketplace lifecycle changes (activation, plan and seat changes, suspension, reinstatement, cancellation,
 * renewal) are written into a subscription's timeline. Pure: no I/O, no clock.
 *
 * Microsoft delivers webhooks out of order and more than once (reference/marketplace-api.md §2.1: "500 retries over
 * 8 hours", §6.5), so a change is placed at the instant it took effect, not appended at the instant it arrived, and
 * each period remembers which fields its change set. The values in force at any instant are then a fold over the
 * changes in time order, which is the same whatever order they arrived in: a Suspend delivered after the Reinstate
 * that ended it still leaves the subscription Subscribed, and the hours before the suspension stay reportable (DESIGN
 * invariant 2). `Unsubscribed` is terminal (§1.4: "A cancelled subscription can never be reactivated"): nothing is
 * applied at or after it, and a cancellation placed before later changes ends them too.
 */
import type {
  Subscription,
  SubscriptionPeriod,
  SubscriptionPeriodField,
  SubscriptionStatus,
  SubscriptionTerm,
} from './subscription.ts';
import { termProblemOf } from './subscription.ts';

/** What changes, from when. Fields left out carry on; `quantity: null` clears the seats (a flat-rate plan). */
export interface SubscriptionChange {
  readonly at: Date;
  readonly status?: SubscriptionStatus;
  readonly planId?: string;
  /** Seats; `null` when the new plan is not per seat. */
  readonly quantity?: number | null;
}

export type ChangeResult =
  | { readonly applied: true; readonly subscription: Subscription }
  /**
   * `terminal`: the subscription was already Unsubscribed at `at` (or before): nothing changes, ever.
   * `noChange`: this very change is recorded already (same instant, same values), or it sets nothing.
   */
  | { readonly applied: false; readonly reason: 'terminal' | 'noChange' };

const FIELDS: readonly SubscriptionPeriodField[] = ['status', 'planId', 'quantity'];

interface Values {
  status: SubscriptionStatus;
  planId: string;
  quantity: number | undefined;
}

/** A period as the change that started it: when, which fields it set, and to what. */
interface Step {
  readonly from: string;
  readonly sets: ReadonlySet<SubscriptionPeriodField>;
  readonly values: Values;
}

/** Whether the subscription's life has ended (§1.4: Unsubscribed is terminal). */
export function isTerminal(subscription: Pick<Subscription, 'status'>): boolean {
  return subscription.status === 'Unsubscribed';
}

/**
 * Records a change at its instant and returns the subscription with its timeline refolded and its current status,
 * plan and quantity taken from the last period. A change at the instant of an existing one is merged into it.
 */
export function applyChange(subscription: Subscription, change: SubscriptionChange): ChangeResult {
  const steps = stepsOf(subscription);
  const at = change.at.getTime();
  const cancelled = fold(steps).find((period) => period.status === 'Unsubscribed');
  if (cancelled && Date.parse(cancelled.from) <= at) return { applied: false, reason: 'terminal' };
  const fields = FIELDS.filter((field) => change[field] !== undefined);
  if (fields.length === 0) return { applied: false, reason: 'noChange' };

  const from = change.at.toISOString();
  const index = steps.findIndex((step) => Date.parse(step.from) === at);
  const existing = steps[index];
  const given: Partial<Values> = {
    ...(change.status === undefined ? {} : { status: change.status }),
    ...(change.planId === undefined ? {} : { planId: change.planId }),
    ...(change.quantity === undefined ? {} : { quantity: change.quantity ?? undefined }),
  };
  if (existing && fields.every((field) => existing.sets.has(field) && existing.values[field] === given[field])) {
    return { applied: false, reason: 'noChange' };
  }
  const placeholder = existing?.values ?? steps[0]?.values ?? valuesOf(subscription);
  const step: Step = {
    from,
    sets: new Set([...(existing?.sets ?? []), ...fields]),
    values: { ...placeholder, ...given },
  };
  const next = existing
    ? steps.map((candidate, position) => (position === index ? step : candidate))
    : [...steps, step].sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
  const timeline = fold(next);
  const last = timeline[timeline.length - 1] as SubscriptionPeriod;
  const { quantity: _previous, ...rest } = subscription;
  return {
    applied: true,
    subscription: {
      ...rest,
      timeline,
      status: last.status,
      planId: last.planId,
      ...(last.quantity === undefined ? {} : { quantity: last.quantity }),
    },
  };
}

/**
 * When a change Microsoft made to an activated subscription takes effect: its time stamp, but never before the
 * activation we recorded. Microsoft changes plan, seats or status only once a subscription is active, yet the landing
 * page records the activation on our clock while Microsoft stamps its operations on its own. With our clock a little
 * ahead, a seat change made just after the activation reads as older than it; placed there, it would fall before the
 * activation's period and be hidden by it, and the old seats would stay in force. At the activation instant instead,
 * it merges into that period (or, when it sets what the activation set, is recognised as already in force).
 * Activation itself (the Subscribe webhook moving it back to the purchase instant) is not placed with this.
 */
export function notBeforeActivation(subscription: Subscription, at: Date): Date {
  const steps = stepsOf(subscription);
  // Only an activation we recorded (a pending purchase made active) is on our clock. A subscription first stored
  // from Get Subscription as already active holds Microsoft's state when we read it: a change stamped before that
  // read is in it already, and placed before it is harmless.
  const activation = steps.find(
    (step, index) =>
      index > 0 &&
      step.values.status !== 'PendingFulfillmentStart' &&
      steps[index - 1]?.values.status === 'PendingFulfillmentStart',
  );
  if (!activation) return at;
  const activatedAt = Date.parse(activation.from);
  return at.getTime() < activatedAt ? new Date(activatedAt) : at;
}

/**
 * The subscription with the term Microsoft reports after a renewal (§1.4 Renew: "The term dates move to the new
 * term"). A term older than the stored one (a late or repeated Renew) changes nothing; nor does a cancelled
 * subscription get a new term, nor does a term whose end is not after its start (bad data).
 * @returns undefined when nothing changes.
 */
export function withRenewedTerm(subscription: Subscription, term: SubscriptionTerm): Subscription | undefined {
  const current = subscription.term;
  if (isTerminal(subscription)) return undefined;
  // Bad data (an end not after its start) never becomes the current term; callers log it (`termProblemOf`).
  if (termProblemOf(term)) return undefined;
  if (current && Date.parse(term.startDate) < Date.parse(current.startDate)) return undefined;
  if (
    current &&
    current.startDate === term.startDate &&
    current.endDate === term.endDate &&
    current.termUnit === term.termUnit
  ) {
    return undefined;
  }
  return { ...subscription, term };
}

/**
 * The periods with the values in force in each: a field a step did not set carries on from the step before (the
 * first step's unset fields from the earliest full one); once Unsubscribed, nothing changes any more.
 */
function fold(steps: readonly Step[]): SubscriptionPeriod[] {
  const seed = steps.find((step) => step.sets.size === FIELDS.length) ?? steps[0];
  if (!seed) return [];
  let current: Values = { ...seed.values };
  return steps.map((step) => {
    // After a cancellation nothing applies any more: a change recorded after it (it arrived before the
    // cancellation did) is kept in the record but changes no value.
    if (current.status !== 'Unsubscribed') {
      current = {
        status: step.sets.has('status') ? step.values.status : current.status,
        planId: step.sets.has('planId') ? step.values.planId : current.planId,
        quantity: step.sets.has('quantity') ? step.values.quantity : current.quantity,
      };
    }
    return {
      from: step.from,
      status: current.status,
      planId: current.planId,
      ...(current.quantity === undefined ? {} : { quantity: current.quantity }),
      ...(step.sets.size === FIELDS.length ? {} : { sets: FIELDS.filter((field) => step.sets.has(field)) }),
    };
  });
}

/** The timeline as steps; records written before timelines existed count as one full step from the epoch. */
function stepsOf(subscription: Subscription): Step[] {
  const timeline =
    subscription.timeline && subscription.timeline.length > 0
      ? subscription.timeline
      : [{ from: new Date(0).toISOString(), ...valuesOf(subscription) }];
  return [...timeline]
    .sort((a, b) => Date.parse(a.from) - Date.parse(b.from))
    .map((period) => ({
      from: period.from,
      sets: new Set(period.sets ?? FIELDS),
      values: { status: period.status, planId: period.planId, quantity: period.quantity },
    }));
}

function valuesOf(subscription: Subscription): Values {
  return { status: subscription.status, planId: subscription.planId, quantity: subscription.quantity };
}
