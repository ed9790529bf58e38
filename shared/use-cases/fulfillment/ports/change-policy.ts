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

/**
 * A publisher API request, which may carry the publisher's explicit override of a refusal the partner could have
 * lifted (the reseller's "approval required" credit level; never a purchase block).
 */
export interface OverridableChangeRequest extends ChangeRequest {
  /** The publisher's reason for overriding; set only when the publisher asked for the override. */
  readonly publisherOverride?: { readonly reason: string };
}

/** A decision that may say a publisher's override let through a change it would otherwise have refused. */
export type OverridableDecision =
  | ChangeDecision
  | {
      readonly accept: true;
      /** The refusal the override lifted, for the audit trail. */
      readonly overridden: string;
    };

/**
 * A `ChangePolicy` the publisher may override (the reseller credit levels, for the publisher API's own changes): it
 * answers `{ accept: true, overridden }` when only the override let the change through.
 */
export interface OverridableChangePolicy extends ChangePolicy {
  decide(request: OverridableChangeRequest): Promise<OverridableDecision>;
}
