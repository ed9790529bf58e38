/** What each answer of the Metering API's batch call means for a slot (rule 9 of README.md). */
import { Dec } from '#shared/domain/money.ts';
import { wireQuantity } from './metering-event.ts';
import type { SlotSubmission, UnreportableReason } from './slots.ts';

/** One answer of the batch call, reduced to what the decision needs (the port's `UsageEventResult` fits). */
export interface MeteringAnswer {
  readonly status: string;
  readonly usageEventId?: string;
  readonly quantity?: number;
  readonly acceptedMessage?: { readonly usageEventId?: string; readonly quantity?: number };
}

/** What to record for a slot after an answer (rule 9). */
export type AnswerDecision =
  | { readonly kind: 'accepted'; readonly submission: SlotSubmission }
  | { readonly kind: 'duplicateMismatch'; readonly submission: SlotSubmission }
  | { readonly kind: 'expiredFolded'; readonly submission: SlotSubmission; readonly foldOverage: Dec }
  | { readonly kind: 'unreportable'; readonly submission: SlotSubmission; readonly reason: UnreportableReason }
  | { readonly kind: 'rejected'; readonly submission: SlotSubmission }
  | { readonly kind: 'retry'; readonly submission: SlotSubmission };

/** The kinds of `AnswerDecision`, e.g. for metrics by answer. */
export type AnswerKind = AnswerDecision['kind'];

/**
 * Decides what an answer means for a pending submission (rule 9). `undefined` answer = the call failed as a whole
 * (429, 5xx, timeout after the client's retries): retry.
 */
export function decideAnswer(submission: SlotSubmission, answer: MeteringAnswer | undefined, at: Date): AnswerDecision {
  const answeredAt = at.toISOString();
  if (!answer) {
    return { kind: 'retry', submission: { ...submission, attempts: submission.attempts + 1, reason: 'callFailed' } };
  }
  const status = answer.status.trim();
  const done = { ...submission, answer: status, answeredAt };
  switch (status) {
    case 'Accepted':
      return {
        kind: 'accepted',
        submission: {
          ...done,
          state: 'accepted',
          acceptedQuantity: submission.quantity,
          ...(answer.usageEventId ? { usageEventId: answer.usageEventId } : {}),
        },
      };
    case 'Duplicate': {
      const original = answer.acceptedMessage;
      const theirs = original?.quantity;
      const ids = original?.usageEventId ? { usageEventId: original.usageEventId } : {};
      // Microsoft keeps the quantity as a double: compare it with the double we sent for the same decimal.
      if (theirs !== undefined && theirs === wireQuantity(submission.quantity)) {
        return {
          kind: 'accepted',
          submission: { ...done, state: 'accepted', acceptedQuantity: submission.quantity, ...ids },
        };
      }
      return {
        kind: 'duplicateMismatch',
        submission: {
          ...done,
          state: 'duplicateMismatch',
          ...(theirs === undefined ? {} : { acceptedQuantity: decimalOf(theirs) }),
          ...ids,
          reason:
            theirs === undefined
              ? 'Duplicate without the accepted event'
              : `Microsoft holds ${decimalOf(theirs)} for this hour, we computed ${submission.quantity}`,
        },
      };
    }
    case 'Expired':
      return {
        kind: 'expiredFolded',
        submission: { ...done, state: 'expiredFolded', reason: 'Expired' },
        foldOverage: new Dec(submission.quantity),
      };
    case 'ResourceNotActive':
    case 'ResourceNotFound':
      return {
        kind: 'unreportable',
        reason: status,
        submission: { ...done, state: 'unreportable', reason: status },
      };
    case 'InvalidDimension':
    case 'InvalidQuantity':
    case 'BadArgument':
    case 'ResourceNotAuthorized':
      return { kind: 'rejected', submission: { ...done, state: 'rejected', reason: status } };
    default:
      // `Error` and any status Microsoft adds later: the same event is sent again by the next run; a copy that did go
      // through answers Duplicate then.
      return {
        kind: 'retry',
        submission: { ...submission, attempts: submission.attempts + 1, answer: status, reason: status },
      };
  }
}

/** A double from Microsoft as a plain decimal string (its shortest round-trip form). */
function decimalOf(value: number): string {
  return new Dec(String(value)).toString();
}
