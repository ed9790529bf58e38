import * as z from 'zod';

/** Largest accepted request body: 1,000 events of ordinary size fit in well under 1 MB. */
export const MAX_USAGE_BODY_BYTES = 1_000_000;
/** Events per request: one request per tenant and interval is the intended batching (issue 5: 1 to 1,000). */
export const MAX_USAGE_EVENTS = 1000;

/**
 * One usage event. Shape and formats are checked here (a wrong shape is a 400 for the whole request, naming the
 * field); business rules (quantity > 0 and its precision, time window, subscription, dimension) are checked per
 * event by the domain and answered per event.
 * - `quantity`: a JSON number or a decimal string. A JSON number with more than 15 significant digits is rounded by
 *   the JSON parser before any code sees it; send such values as strings (they are then refused if too precise).
 * - `timestamp`: ISO 8601 with seconds and a zone (`Z` or `+09:00`); a time without a zone is refused because it
 *   would be read in some machine's local time and land in another UTC hour (marketplace-api.md §6 item 8).
 */
export const usageEventSchema = z.strictObject({
  subscriptionId: z.string().trim().min(1).max(100),
  dimension: z.string().min(1).max(100),
  quantity: z.union([z.number(), z.string().trim().min(1).max(40)], {
    error: 'quantity must be a number or a decimal string such as "12.5"',
  }),
  timestamp: z.iso.datetime({
    offset: true,
    error: 'timestamp must be ISO 8601 with seconds and a zone, e.g. 2026-01-15T10:00:00Z or 2026-01-15T19:00:00+09:00',
  }),
  id: z.string().min(1).max(255).optional(),
});

/** `POST /v1/usage`: our own API, so strict; event ids, when given, must be unique within the request. */
export const usageRequestSchema = z
  .strictObject({
    events: z.array(usageEventSchema).min(1).max(MAX_USAGE_EVENTS),
  })
  .superRefine((body, context) => {
    const firstIndexOf = new Map<string, number>();
    body.events.forEach((event, index) => {
      if (event.id === undefined) return;
      const first = firstIndexOf.get(event.id);
      if (first === undefined) firstIndexOf.set(event.id, index);
      else {
        context.addIssue({
          code: 'custom',
          path: ['events', index, 'id'],
          message: `id "${event.id}" is also the id of events[${first}]; event ids must be unique within a request`,
        });
      }
    });
  });
export type UsageRequest = z.infer<typeof usageRequestSchema>;

/**
 * The `Idempotency-Key` header: the same key on a retried request makes its usage count once. Printable ASCII, so
 * it survives proxies and logs unchanged.
 */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'use printable ASCII characters without spaces (a UUID is ideal)')
  .optional();
