import { z } from 'zod';
import { MAX_WEBHOOK_ID_LENGTH } from '#functions/fulfillment-webhook/schema.ts';
import { tokenSchema } from '#functions/landing/schema.ts';

/**
 * The inputs of the marketplace's routes, as the OpenAPI description shows them. The landing page's token is the
 * schema its handler parses. The webhook's parser (functions/fulfillment-webhook/schema.ts `webhookSchema`) is
 * lenient on purpose — any value is read and normalised, unknown fields are ignored (§2.1: Microsoft adds fields) —
 * so its JSON Schema would say nothing; the payload below is Microsoft's (§2.2) with the bounds that parser
 * enforces. test/unit/openapi.test.ts parses the webhook example with both, so the two cannot disagree on it.
 */

const token = tokenSchema.meta({
  description: "Microsoft's purchase token (x-ms-marketplace-token), URL-encoded once as Microsoft sends it",
});

/** `GET /landing?token=…` */
export const landingQuerySchema = z.object({ token });

/** `POST /landing`: the Activate form (the page's hidden field). */
export const landingFormSchema = z.object({ token }).meta({ description: 'application/x-www-form-urlencoded' });

const id = (description: string) => z.string().min(1).max(MAX_WEBHOOK_ID_LENGTH).meta({ description });
const optional = (description: string) => z.string().max(MAX_WEBHOOK_ID_LENGTH).optional().meta({ description });

/** `POST /webhook` (reference/marketplace-api.md §2.2). */
export const webhookPayloadSchema = z
  .looseObject({
    id: id('The operation id'),
    subscriptionId: id('The SaaS subscription id'),
    action: z
      .string()
      .min(1)
      .max(MAX_WEBHOOK_ID_LENGTH)
      .meta({
        description:
          'Subscribe, ChangePlan, ChangeQuantity, Renew, Suspend, Unsubscribe or Reinstate (case-insensitive); any ' +
          'other is acknowledged as unknown',
      }),
    status: optional('NotStarted, InProgress, Succeeded, Failed or Conflict'),
    planId: optional('The plan after a ChangePlan'),
    quantity: z
      .union([z.number(), z.string(), z.null()])
      .optional()
      .meta({ description: 'Seats after a ChangeQuantity: a number, a numeric string, "" or null' }),
    timeStamp: optional('When Microsoft created the operation'),
    activityId: optional("Microsoft's correlation id"),
    offerId: optional('The offer'),
    publisherId: optional('The publisher'),
    operationRequestSource: optional('Azure or Partner'),
  })
  .meta({ id: 'WebhookPayload', description: 'Unknown fields are ignored; the subscription snapshot is not read' });
