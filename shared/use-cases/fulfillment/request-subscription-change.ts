import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '#shared/domain/errors.ts';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { applyChange, notBeforeActivation, type SubscriptionChange } from '#shared/domain/subscription-lifecycle.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import type { Clock } from '../ports/clock.ts';
import { isTerminalOperationStatus, type Marketplace, type SaasOperation } from '../ports/marketplace.ts';
import {
  MarketplaceBadRequestError,
  MarketplaceNotFoundError,
  MarketplaceUnavailableError,
  OperationWaitTimeoutError,
} from '../ports/marketplace-errors.ts';
import type { VersionedSubscriptionStore } from '../ports/subscription-store.ts';
import { applySubscriptionChange, type ComputedChange } from './apply-subscription-change.ts';
import type { ChangePolicy, OverridableChangePolicy, RequestedChange } from './ports/change-policy.ts';
import type { LifecycleEventType, LifecyclePublisher } from './ports/lifecycle-publisher.ts';
import { waitForOperation } from './wait-for-operation.ts';

/** What the publisher asks Microsoft to do (reference/marketplace-api.md §1.2 rows 6–8): one thing per call. */
export type PublisherRequest =
  | { readonly kind: 'plan'; readonly planId: string; readonly overrideCreditLevel?: CreditLevelOverride }
  | { readonly kind: 'quantity'; readonly quantity: number; readonly overrideCreditLevel?: CreditLevelOverride }
  | { readonly kind: 'cancel' };

/**
 * The publisher's explicit override of the reseller's "approval required" credit level (never of a purchase block),
 * with the reason the audit trail records.
 */
export interface CreditLevelOverride {
  readonly reason: string;
}

export interface RequestSubscriptionChangeDeps {
  /** Read to check the request; written when Microsoft reports the change `Succeeded` (conditional, by operation id). */
  readonly subscriptions: VersionedSubscriptionStore;
  /** The lifecycle event of a change applied here (`PlanChanged` / `QuantityChanged`), published once. */
  readonly lifecycle: LifecyclePublisher;
  /** Where a publisher's credit-level override is recorded. */
  readonly audit?: Pick<AuditLog, 'record'>;
  readonly logger?: { warn(message: string, ...attributes: Record<string, unknown>[]): void };
  /** Wrap it in `AuditingMarketplace`: every call (the request and each poll) lands in the audit trail. */
  readonly marketplace: Marketplace;
  /** The catalog policy (`catalogChangePolicy`): the plan must exist and be offered, the seats within limits. */
  readonly policy: ChangePolicy;
  /**
   * The reseller's credit levels (`creditLevelChangePolicy`), asked after the catalog: a purchase block refuses a
   * price-raising change whoever starts it, the publisher included.
   */
  readonly creditPolicy?: OverridableChangePolicy;
  readonly clock: Clock;
  /** Longest wait for a terminal status before answering "still running" (default `DEFAULT_OPERATION_WAIT_MS`). */
  readonly operationWaitMs?: number;
  /** Pause between polls of Get Operation (default `DEFAULT_OPERATION_POLL_MS`). */
  readonly operationPollMs?: number;
  /** For tests: waits between polls. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Where a publisher operation stands, as Microsoft reports it. */
export interface PublisherOperationView {
  readonly subscriptionId: string;
  readonly operationId: string;
  /** `ChangePlan`, `ChangeQuantity` or `Unsubscribe`. */
  readonly action: string;
  /**
   * Microsoft's status: `InProgress`/`NotStarted` while running, then `Succeeded`, `Failed` or `Conflict`; `Unknown`
   * when Microsoft took the request but could not be asked how it stands.
   */
  readonly status: string;
  /** Whether the status is final. */
  readonly done: boolean;
  /** Microsoft's reason for a `Failed` operation. */
  readonly errorMessage?: string;
  /**
   * How our store gets the change: `operation` when this answer applied it (or found it applied) at the operation's
   * time stamp, because Microsoft reported a plan or seat change `Succeeded`; `webhook` otherwise (a cancellation, an
   * operation still running or failed): the webhook applies it, or the subscription sync when the webhook is missed.
   */
  readonly appliedBy: 'operation' | 'webhook';
}

/**
 * Bounded so the API answers within API Gateway's 30 s with room for the request itself (the Api function's timeout
 * is 25 s, infra/functions.ts): a longer operation is answered 202 and can be polled with `getPublisherOperation`.
 */
export const DEFAULT_OPERATION_WAIT_MS = 12_000;
/** Microsoft: "poll every few seconds" (§1.2); the usual operation ends within a few seconds. */
export const DEFAULT_OPERATION_POLL_MS = 2_000;

/**
 * A publisher-initiated change plan, change quantity or cancellation (§1.2 rows 6–8, §1.4), for a publisher key only.
 *
 * Steps: (1) the subscription must be stored; (2) the request must make sense now: a plan or seat change only for a
 * Subscribed subscription, to a plan or seat count that differs from the current one and that the catalog policy
 * accepts; a cancellation only for one not yet Unsubscribed; (3) ask Microsoft (PATCH or DELETE → 202 +
 * `Operation-Location`); (4) follow the operation with Get Operation until it is terminal or `operationWaitMs` has
 * passed; (5) a plan or seat change reported `Succeeded` is applied to the store at the operation's time stamp
 * (§1.2: "apply the change on your side only then"), recorded under the operation id with `applySubscriptionChange`,
 * so the webhook Microsoft sends for it (`Partner` source) is a duplicate and the lifecycle event is published once;
 * a cancellation, or a change that finishes later, is applied by the webhook (or the subscription sync).
 *
 * The catalog policy (`deps.policy`) refuses, among others, a plan change that leaves the subscription's term unit or
 * billing frequency (the same-term rule, change-rules.ts), answered 400 before Microsoft is asked. The
 * reseller's credit levels (`creditPolicy`) refuse a price-raising change at purchase blocked, and at approval
 * required unless the partner approved it or the request carries `overrideCreditLevel` (recorded in the audit trail);
 * the policy tells the partner of each refusal.
 *
 * @returns the operation's status: final (`done`) or still running.
 * @throws ForbiddenError for a partner or customer key.
 * @throws NotFoundError when the subscription is not stored, or Microsoft does not know it.
 * @throws ValidationError when the catalog refuses the plan or seats, they are the current ones, or the plan does
 *   not sell the current term unit with the same billing frequency (400).
 * @throws ConflictError when the subscription's state does not allow it, the reseller's credit refuses a change that
 *   raises the price (purchase blocked, or approval required without an approval), or Microsoft refuses it (locked by
 *   a pending operation, Delete not allowed for this purchase, plan not available to this customer): the message
 *   says why.
 * @throws ServiceUnavailableError when Microsoft cannot be reached (the request may or may not have been taken:
 *   retrying is safe, a duplicate answers 409 "locked" or "same plan").
 */
export async function requestSubscriptionChange(
  deps: RequestSubscriptionChangeDeps,
  caller: Principal,
  input: { readonly subscriptionId: string; readonly request: PublisherRequest },
): Promise<PublisherOperationView> {
  requirePublisher(caller, 'change the plan or seats of a subscription or cancel it');
  const { subscriptionId, request } = input;
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${subscriptionId}.`);
  const overridden = await checkRequest(deps, subscription, request);
  if (overridden) await recordOverride(deps, subscription, request, overridden);

  const correlationId = crypto.randomUUID();
  const reference = await callMarketplace(subscriptionId, () => {
    switch (request.kind) {
      case 'plan':
        return deps.marketplace.changePlan(subscriptionId, request.planId, { correlationId });
      case 'quantity':
        return deps.marketplace.changeQuantity(subscriptionId, request.quantity, { correlationId });
      case 'cancel':
        return deps.marketplace.deleteSubscription(subscriptionId, { correlationId });
    }
  });
  return follow(deps, subscriptionId, reference.operationId, actionOf(request), correlationId);
}

/**
 * The status of an operation of a subscription at Microsoft (what a 202 from `requestSubscriptionChange` points to),
 * for a publisher key only. A plan or seat change reported `Succeeded` is applied as `requestSubscriptionChange` does
 * (once: a second read finds it applied).
 * @throws ForbiddenError for a partner or customer key. @throws NotFoundError for an unknown operation.
 * @throws ServiceUnavailableError when Microsoft cannot be reached.
 */
export async function getPublisherOperation(
  deps: Pick<RequestSubscriptionChangeDeps, 'marketplace' | 'subscriptions' | 'lifecycle' | 'clock' | 'logger'>,
  caller: Principal,
  input: { readonly subscriptionId: string; readonly operationId: string },
): Promise<PublisherOperationView> {
  requirePublisher(caller, 'read marketplace operations');
  // Only subscriptions we store: an unknown id would otherwise reach Microsoft and leave an audit entry for it.
  if (!(await deps.subscriptions.read(input.subscriptionId))) {
    throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  }
  const operation = await callMarketplace(input.subscriptionId, () =>
    deps.marketplace.getOperation(input.subscriptionId, input.operationId),
  ).catch((error: unknown) => {
    // The live API answers 400 for an unknown operation id (§1.2 observed).
    if (error instanceof ConflictError) {
      throw new NotFoundError(
        `Microsoft knows no operation ${input.operationId} of subscription ${input.subscriptionId}.`,
      );
    }
    throw error;
  });
  return viewOf(operation, operation.action, await applySucceeded(deps, operation));
}

/** @returns the credit-level refusal the publisher's override lifted, if it lifted one. */
async function checkRequest(
  deps: RequestSubscriptionChangeDeps,
  subscription: Subscription,
  request: PublisherRequest,
): Promise<string | undefined> {
  if (request.kind === 'cancel') {
    if (subscription.status === 'Unsubscribed') {
      throw new ConflictError(`Subscription ${subscription.id} is already cancelled (Unsubscribed is final).`);
    }
    return undefined;
  }
  // §1.2 Change plan / quantity: "Only for Subscribed subscriptions"; "A plan cannot be changed to itself".
  if (subscription.status !== 'Subscribed') {
    throw new ConflictError(
      `Subscription ${subscription.id} is ${subscription.status}: plans and seats change only while it is Subscribed.`,
    );
  }
  if (request.kind === 'plan' && request.planId === subscription.planId) {
    throw new ValidationError(`The subscription is already on plan "${request.planId}".`, 'planId');
  }
  if (request.kind === 'quantity' && request.quantity === subscription.quantity) {
    throw new ValidationError(`The subscription already has ${request.quantity} seats.`, 'quantity');
  }
  const change: RequestedChange =
    request.kind === 'plan'
      ? { kind: 'plan', planId: request.planId }
      : { kind: 'quantity', quantity: request.quantity };
  const now = deps.clock.now();
  const decision = await deps.policy.decide({ subscription, change, now });
  if (!decision.accept)
    throw new ValidationError(
      `Refused by the plan catalog: ${decision.reason}.`,
      request.kind === 'plan' ? 'planId' : 'quantity',
    );
  // A state of the customer's credit, not a malformed request: 409, like the other states that forbid a change.
  const credit = await deps.creditPolicy?.decide({
    subscription,
    change,
    now,
    ...(request.overrideCreditLevel ? { publisherOverride: request.overrideCreditLevel } : {}),
  });
  if (credit && !credit.accept) throw new ConflictError(`Refused by the reseller's credit levels: ${credit.reason}`);
  return credit && 'overridden' in credit ? credit.overridden : undefined;
}

/** The audit trail keeps who lifted the partner's credit control, why, and what it would have refused. */
async function recordOverride(
  deps: RequestSubscriptionChangeDeps,
  subscription: Subscription,
  request: PublisherRequest,
  overridden: string,
): Promise<void> {
  if (request.kind === 'cancel' || !request.overrideCreditLevel) return;
  const what = request.kind === 'plan' ? `plan ${request.planId}` : `quantity ${request.quantity}`;
  await deps.audit?.record({
    subscriptionId: subscription.id,
    at: deps.clock.now(),
    kind: 'publisherOperation',
    what: `credit level overridden by the publisher for ${what}: ${request.overrideCreditLevel.reason}`,
    result: `would have been refused: ${overridden}`,
  });
}

/**
 * Applies a plan or seat change Microsoft reports `Succeeded` at the operation's time stamp (now when it has none),
 * under the operation's id: the webhook for the same operation then finds it applied and does nothing twice, and a
 * concurrent webhook that applied it first makes this a no-op. The lifecycle event is published once by whichever
 * applied it.
 * @returns whether the store has the change now (applied here or before); false for any other operation, and when
 *   it could not be written (the webhook, or the sync, applies it then).
 */
async function applySucceeded(
  deps: Pick<RequestSubscriptionChangeDeps, 'marketplace' | 'subscriptions' | 'lifecycle' | 'clock' | 'logger'>,
  operation: SaasOperation,
): Promise<boolean> {
  if (operation.status !== 'Succeeded') return false;
  const at = (operation.timeStamp && parseMarketplaceInstant(operation.timeStamp)) || deps.clock.now();
  let change: SubscriptionChange;
  let eventType: LifecycleEventType;
  if (operation.action === 'ChangePlan' && operation.planId) {
    change = { at, planId: operation.planId, ...(await seatsOnPlan(deps, operation)) };
    eventType = 'PlanChanged';
  } else if (operation.action === 'ChangeQuantity' && operation.quantity !== undefined) {
    change = { at, quantity: operation.quantity };
    eventType = 'QuantityChanged';
  } else {
    return false;
  }
  try {
    const result = await applySubscriptionChange(deps, {
      subscriptionId: operation.subscriptionId,
      operationId: operation.id,
      action: operation.action,
      compute: ({ subscription }): ComputedChange => {
        const changed = applyChange(subscription, { ...change, at: notBeforeActivation(subscription, change.at) });
        if (!changed.applied) return { unchanged: changed.reason === 'terminal' ? 'Unsubscribed' : 'already in force' };
        return { subscription: changed.subscription, eventType, at };
      },
    });
    return result.outcome !== 'ignored' || result.reason === 'already in force';
  } catch (error) {
    // Microsoft has made the change: the publisher gets its answer, and the webhook (or the sync) stores it.
    deps.logger?.warn('A succeeded publisher operation could not be applied here; the webhook applies it', {
      subscriptionId: operation.subscriptionId,
      operationId: operation.id,
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
}

/**
 * The seats after a plan change: Microsoft decides them on the new plan (none on a flat-rate plan) and Get
 * Subscription says what they are; left as they are when it does not show the new plan yet or cannot be read.
 */
async function seatsOnPlan(
  deps: Pick<RequestSubscriptionChangeDeps, 'marketplace'>,
  operation: SaasOperation,
): Promise<{ quantity?: number | null }> {
  try {
    const current = await deps.marketplace.getSubscription(operation.subscriptionId);
    return current.planId === operation.planId ? { quantity: current.quantity ?? null } : {};
  } catch {
    return {};
  }
}

/**
 * Polls until terminal or the wait is over. Microsoft has taken the request by now, so neither a wait that runs out
 * nor a poll that cannot reach Microsoft is an error: the answer is "still running" (`Unknown` when the last poll
 * failed), with the operation id to ask again.
 */
async function follow(
  deps: RequestSubscriptionChangeDeps,
  subscriptionId: string,
  operationId: string,
  action: string,
  correlationId: string,
): Promise<PublisherOperationView> {
  const running = (status: string): PublisherOperationView => ({
    subscriptionId,
    operationId,
    action,
    status,
    done: false,
    appliedBy: 'webhook',
  });
  try {
    const operation = await waitForOperation(
      { marketplace: deps.marketplace, clock: deps.clock, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
      {
        subscriptionId,
        operationId,
        correlationId,
        intervalMs: deps.operationPollMs ?? DEFAULT_OPERATION_POLL_MS,
        timeoutMs: deps.operationWaitMs ?? DEFAULT_OPERATION_WAIT_MS,
      },
    );
    return viewOf(operation, action, await applySucceeded(deps, operation));
  } catch (error) {
    if (error instanceof OperationWaitTimeoutError) return running(error.lastStatus ?? 'InProgress');
    if (error instanceof MarketplaceUnavailableError) return running('Unknown');
    return callMarketplace(subscriptionId, () => Promise.reject(error));
  }
}

/** Microsoft's refusals as errors the caller can act on; the rest as they are (a 500, logged in full). */
async function callMarketplace<T>(subscriptionId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof MarketplaceBadRequestError) {
      const reasons = [error.message, ...error.details.map((detail) => detail.message)].filter(Boolean);
      throw new ConflictError(`Microsoft refused the request: ${reasons.join('; ')}`, { cause: error });
    }
    if (error instanceof MarketplaceNotFoundError) {
      throw new NotFoundError(`Microsoft does not know subscription ${subscriptionId} (or this operation).`, {
        cause: error,
      });
    }
    if (error instanceof MarketplaceUnavailableError) {
      throw new ServiceUnavailableError(
        "Microsoft's marketplace API cannot be reached right now; retry in a minute. If the request had reached it, " +
          'the retry is refused with 409 (locked by the pending operation) and nothing is done twice.',
        { cause: error },
      );
    }
    throw error;
  }
}

function viewOf(operation: SaasOperation, action: string, applied: boolean): PublisherOperationView {
  const done = isTerminalOperationStatus(operation.status);
  return {
    subscriptionId: operation.subscriptionId,
    operationId: operation.id,
    action: operation.action || action,
    status: operation.status,
    done,
    ...(operation.errorMessage ? { errorMessage: operation.errorMessage } : {}),
    appliedBy: applied ? 'operation' : 'webhook',
  };
}

function actionOf(request: PublisherRequest): string {
  return request.kind === 'plan' ? 'ChangePlan' : request.kind === 'quantity' ? 'ChangeQuantity' : 'Unsubscribe';
}
