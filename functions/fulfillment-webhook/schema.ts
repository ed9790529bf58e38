import * as z from 'zod';
import { lenientEnum, lenientNumber, lenientString } from '#shared/adapters/marketplace/marketplace-schemas.ts';
import type { FulfillmentNotification } from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';

/** A webhook payload is a few kilobytes (§2.2); anything far larger is not Microsoft's and is refused unread. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/**
 * The longest id accepted. Microsoft's ids are GUIDs (36 characters) and plan / offer / publisher ids at most 50
 * (reference §4.3); anything far longer is not Microsoft's, and used as a key it would make DynamoDB fail (a 5xx that
 * Microsoft would retry for 8 hours). Refused with 400 instead.
 */
export const MAX_WEBHOOK_ID_LENGTH = 256;

// `Subscribe`: auto-activation (marketplace-2026.md). Any other value is kept raw and acknowledged as unknown.
const ACTIONS = ['Subscribe', 'ChangePlan', 'ChangeQuantity', 'Renew', 'Suspend', 'Unsubscribe', 'Reinstate'];
const STATUSES = ['NotStarted', 'InProgress', 'Succeeded', 'Failed', 'Conflict'];

const tooLong = (what: string, text: string) =>
  `${what} is ${text.length} characters long; at most ${MAX_WEBHOOK_ID_LENGTH} are accepted (Microsoft's ids are GUIDs)`;
const required = (what: string) =>
  z.unknown().transform((value, ctx) => {
    const text = lenientString(value);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} is missing` });
      return z.NEVER;
    }
    if (text.length > MAX_WEBHOOK_ID_LENGTH) {
      ctx.addIssue({ code: 'custom', message: tooLong(what, text) });
      return z.NEVER;
    }
    return text;
  });
/** An optional id or short value: absent when empty, refused when far longer than any of Microsoft's. */
const optionalText = (what: string) =>
  z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      const text = lenientString(value);
      if (text !== undefined && text.length > MAX_WEBHOOK_ID_LENGTH) {
        ctx.addIssue({ code: 'custom', message: tooLong(what, text) });
        return z.NEVER;
      }
      return text;
    });

/**
 * The webhook payload (reference/marketplace-api.md §2.2), parsed leniently as §2.1 asks ("do not deserialize
 * strictly; Microsoft may add fields"): unknown fields are ignored, only `id`, `subscriptionId` and `action` are
 * required (the 2022 doc shows minimal payloads), ids and other texts longer than `MAX_WEBHOOK_ID_LENGTH` are refused,
 * an action or status this system does not know is kept raw (acknowledged as unknown), strings are trimmed (doc samples pad them), `quantity` may be a
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
      if (action.length > MAX_WEBHOOK_ID_LENGTH) {
        ctx.addIssue({ code: 'custom', message: tooLong('action', action) });
        return z.NEVER;
      }
      return action;
    }),
    status: optionalText('status').transform((value) => lenientEnum(STATUSES, value)),
    planId: optionalText('planId'),
    quantity: z.unknown().optional().transform(lenientNumber),
    timeStamp: optionalText('timeStamp'),
    activityId: optionalText('activityId'),
    offerId: optionalText('offerId'),
    publisherId: optionalText('publisherId'),
    operationRequestSource: optionalText('operationRequestSource'),
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
