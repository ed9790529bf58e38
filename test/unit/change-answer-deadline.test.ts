import { describe, expect, it } from 'vitest';
import { WEBHOOK_RETRY_POLICY } from '#functions/fulfillment-webhook/dependencies.ts';
import { OPERATION_ANSWER_RETRY_POLICY } from '#functions/operation-answers/dependencies.ts';
import {
  CHANGE_ANSWER_DEADLINE_MS,
  CHANGE_ANSWER_QUEUE_DELAY_SECONDS,
  CHANGE_ANSWER_WINDOW_MS,
  CHANGE_DECISION_DEADLINE_MS,
} from '#shared/domain/change-rules.ts';

describe('the deadlines for answering a ChangePlan / ChangeQuantity webhook', () => {
  it('ends the PATCH at least 2 s inside Microsoft’s 10 s window, for the webhook’s transit and the last round trip', () => {
    expect(CHANGE_ANSWER_WINDOW_MS).toBe(10_000);
    expect(CHANGE_ANSWER_WINDOW_MS - CHANGE_ANSWER_DEADLINE_MS).toBeGreaterThanOrEqual(2_000);
  });

  it('leaves the webhook’s one marketplace call before its 200 (Get Operation) its whole retry budget', () => {
    expect(WEBHOOK_RETRY_POLICY.totalBudgetMs ?? Number.POSITIVE_INFINITY).toBeLessThan(CHANGE_DECISION_DEADLINE_MS);
  });

  it('fits the answer, the queue’s delay and the PATCH with its retries into the deadline', () => {
    const patchBudget = OPERATION_ANSWER_RETRY_POLICY.totalBudgetMs ?? Number.POSITIVE_INFINITY;

    expect(CHANGE_ANSWER_QUEUE_DELAY_SECONDS).toBeGreaterThanOrEqual(1);
    expect(CHANGE_DECISION_DEADLINE_MS + CHANGE_ANSWER_QUEUE_DELAY_SECONDS * 1_000 + patchBudget).toBeLessThanOrEqual(
      CHANGE_ANSWER_DEADLINE_MS,
    );
  });
});
