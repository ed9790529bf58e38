/**
 * The connection webhook's use case (reference/marketplace-api.md §2): confirm with Get Operation, then per action —
 * Subscribe, ChangePlan / ChangeQuantity (decided, answered, PATCHed later by answer-operation.ts), Reinstate,
 * Suspend, Unsubscribe, Renew — apply once with claimed side effects. (Over 400 lines: the per-action handlers share
 * one context and the claim helpers; splitting them per action is a known follow-up, not done in this change.)
 */
import { CHANGE_DECISION_DEADLINE_MS, type RequestedChange } from '#shared/domain/change-rules.ts';
import { UnauthenticatedError, ValidationError } from '#shared/domain/errors.ts';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';
import {
  applyChange,
  notBeforeActivation,
  type SubscriptionChange,
  withRenewedTerm,
} from '#shared/domain/subscription-lifecycle.ts';
import { isTestSubscriptionId, TEST_WEBHOOK_ACTIONS } from '#shared/domain/test-subscriptions.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import type { Clock } from '../ports/clock.ts';
import type { Marketplace, MarketplaceCallOptions, SaasOperation } from '../ports/marketplace.ts';
import { MarketplaceBadRequestError, MarketplaceNotFoundError } from '../ports/marketplace-errors.ts';
import type { OperationDecision, OperationRecord, VersionedSubscriptionStore } from '../ports/subscription-store.ts';
import {
  type ApplySubscriptionChangeResult,
  applySubscriptionChange,
  type ComputedChange,
  publishPendingEvent,
} from './apply-subscription-change.ts';
import { subscriptionFromMarketplace, termFromMarketplace } from './marketplace-subscription.ts';
import type { ChangePolicy } from './ports/change-policy.ts';
import type { LifecycleEventType, LifecyclePublisher } from './ports/lifecycle-publisher.ts';
import type { OperationAnswerQueue } from './ports/operation-answer-queue.ts';
import type { WebhookCaller } from './ports/webhook-authenticator.ts';

/** A webhook notification after lenient parsing (reference/marketplace-api.md §2.2): only the first three are sure. */
export interface FulfillmentNotification {
  /** The operation id (`id`). */
  readonly operationId: string;
  readonly subscriptionId: string;
  readonly action: string;
  readonly status?: string;
  readonly planId?: string;
  readonly quantity?: number;
  readonly timeStamp?: string;
  readonly activityId?: string;
  readonly operationRequestSource?: string;
}

export interface WebhookLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** What applying a confirmed operation needs: the webhook's and the operation-answers consumer's common part. */
export interface ApplyOperationDeps {
  readonly subscriptions: VersionedSubscriptionStore;
  readonly marketplace: Marketplace;
  readonly lifecycle: LifecyclePublisher;
  readonly clock: Clock;
  readonly logger: WebhookLogger;
}

export interface HandleFulfillmentWebhookDeps extends ApplyOperationDeps {
  /** Give it a tight retry budget: see `answerDeadlineMs`. */
  readonly marketplace: Marketplace;
  readonly policy: ChangePolicy;
  readonly audit: AuditLog;
  /** Where the PATCH a ChangePlan / ChangeQuantity / Reinstate owes is queued, to be sent after our 200. */
  readonly answers: OperationAnswerQueue;
  /**
   * The webhook's marketplace calls on the way to its answer (Get Operation, Get Subscription for a subscription never
   * stored) are aborted after this long. Default and deployed: `CHANGE_DECISION_DEADLINE_MS` (change-rules.ts: the
   * queued PATCH must still fit in Microsoft's 10 s window); tests pass a shorter one.
   */
  readonly answerDeadlineMs?: number;
  /**
   * Called once a cancellation is stored: reports the subscription's remaining usage at once, since usage for hours
   * before the cancellation stays reportable (marketplace-api.md §4.3). Best effort: the scheduled reporter reports
   * those hours anyway after its grace period, so a failure here is logged and never fails the webhook.
   */
  readonly flushUsage?: (subscriptionId: string, until: Date) => Promise<void>;
}

export type WebhookOutcome =
  /** The change is stored (and its event published). */
  | 'applied'
  /**
   * ChangePlan / ChangeQuantity: our decision is recorded and its PATCH queued; the operation-answers consumer sends it
   * after this answer, then applies the change once Microsoft has it Succeeded.
   */
  | 'decided'
  /** Our policy refused the change: PATCHed Failure, nothing stored but the record. */
  | 'rejected'
  /** This operation was handled before: nothing changed. */
  | 'duplicate'
  /** The payload does not match what Get Operation says (or the operation does not exist): not applied. */
  | 'mismatch'
  /** Microsoft reports the operation Failed or Conflict: not applied. */
  | 'notApplied'
  /** Changes nothing (already in force, a terminal subscription). */
  | 'ignored'
  /**
   * An action this system does not know (Microsoft adds actions: `Subscribe` came in 2026): acknowledged, audited and
   * counted (`UnknownWebhookAction`), nothing changed; the subscription sync brings the state.
   */
  | 'unknownAction';

export interface WebhookResult {
  readonly outcome: WebhookOutcome;
  readonly detail?: string;
}

/**
 * Handles one authenticated webhook call (§2.1). The caller has verified the bearer token (DESIGN invariant 5).
 *
 * Steps: (1) an operation already finished on our side is a replay: nothing changes (a PATCH or event still owed from
 * an interrupted delivery is completed); (2) Get Operation confirms the call: an unknown operation or one whose
 * subscription, action, plan or quantity differ from the payload is not applied (§2.1 "call Get Operation to check
 * that the call and its payload are genuine"), and answered 200 so Microsoft does not loop; (3) a subscription we never
 * stored is stored from Get Subscription; (4) per action, from Get Operation's view:
 * - ChangePlan / ChangeQuantity InProgress: decide with the `ChangePolicy`, record the decision and queue its PATCH
 *   (`answerOperation` sends it once this call is answered, as Microsoft expects: answer first, then PATCH, within
 *   10 s); Succeeded (publisher-initiated, or auto-accepted) applies; Failed / Conflict are not applied. A refusal is
 *   answered 200 too, then PATCHed `Failure`: a 4xx would look like a broken endpoint and be retried (§2.1, §6.5);
 * - Reinstate InProgress: make it Subscribed, then queue its PATCH Success (§1.4); Succeeded applies;
 * - Suspend / Unsubscribe: the status from the operation's time stamp; Renew: the term from Get Subscription.
 * Each applied change publishes a lifecycle event. Every call is audited.
 *
 * @returns what happened, for the response and the logs (every outcome answers 200).
 * @throws MarketplaceError (unavailable, forbidden, …), a store error, or `ConflictError` after repeated concurrent
 *   writes: nothing was applied that a redelivery would not complete, so the caller answers 500 and Microsoft retries.
 * @throws Error when an inform-only operation (Suspend, Unsubscribe, Renew) is not final yet at Microsoft: answer 500
 *   so that the redelivery finds it final (§2.2: only final statuses are actionable).
 */
export async function handleFulfillmentWebhook(
  givenDeps: HandleFulfillmentWebhookDeps,
  input: {
    readonly notification: FulfillmentNotification;
    readonly requestId?: string;
    /** Who the token says called: a smoke check's test webhook changes what this call may do (`testWebhookDeps`). */
    readonly caller?: WebhookCaller;
  },
): Promise<WebhookResult> {
  const { notification } = input;
  const testSubscriptionId = input.caller?.testSubscriptionId;
  const deps =
    testSubscriptionId === undefined ? givenDeps : testWebhookDeps(givenDeps, notification, testSubscriptionId);
  const receivedAt = deps.clock.now();
  let result: WebhookResult;
  try {
    result = await handle(deps, notification, receivedAt);
  } catch (error) {
    await audit(deps, notification, input.requestId, `failed: ${error instanceof Error ? error.name : 'Error'}`);
    throw error;
  }
  await audit(deps, notification, input.requestId, `${result.outcome}${result.detail ? `: ${result.detail}` : ''}`);
  if (result.outcome === 'applied' && notification.action === 'Unsubscribe' && deps.flushUsage) {
    await deps.flushUsage(notification.subscriptionId, deps.clock.now()).catch((error: unknown) =>
      deps.logger.warn('Usage flush after cancellation failed; the scheduled reporter will report it', {
        subscriptionId: notification.subscriptionId,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  deps.logger.info('Webhook handled', {
    subscriptionId: notification.subscriptionId,
    operationId: notification.operationId,
    action: notification.action,
    outcome: result.outcome,
    detail: result.detail,
  });
  return result;
}

/**
 * A smoke check's test webhook (docs/security.md "Test webhooks"): allowed only for the test subscription its token
 * names, as a Succeeded action that owes Microsoft nothing (`TEST_WEBHOOK_ACTIONS`); Get Operation is answered from
 * the payload itself, and every other marketplace call, the PATCH queue and the usage flush are taken away, so nothing
 * about a test subscription can reach Microsoft whatever path the handling takes. The rest (replay detection,
 * conditional writes, lifecycle event, audit) is the real webhook's.
 * @throws UnauthenticatedError when the payload names another subscription than the token, or any non-test one.
 * @throws ValidationError for an action or status a test webhook may not carry.
 */
function testWebhookDeps(
  deps: HandleFulfillmentWebhookDeps,
  notification: FulfillmentNotification,
  testSubscriptionId: string,
): HandleFulfillmentWebhookDeps {
  if (notification.subscriptionId !== testSubscriptionId || !isTestSubscriptionId(notification.subscriptionId)) {
    throw new UnauthenticatedError(
      `A test webhook may touch only the test subscription its token names (${testSubscriptionId}), not ` +
        `${notification.subscriptionId}.`,
    );
  }
  const status = notification.status ?? 'Succeeded';
  if (!TEST_WEBHOOK_ACTIONS.includes(notification.action) || status !== 'Succeeded') {
    throw new ValidationError(
      `A test webhook carries ${TEST_WEBHOOK_ACTIONS.join(', ')} with status Succeeded only (they owe Microsoft ` +
        `nothing); got ${notification.action} ${status}.`,
    );
  }
  const operation: SaasOperation = {
    id: notification.operationId,
    subscriptionId: notification.subscriptionId,
    action: notification.action,
    status,
    ...(notification.quantity === undefined ? {} : { quantity: notification.quantity }),
    ...(notification.timeStamp === undefined ? {} : { timeStamp: notification.timeStamp }),
  };
  const refused = (what: string) => () =>
    Promise.reject(new Error(`${what} refused: a test subscription never reaches Microsoft (${testSubscriptionId})`));
  const marketplace = new Proxy({} as Marketplace, {
    get: (_target, method) =>
      method === 'getOperation' ? () => Promise.resolve(operation) : refused(`Marketplace ${String(method)}`),
  });
  const { flushUsage: _neverForTests, ...rest } = deps;
  return { ...rest, marketplace, answers: { queue: refused('Queueing a PATCH') } };
}

interface Context {
  readonly deps: ApplyOperationDeps;
  readonly notification: FulfillmentNotification;
  /** Options for calls on the way to the answer: our correlation id (the operation id) and the deadline. */
  readonly beforeAnswer: MarketplaceCallOptions;
  /** Options for calls after the answer: no deadline left to keep. */
  readonly afterAnswer: MarketplaceCallOptions;
}

/** The webhook's context: the common one, plus what only the webhook has. */
interface WebhookContext extends Context {
  readonly deps: HandleFulfillmentWebhookDeps;
  /** When Microsoft's call reached us: the PATCH's 10 s window counts from it. */
  readonly receivedAt: Date;
}

async function handle(
  deps: HandleFulfillmentWebhookDeps,
  notification: FulfillmentNotification,
  receivedAt: Date,
): Promise<WebhookResult> {
  const correlationId = notification.operationId;
  const context: WebhookContext = {
    deps,
    notification,
    receivedAt,
    beforeAnswer: {
      correlationId,
      signal: AbortSignal.timeout(deps.answerDeadlineMs ?? CHANGE_DECISION_DEADLINE_MS),
    },
    afterAnswer: { correlationId },
  };
  const { subscriptionId, operationId } = notification;

  // Nothing is read, written or asked of Microsoft for an action we cannot act on: 200 so Microsoft does not retry
  // it for 8 hours, the audit trail and the metric tell the operator, the sync brings the state.
  if (!KNOWN_ACTIONS.includes(notification.action)) {
    deps.logger.warn('Webhook with an action this system does not know: acknowledged, not applied', {
      subscriptionId,
      operationId,
      action: notification.action,
    });
    return {
      outcome: 'unknownAction',
      detail: `unknown action ${notification.action}; the subscription sync brings the state`,
    };
  }

  const known = await deps.subscriptions.getOperation(subscriptionId, operationId);
  if (known?.state === 'applied') return finishReplay(context, known);

  let operation: SaasOperation;
  try {
    operation = await deps.marketplace.getOperation(subscriptionId, operationId, context.beforeAnswer);
  } catch (error) {
    // 404, or 400 as the live API was seen to answer for an unknown id (§1.2 observed): no such operation.
    if (error instanceof MarketplaceNotFoundError || error instanceof MarketplaceBadRequestError) {
      deps.logger.warn('Webhook names an operation Microsoft does not know: not applied', {
        subscriptionId,
        operationId,
        error: error.message,
      });
      return { outcome: 'mismatch', detail: 'Get Operation does not know this operation' };
    }
    throw error;
  }
  const mismatch = mismatchOf(notification, operation);
  if (mismatch) {
    deps.logger.warn('Webhook payload disagrees with Get Operation: not applied', {
      subscriptionId,
      operationId,
      mismatch,
    });
    return { outcome: 'mismatch', detail: mismatch };
  }

  if (operation.action === 'Subscribe') return handleSubscribe(context, operation);
  await ensureStored(context);
  const record =
    known ??
    (await deps.subscriptions.startOperation({
      subscriptionId,
      operationId,
      action: operation.action,
      at: deps.clock.now(),
    }));

  switch (operation.action) {
    case 'ChangePlan':
    case 'ChangeQuantity':
      return handleChange(context, operation, record);
    case 'Reinstate':
      return handleReinstate(context, operation, record);
    case 'Suspend':
    case 'Unsubscribe':
      return handleInformOnly(context, operation);
    case 'Renew':
      return handleRenew(context, operation);
    default:
      await deps.subscriptions.completeOperation({
        subscriptionId,
        operationId,
        action: operation.action,
        outcome: 'ignored',
        reason: `unknown action ${operation.action}`,
        at: deps.clock.now(),
      });
      return { outcome: 'ignored', detail: `unknown action ${operation.action}` };
  }
}

/**
 * ChangePlan / ChangeQuantity (§2.1): decide (first decision stands), queue the PATCH and answer; the
 * operation-answers consumer PATCHes after our 200 and applies once Microsoft has the operation Succeeded.
 */
async function handleChange(
  context: WebhookContext,
  operation: SaasOperation,
  record: OperationRecord,
): Promise<WebhookResult> {
  if (operation.status === 'InProgress' || operation.status === 'NotStarted') {
    const decided = record.decision ? record : await decide(context, operation, record);
    await queueAnswer(context, decided);
    return {
      outcome: 'decided',
      detail:
        decided.decision === 'Failure'
          ? `PATCH Failure follows: ${decided.reason ?? 'rejected by policy'}`
          : 'PATCH Success follows',
    };
  }
  return settleOperation(context, operation, record);
}

async function decide(
  context: WebhookContext,
  operation: SaasOperation,
  record: OperationRecord,
): Promise<OperationRecord> {
  const { deps, notification } = context;
  const stored = await deps.subscriptions.read(notification.subscriptionId);
  const change = requestedChange(operation);
  const verdict = !stored
    ? { accept: false as const, reason: 'the subscription is not stored' }
    : !change
      ? {
          accept: false as const,
          reason: `Get Operation names no new ${operation.action === 'ChangePlan' ? 'plan' : 'quantity'}`,
        }
      : await deps.policy.decide({
          subscription: stored.subscription,
          change,
          now: deps.clock.now(),
          operationId: record.operationId,
        });
  deps.logger.info('Change decided', {
    subscriptionId: record.subscriptionId,
    operationId: record.operationId,
    action: operation.action,
    accept: verdict.accept,
    reason: verdict.accept ? undefined : verdict.reason,
  });
  return deps.subscriptions.decideOperation({
    subscriptionId: record.subscriptionId,
    operationId: record.operationId,
    decision: verdict.accept ? 'Success' : 'Failure',
    ...(verdict.accept ? {} : { reason: verdict.reason }),
    at: deps.clock.now(),
  });
}

/**
 * How long one delivery's claim on queueing the PATCH holds off the others: sending one SQS message takes
 * milliseconds, and Microsoft redelivers a webhook that got no 200 well after this (§0: retries over 8 hours), so the
 * redelivery of a delivery that died holding the claim finds it expired and queues the PATCH itself.
 */
export const ANSWER_CLAIM_LEASE_MS = 10_000;

/**
 * Queues the PATCH of the recorded decision for the operation-answers consumer, once: of concurrent deliveries only
 * the one that claims it sends the message; the others answer 200 knowing it is on its way.
 */
async function queueAnswer(context: WebhookContext, record: OperationRecord): Promise<void> {
  const { deps } = context;
  if (!isPatchOwed(record) || record.answerQueuedAt) return;
  const { subscriptionId, operationId } = record;
  const claimed = await deps.subscriptions.claimSideEffect({
    subscriptionId,
    operationId,
    effect: 'answer',
    at: deps.clock.now(),
    leaseMs: ANSWER_CLAIM_LEASE_MS,
  });
  if (!claimed) return;
  try {
    await deps.answers.queue({
      subscriptionId,
      operationId,
      action: record.action,
      receivedAt: context.receivedAt.toISOString(),
    });
  } catch (error) {
    await deps.subscriptions.releaseSideEffect(subscriptionId, operationId, 'answer');
    throw error;
  }
  await deps.subscriptions.markAnswerQueued(subscriptionId, operationId, deps.clock.now());
}

/**
 * Whether Microsoft still waits for our PATCH on this operation: a decision not yet acknowledged, on an operation not
 * finished on our side, except a Reinstate, which is applied first and PATCHed after (§1.4). A change found final at
 * Microsoft (Succeeded, Failed) owes nothing, so no PATCH is sent only to be answered 409.
 */
export function isPatchOwed(record: OperationRecord): boolean {
  if (!record.decision || record.acknowledgedAt) return false;
  return record.state !== 'applied' || record.action === 'Reinstate';
}

/**
 * A ChangePlan / ChangeQuantity Microsoft has finished: applied when it Succeeded (our Success, the 10 s auto-accept,
 * a publisher-initiated change, or a Failure Microsoft ignored, §6.4: what Microsoft bills is what we store); our
 * refusal when it Failed after our Failure; otherwise not applied.
 */
function settleOperation(context: Context, operation: SaasOperation, record: OperationRecord): Promise<WebhookResult> {
  if (operation.status === 'Succeeded') return applyOperation(context, operation, timeOf(context, operation));
  if (operation.status === 'Failed' && record.decision === 'Failure') {
    return complete(context, operation, 'rejected', record.reason ?? 'rejected by policy');
  }
  return complete(context, operation, 'notApplied', `Microsoft reports the operation ${operation.status}`);
}

/**
 * Reinstate (§1.4): "ensure the service is operational, then PATCH Success". The subscription is made Subscribed
 * here and the PATCH queued like a change's; a subscription cancelled on our side cannot be made operational again
 * (§1.4: Unsubscribed is terminal), so its PATCH is `Failure`.
 */
async function handleReinstate(
  context: WebhookContext,
  operation: SaasOperation,
  record: OperationRecord,
): Promise<WebhookResult> {
  const { deps, notification } = context;
  if (operation.status === 'InProgress' || operation.status === 'NotStarted') {
    let decided = record;
    if (!decided.decision) {
      const terminal =
        (await deps.subscriptions.read(notification.subscriptionId))?.subscription.status === 'Unsubscribed';
      decided = await deps.subscriptions.decideOperation({
        subscriptionId: notification.subscriptionId,
        operationId: notification.operationId,
        decision: terminal ? 'Failure' : 'Success',
        ...(terminal ? { reason: TERMINAL } : {}),
        at: deps.clock.now(),
      });
    }
    const result =
      decided.decision === 'Success'
        ? await applyOperation(context, operation, timeOf(context, operation), 'Success')
        : await complete(context, operation, 'ignored', decided.reason ?? TERMINAL);
    await queueAnswer(
      context,
      (await deps.subscriptions.getOperation(decided.subscriptionId, decided.operationId)) ?? decided,
    );
    return result;
  }
  if (operation.status === 'Succeeded') return applyOperation(context, operation, timeOf(context, operation));
  return complete(context, operation, 'notApplied', `Microsoft reports the operation ${operation.status}`);
}

/** Suspend and Unsubscribe are inform-only and final when sent (§2.1, §2.2: status Succeeded). */
async function handleInformOnly(context: Context, operation: SaasOperation): Promise<WebhookResult> {
  if (operation.status === 'Succeeded') return applyOperation(context, operation, timeOf(context, operation));
  if (operation.status === 'Failed' || operation.status === 'Conflict') {
    return complete(context, operation, 'notApplied', `Microsoft reports the operation ${operation.status}`);
  }
  throw new Error(`${operation.action} operation ${operation.id} is still ${operation.status}; retry when final`);
}

/** Renew (§1.4): the term dates move to the new term, as Get Subscription reports them. */
async function handleRenew(context: Context, operation: SaasOperation): Promise<WebhookResult> {
  if (operation.status !== 'Succeeded') return handleInformOnly(context, operation);
  const { deps, notification } = context;
  const current = await deps.marketplace.getSubscription(notification.subscriptionId, context.afterAnswer);
  const term = termFromMarketplace(current, deps.logger);
  const at = timeOf(context, operation);
  const result = await applySubscriptionChange(deps, {
    subscriptionId: notification.subscriptionId,
    operationId: notification.operationId,
    action: operation.action,
    compute: ({ subscription }): ComputedChange => {
      if (!term) return { unchanged: 'Get Subscription reports no term' };
      const renewed = withRenewedTerm(subscription, term);
      return renewed ? { subscription: renewed, eventType: 'Renewed', at } : { unchanged: 'term already in force' };
    },
  });
  return outcomeOf(result);
}

const TERMINAL = 'the subscription is Unsubscribed (terminal)';

/** The actions this system acts on (§2.1, and `Subscribe` for auto-activated plans, marketplace-2026.md). */
const KNOWN_ACTIONS: readonly string[] = [
  'Subscribe',
  'ChangePlan',
  'ChangeQuantity',
  'Renew',
  'Suspend',
  'Unsubscribe',
  'Reinstate',
];

/**
 * Subscribe (auto-activation, marketplace-2026.md: since May 2026 a purchase of a plan with auto-activation on is
 * `Subscribed` at purchase, with no Resolve or Activate, and Microsoft sends this webhook). Inform-only and final when
 * sent, like Suspend. The subscription is stored from Get Subscription, Subscribed from the operation's time stamp
 * (the purchase instant: usage from the first hour is reportable) on the operation's plan and seats, with its term,
 * and `SubscriptionActivated` is published with the operation's claim (`applySubscriptionChange`: the change and
 * the operation record are written together, so a repeated or concurrent delivery publishes nothing more). A
 * subscription the sync or the landing page stored first gets its activation moved back to the purchase instant.
 */
async function handleSubscribe(context: Context, operation: SaasOperation): Promise<WebhookResult> {
  const { deps, notification } = context;
  const { subscriptionId, operationId } = notification;
  if (operation.status === 'Failed' || operation.status === 'Conflict') {
    return complete(context, operation, 'notApplied', `Microsoft reports the operation ${operation.status}`);
  }
  if (operation.status !== 'Succeeded') {
    throw new Error(`Subscribe operation ${operation.id} is still ${operation.status}; retry when final`);
  }
  const at = timeOf(context, operation);
  const current = await deps.marketplace.getSubscription(subscriptionId, context.afterAnswer);
  const planId = operation.planId ?? current.planId;
  const quantity = operation.quantity ?? current.quantity;
  const fresh = subscriptionFromMarketplace(
    current,
    at,
    { planId, ...(quantity === undefined ? {} : { quantity }) },
    deps.logger,
  );
  // Stored first as not activated yet, from the same instant: the activation below is then the change that is
  // claimed with the operation and publishes its event, whichever delivery stores the record.
  const pending = { ...fresh, status: 'PendingFulfillmentStart' as const };
  await deps.subscriptions.createIfAbsent({
    ...pending,
    timeline: (fresh.timeline ?? []).map((period) => ({ ...period, status: pending.status })),
  });
  await deps.subscriptions.startOperation({
    subscriptionId,
    operationId,
    action: operation.action,
    at: deps.clock.now(),
  });
  const term = fresh.term;
  const result = await applySubscriptionChange(deps, {
    subscriptionId,
    operationId,
    action: operation.action,
    compute: ({ subscription }): ComputedChange => {
      const activated = applyChange(subscription, { at, status: 'Subscribed', planId, quantity: quantity ?? null });
      if (!activated.applied) {
        return { unchanged: activated.reason === 'terminal' ? TERMINAL : 'already Subscribed from the purchase' };
      }
      const withTerm = term
        ? (withRenewedTerm(activated.subscription, term) ?? activated.subscription)
        : activated.subscription;
      return { subscription: withTerm, eventType: 'SubscriptionActivated', at };
    },
  });
  return outcomeOf(result);
}

/** Applies a status, plan or seat change at `at`, with conditional writes and the lifecycle event. */
async function applyOperation(
  context: Context,
  operation: SaasOperation,
  at: Date,
  decision?: OperationDecision,
): Promise<WebhookResult> {
  const { deps, notification } = context;
  const planned = await plannedChange(context, operation, at);
  const result = await applySubscriptionChange(deps, {
    subscriptionId: notification.subscriptionId,
    operationId: notification.operationId,
    action: operation.action,
    ...(decision ? { decision } : {}),
    compute: ({ subscription }): ComputedChange => {
      if (!planned) return { unchanged: `Get Operation names no new value for ${operation.action}` };
      const changed = applyChange(subscription, {
        ...planned.change,
        at: notBeforeActivation(subscription, planned.change.at),
      });
      if (!changed.applied) return { unchanged: changed.reason === 'terminal' ? TERMINAL : 'already in force' };
      return { subscription: changed.subscription, eventType: planned.eventType, at };
    },
  });
  return outcomeOf(result);
}

async function plannedChange(
  context: Context,
  operation: SaasOperation,
  at: Date,
): Promise<{ change: SubscriptionChange; eventType: LifecycleEventType } | undefined> {
  switch (operation.action) {
    case 'ChangePlan': {
      if (!operation.planId) return undefined;
      return {
        change: { at, planId: operation.planId, ...(await seatsAfterPlanChange(context, operation.planId)) },
        eventType: 'PlanChanged',
      };
    }
    case 'ChangeQuantity':
      return operation.quantity === undefined
        ? undefined
        : { change: { at, quantity: operation.quantity }, eventType: 'QuantityChanged' };
    case 'Suspend':
      return { change: { at, status: 'Suspended' }, eventType: 'Suspended' };
    case 'Reinstate':
      return { change: { at, status: 'Subscribed' }, eventType: 'Reinstated' };
    case 'Unsubscribe':
      return { change: { at, status: 'Unsubscribed' }, eventType: 'Unsubscribed' };
    default:
      return undefined;
  }
}

/**
 * The seats after a plan change. The operation carries the old seat count (§2.2: only the new plan is new), and
 * Microsoft decides the seats on the new plan (none on a flat-rate plan); Get Subscription, read again after the
 * change as §2.2 advises, says what they are. When it does not show the new plan yet, the seats are left as they are.
 */
async function seatsAfterPlanChange(context: Context, planId: string): Promise<{ quantity?: number | null }> {
  const { deps, notification } = context;
  try {
    const current = await deps.marketplace.getSubscription(notification.subscriptionId, context.afterAnswer);
    if (current.planId !== planId) return {};
    return { quantity: current.quantity ?? null };
  } catch (error) {
    deps.logger.warn('Seats after a plan change could not be read; kept as they were', {
      subscriptionId: notification.subscriptionId,
      error: error instanceof Error ? error.message : String(error),
    });
    return {};
  }
}

async function complete(
  context: Context,
  operation: SaasOperation,
  outcome: 'rejected' | 'notApplied' | 'ignored',
  reason: string,
): Promise<WebhookResult> {
  const { deps, notification } = context;
  await deps.subscriptions.completeOperation({
    subscriptionId: notification.subscriptionId,
    operationId: notification.operationId,
    action: operation.action,
    outcome,
    reason,
    at: deps.clock.now(),
  });
  return { outcome, detail: reason };
}

/**
 * A finished operation delivered again: complete what an interrupted delivery left owed (the queued PATCH of a
 * Reinstate, the lifecycle event; each claimed, so concurrent replays do it once), change nothing else.
 */
async function finishReplay(context: WebhookContext, record: OperationRecord): Promise<WebhookResult> {
  const { deps } = context;
  await queueAnswer(context, record);
  await publishPendingEvent(deps, record);
  return { outcome: 'duplicate', detail: `already ${record.outcome ?? 'handled'}` };
}

/** A subscription we never stored (bought and activated before this system ran, say): store it from Microsoft's view. */
async function ensureStored(context: WebhookContext): Promise<void> {
  const { deps, notification } = context;
  if (await deps.subscriptions.read(notification.subscriptionId)) return;
  const current = await deps.marketplace.getSubscription(notification.subscriptionId, context.beforeAnswer);
  await deps.subscriptions.createIfAbsent(subscriptionFromMarketplace(current, deps.clock.now(), {}, deps.logger));
}

/**
 * Finishes an operation whose PATCH was sent (or was not owed), from Get Operation's final view: for the
 * operation-answers consumer (`answer-operation.ts`), which must apply a change exactly as the webhook would.
 * @returns what happened to the subscription.
 */
export function settleAnsweredOperation(
  deps: ApplyOperationDeps,
  record: OperationRecord,
  operation: SaasOperation,
): Promise<WebhookResult> {
  const notification: FulfillmentNotification = {
    operationId: record.operationId,
    subscriptionId: record.subscriptionId,
    action: operation.action,
  };
  const callOptions = { correlationId: record.operationId };
  return settleOperation(
    { deps, notification, beforeAnswer: callOptions, afterAnswer: callOptions },
    operation,
    record,
  );
}

/**
 * Why the payload is not what Microsoft says the operation is, or undefined when it agrees. Fields the payload leaves
 * out are not compared (the 2022 doc shows minimal payloads, §2.2); Get Operation's values are the ones acted on.
 */
function mismatchOf(notification: FulfillmentNotification, operation: SaasOperation): string | undefined {
  if (operation.subscriptionId.toLowerCase() !== notification.subscriptionId.toLowerCase()) {
    return `subscription ${notification.subscriptionId} ≠ ${operation.subscriptionId}`;
  }
  if (operation.action !== notification.action) return `action ${notification.action} ≠ ${operation.action}`;
  if (
    (operation.action === 'ChangePlan' || operation.action === 'Subscribe') &&
    notification.planId !== undefined &&
    notification.planId !== operation.planId
  ) {
    return `planId ${notification.planId} ≠ ${operation.planId ?? '(none)'}`;
  }
  if (
    (operation.action === 'ChangeQuantity' || operation.action === 'Subscribe') &&
    notification.quantity !== undefined &&
    notification.quantity !== operation.quantity
  ) {
    return `quantity ${notification.quantity} ≠ ${operation.quantity ?? '(none)'}`;
  }
  return undefined;
}

function requestedChange(operation: SaasOperation): RequestedChange | undefined {
  if (operation.action === 'ChangePlan')
    return operation.planId ? { kind: 'plan', planId: operation.planId } : undefined;
  return operation.quantity === undefined ? undefined : { kind: 'quantity', quantity: operation.quantity };
}

/**
 * When an operation takes effect in the timeline: its time stamp (§1.2 `timeStamp`, UTC), or now when it has none.
 * Every webhook-driven change is placed on Microsoft's clock, so the order of the changes is Microsoft's order, whatever
 * the skew between its clock and ours; a change answered with PATCH takes effect a few seconds after its time stamp
 * at Microsoft, which moves no usage hour that matters (the PATCH is due within 10 s).
 */
function timeOf(context: Context, operation: SaasOperation): Date {
  const stamp = operation.timeStamp ?? context.notification.timeStamp;
  // Microsoft's instants may come without a zone; they are UTC (marketplace-time.ts).
  return (stamp ? parseMarketplaceInstant(stamp) : undefined) ?? context.deps.clock.now();
}

function outcomeOf(result: ApplySubscriptionChangeResult): WebhookResult {
  switch (result.outcome) {
    case 'applied':
      return { outcome: 'applied', ...(result.event ? { detail: result.event.type } : {}) };
    case 'alreadyApplied':
      return { outcome: 'duplicate', detail: 'applied by a concurrent delivery' };
    default:
      return { outcome: 'ignored', detail: result.reason };
  }
}

async function audit(
  deps: HandleFulfillmentWebhookDeps,
  notification: FulfillmentNotification,
  requestId: string | undefined,
  result: string,
): Promise<void> {
  try {
    await deps.audit.record({
      subscriptionId: notification.subscriptionId,
      at: deps.clock.now(),
      kind: 'webhook',
      what: `${notification.action}${notification.status ? ` ${notification.status}` : ''} operation ${notification.operationId}`,
      result,
      ...(requestId ? { requestId } : {}),
      correlationId: notification.operationId,
    });
  } catch (error) {
    // The audit trail must not turn a handled webhook into a redelivery loop; the log line keeps the record.
    deps.logger.warn('Audit entry of a webhook could not be written', {
      subscriptionId: notification.subscriptionId,
      operationId: notification.operationId,
      result,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
