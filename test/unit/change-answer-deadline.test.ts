import { describe, expect, it } from 'vitest';
import { WEBHOOK_RETRY_POLICY } from '#functions/fulfillment-webhook/dependencies.ts';
import { CHANGE_ANSWER_DEADLINE_MS, CHANGE_ANSWER_WINDOW_MS } from '#shared/domain/change-rules.ts';

describe('the deadline for answering a ChangePlan / ChangeQuantity webhook', () => {
  it('ends at least 2 s inside Microsoft’s 10 s window, for the webhook’s transit and the PATCH’s last round trip', () => {
    expect(CHANGE_ANSWER_WINDOW_MS).toBe(10_000);
    expect(CHANGE_ANSWER_WINDOW_MS - CHANGE_ANSWER_DEADLINE_MS).toBeGreaterThanOrEqual(2_000);
  });

  it('leaves the webhook’s two marketplace calls before the answer (Get Operation, PATCH) their whole retry budget', () => {
    const callsBeforeTheAnswer = 2;

    expect(callsBeforeTheAnswer * (WEBHOOK_RETRY_POLICY.totalBudgetMs ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(
      CHANGE_ANSWER_DEADLINE_MS,
    );
  });
});
