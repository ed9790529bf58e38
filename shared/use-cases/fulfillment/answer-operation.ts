import { CHANGE_ANSWER_DEADLINE_MS } from '#shared/domain/change-rules.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import { MarketplaceConflictError } from '../ports/marketplace-errors.ts';
import type { OperationRecord } from '../ports/subscription-store.ts';
import { publishPendingEvent } from './apply-subscription-change.ts';
import {
  type ApplyOperationDeps,
  isPatchOwed,
  settleAnsweredOperation,
  type WebhookOutcome,
} from './handle-fulfillment-webhook.ts';
import type { OperationAnswer } from './ports/operation-answer-queue.ts';
import { waitForOperation } from './wait-for-operation.ts';

export interface AnswerOperationDeps extends ApplyOperationDeps {
  readonly audit: AuditLog;
  /** Waits between polls of Get Operation after the PATCH; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AnswerOperationResult {
  readonly outcome: WebhookOutcome | 'answered';
  readonly detail?: string;
  /** When this call sent the PATCH: milliseconds from Microsoft's webhook call to the PATCH's answer. */
  readonly patchedAfterMs?: number;
  /** The PATCH left after `CHANGE_ANSWER_DEADLINE_MS` (logged and counted by the handler). */
  readonly late?: boolean;
}

/** Another consumer holds the PATCH's claim and has not finished: the message comes back later. */
export class AnswerInProgressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * How long a consumer's claim on sending the PATCH holds off the others: longer than one PATCH with the client's
 * retries (a few seconds), shorter than the queue's visibility timeout, so the retry of a consumer that died holding
 * the claim takes it over.
 */
export const PATCH_CLAIM_LEASE_MS = 30_000;

/** Get Operation after the PATCH: Microsoft finishes the operation at once in practice; a few seconds of polls. */
const SETTLE_POLL = { intervalMs: 500, timeoutMs: 5_000 } as const;

/**
 * The operation-answers consumer's step, after the webhook answered Microsoft: PATCH the recorded decision (claimed
 * first, so concurrent or repeated messages send it at most once; a 409 means Microsoft finished the operation
 * already, e.g. auto-accepted after 10 s), then read Get Operation until final and apply the change as the webhook
 * would (`settleAnsweredOperation`: Succeeded → applied with its lifecycle event, published once; Failed after our
 * Failure → rejected). A Reinstate was applied by the webhook: only its PATCH and a pending event remain.
 *
 * @throws AnswerInProgressError when another consumer holds the PATCH's claim (retry later).
 * @throws MarketplaceError when the PATCH or Get Operation fails (the PATCH's claim is given back first), or
 *   OperationWaitTimeoutError when the operation is not final yet: the message is delivered again.
 * @throws Error when the operation was never recorded (a message not from our webhook: it ends in the DLQ).
 */
export async function answerOperation(
  deps: AnswerOperationDeps,
  answer: OperationAnswer,
): Promise<AnswerOperationResult> {
  const { subscriptionId, operationId } = answer;
  let record = await deps.subscriptions.getOperation(subscriptionId, operationId);
  if (!record) throw new Error(`Operation ${operationId} of subscription ${subscriptionId} was never recorded`);
  let patched: { patchedAfterMs: number; late: boolean } | undefined;
  if (isPatchOwed(record)) {
    patched = await patchOnce(deps, record, answer);
    record = (await deps.subscriptions.getOperation(subscriptionId, operationId)) ?? record;
  }
  let result: AnswerOperationResult;
  if (record.state === 'applied') {
    await publishPendingEvent(deps, record);
    result = { outcome: 'answered', ...(record.decision ? { detail: `PATCH ${record.decision}` } : {}) };
  } else {
    const operation = await waitForOperation(
      { marketplace: deps.marketplace, clock: deps.clock, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
      { subscriptionId, operationId, correlationId: operationId, ...SETTLE_POLL },
    );
    result = await settleAnsweredOperation(deps, record, operation);
  }
  await audit(deps, answer, `${result.outcome}${result.detail ? `: ${result.detail}` : ''}`);
  return { ...result, ...patched };
}

async function patchOnce(
  deps: AnswerOperationDeps,
  record: OperationRecord,
  answer: OperationAnswer,
): Promise<{ patchedAfterMs: number; late: boolean } | undefined> {
  const { subscriptionId, operationId } = record;
  const decision = record.decision;
  if (!decision) return undefined;
  const claimed = await deps.subscriptions.claimSideEffect({
    subscriptionId,
    operationId,
    effect: 'patch',
    at: deps.clock.now(),
    leaseMs: PATCH_CLAIM_LEASE_MS,
  });
  if (!claimed) {
    const now = await deps.subscriptions.getOperation(subscriptionId, operationId);
    if (now?.acknowledgedAt) return undefined;
    throw new AnswerInProgressError(`The PATCH of operation ${operationId} is being sent by another consumer`);
  }
  try {
    await deps.marketplace.updateOperation(subscriptionId, operationId, decision, { correlationId: operationId });
  } catch (error) {
    // 409: no longer InProgress (auto-accepted after 10 s, or finished otherwise): Get Operation says how it ended.
    if (!(error instanceof MarketplaceConflictError)) {
      // Refused or unanswered: the retry may PATCH at once (at worst it meets a 409 if this one did arrive).
      await deps.subscriptions.releaseSideEffect(subscriptionId, operationId, 'patch');
      throw error;
    }
  }
  const now = deps.clock.now();
  await deps.subscriptions.markAcknowledged(subscriptionId, operationId, now);
  const patchedAfterMs = now.getTime() - Date.parse(answer.receivedAt);
  const late = patchedAfterMs > CHANGE_ANSWER_DEADLINE_MS;
  if (late) {
    deps.logger.warn('PATCH sent after the answer deadline; Microsoft may have auto-accepted the change', {
      subscriptionId,
      operationId,
      decision,
      patchedAfterMs,
    });
  }
  return { patchedAfterMs, late };
}

async function audit(deps: AnswerOperationDeps, answer: OperationAnswer, result: string): Promise<void> {
  try {
    await deps.audit.record({
      subscriptionId: answer.subscriptionId,
      at: deps.clock.now(),
      kind: 'webhook',
      what: `${answer.action} operation ${answer.operationId} answered after the webhook`,
      result,
      correlationId: answer.operationId,
    });
  } catch (error) {
    deps.logger.warn('Audit entry of an operation answer could not be written', {
      subscriptionId: answer.subscriptionId,
      operationId: answer.operationId,
      result,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
