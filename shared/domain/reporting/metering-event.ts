/** The Metering API event built for a slot's submission (§4.1; rule 10 of README.md: exact numbers). */
import { Dec } from '#shared/domain/money.ts';
import type { SlotSubmission } from './slots.ts';

/** The Metering API event of a pending submission (§4.1). */
export interface MeteringEvent {
  readonly resourceId: string;
  readonly quantity: number;
  readonly dimension: string;
  readonly effectiveStartTime: string;
  readonly planId: string;
}

/**
 * The event to send for a slot's submission: resourceId = the SaaS subscription id (§6.10), the hour start with `Z`
 * (§6.8), the plan in force in that hour (DESIGN invariant 2).
 * @throws RangeError when the submission has no plan or no quantity (only rated pending submissions are sent).
 */
export function usageEventOf(subscriptionId: string, dimension: string, submission: SlotSubmission): MeteringEvent {
  if (!submission.planId || !new Dec(submission.quantity).greaterThan(0)) {
    throw new RangeError(
      `submission of ${subscriptionId}/${dimension}/${submission.effectiveStartTime} is not sendable`,
    );
  }
  return {
    resourceId: subscriptionId,
    quantity: wireQuantity(submission.quantity),
    dimension,
    effectiveStartTime: submission.effectiveStartTime,
    planId: submission.planId,
  };
}

/**
 * The JSON number sent for an exact quantity. The Metering API's `quantity` is a double (§4.1); a slot's quantity has at
 * most 6 decimals, so up to 9 integer digits it survives the conversion exactly (see `MAX_QUANTITY_DECIMALS`).
 */
export function wireQuantity(quantity: string): number {
  return Number(quantity);
}
