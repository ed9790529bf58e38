import { z } from 'zod';

/** `POST /v1/api-keys`: our own API, so strict (an unknown field is an error, not silently ignored). */
export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(['publisher', 'partner', 'customer']),
  partnerId: z.string().trim().min(1).max(100).optional(),
  tenantId: z.string().trim().min(1).max(100).optional(),
  subscriptionIds: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeySchema>;

/** Path parameters that are ids: bounded, so a 10 kB "id" is a 400 and never reaches DynamoDB. */
export const idParamSchema = z.string().trim().min(1).max(100);

/** `POST /v1/day-packs` (publisher). */
export const issueDayPacksSchema = z.strictObject({
  productKey: z.string().trim().min(1).max(100),
  days: z.number().int().positive(),
  count: z.number().int().min(1).max(1000),
  partnerId: z.string().trim().min(1).max(100).optional(),
});

/** `POST /v1/subscriptions/{subscriptionId}/day-pack-redemptions`. */
export const redeemDayPackSchema = z.strictObject({
  code: z.string().trim().min(1).max(64),
});
