import * as z from 'zod';

/** A path parameter (subscription or operation id): the same bounds as the rest of the API's ids. */
export const idParamSchema = z.string().trim().min(1).max(100);

/**
 * The publisher's explicit override of the reseller's "approval required" credit level on a plan or seat change:
 * `overrideCreditLevel: true` with the `reason` the audit trail records (both or neither). A purchase block cannot be
 * overridden.
 */
const creditLevelOverride = {
  overrideCreditLevel: z.literal(true).optional(),
  reason: z.string().trim().min(1).max(500).optional(),
};

function requireOverrideReason(body: { overrideCreditLevel?: true; reason?: string }, context: z.RefinementCtx): void {
  if (body.overrideCreditLevel && body.reason === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['reason'],
      message: 'overrideCreditLevel needs a reason (it is recorded in the audit trail)',
    });
  }
  if (!body.overrideCreditLevel && body.reason !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['reason'],
      message: 'reason is only taken with "overrideCreditLevel": true',
    });
  }
}

/** `POST /v1/subscriptions/{subscriptionId}/plan` (publisher): Microsoft's plan ids are at most 50 characters. */
export const changePlanSchema = z
  .strictObject({
    planId: z.string().trim().min(1).max(50),
    ...creditLevelOverride,
  })
  .superRefine(requireOverrideReason);

/** `POST /v1/subscriptions/{subscriptionId}/quantity` (publisher): the seat ceiling was seen at 1,000,000 (§1.2). */
export const changeQuantitySchema = z
  .strictObject({
    quantity: z.number().int().min(1).max(1_000_000),
    ...creditLevelOverride,
  })
  .superRefine(requireOverrideReason);
