import { z } from 'zod';
import { lenientEnum, lenientNumber, lenientString } from '#shared/adapters/marketplace/marketplace-schemas.ts';
import type { FulfillmentNotification } from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';

/** A webhook payload is a few kilobytes (§2.2); anything far larger is not Microsoft's and is refused unread. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

const ACTIONS = ['ChangePlan', 'ChangeQuantity', 'Renew', 'Suspend', 'Unsubscribe', 'Reinstate'];
const STATUSES = ['NotStarted', 'InProgress', 'Succeeded', 'Failed', 'Conflict'];

const required = (what: string) =>
  z.unknown().transform((value, ctx) => {
    const text = lenientString(value);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} is missing` });
      return z.NEVER;
    }
    return text;
  });
const optionalText = z.unknown().optional().transform(lenientString);

/**
 * The webhook payload (reference/marketplace-api.md §2.2), parsed leniently as §2.1 asks ("do not deserialize
 * strictly; Microsoft may add fields"): unknown fields are ignored, only `id`, `subscriptionId` and `action` are
 * required (the 2022 doc shows minimal payloads), strings are trimmed (doc samples pad them), `quantity` may be a
 * number, a numeric string, `""` or `null`, and known enumeration values are matched case-insensitively. The embedded
 * `subscription` snapshot is not read: state comes from Get Operation / Get Subscription (§2.2).
 */
export const webhookSchema = z
  .object({
    id: required('id (the operation id)'),
    subscriptionId: required('subscriptionId'),
    action: z.unknown().transform((value, ctx) => {
      const action = lenientEnum(ACTIONS, value);
      if (action === undefined) {
        ctx.addIssue({ code: 'custom', message: 'action is missing' });
        return z.NEVER;
      }
      return action;
    }),
    status: z
      .unknown()
      .optional()
      .transform((value) => lenientEnum(STATUSES, value)),
    planId: optionalText,
    quantity: z.unknown().optional().transform(lenientNumber),
    timeStamp: optionalText,
    activityId: optionalText,
    offerId: optionalText,
    publisherId: optionalText,
    operationRequestSource: optionalText,
  })
  .transform(
    (payload): FulfillmentNotification => ({
      operationId: payload.id,
      subscriptionId: payload.subscriptionId,
      action: payload.action,
      ...(payload.status === undefined ? {} : { status: payload.status }),
      ...(payload.planId === undefined ? {} : { planId: payload.planId }),
      ...(payload.quantity === undefined ? {} : { quantity: payload.quantity }),
      ...(payload.timeStamp === undefined ? {} : { timeStamp: payload.timeStamp }),
      ...(payload.activityId === undefined ? {} : { activityId: payload.activityId }),
      ...(payload.operationRequestSource === undefined
        ? {}
        : { operationRequestSource: payload.operationRequestSource }),
    }),
  );
export type WebhookPayload = z.input<typeof webhookSchema>;
