import type { ChangeDecision, RequestedChange } from '#shared/domain/change-rules.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

export type { ChangeDecision, RequestedChange } from '#shared/domain/change-rules.ts';

/** What a policy decides on: the subscription as stored, the change Microsoft asks us to accept, and the time. */
export interface ChangeRequest {
  readonly subscription: Subscription;
  readonly change: RequestedChange;
  readonly now: Date;
  /** The marketplace operation being decided, when there is one (a policy's notices are sent once per operation). */
  readonly operationId?: string;
}

/**
 * Decides whether a ChangePlan / ChangeQuantity the customer started in the marketplace is accepted (PATCH
 * `Success`) or rejected (PATCH `Failure`), reference/marketplace-api.md §2.1. The answer must reach Microsoft within
 * `CHANGE_ANSWER_WINDOW_MS` of the webhook (change-rules.ts; our path is cut at `CHANGE_ANSWER_DEADLINE_MS`), so a
 * policy does at most a few fast reads (e.g. the reseller's credit levels, which the alerts work plugs in with
 * `allPolicies`).
 */
export interface ChangePolicy {
  /** @throws Error when the policy cannot decide now (a store is down): the webhook answers 500 and is redelivered. */
  decide(request: ChangeRequest): Promise<ChangeDecision>;
}
