import * as z from 'zod';
import { MAX_AMOUNT_TEXT_LENGTH } from '#shared/domain/alerts/settings.ts';
import { TERM_UNITS } from '#shared/domain/catalog.ts';

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

/**
 * The `{contact}` path parameter: an e-mail address or an E.164 phone number (percent-encoded or not). Bounded
 * here; what it is, is the use case's to say (`parseContactParam`), so the 400 names the field either way.
 */
export const contactParamSchema = z.string().trim().min(1).max(320);

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

/**
 * An amount as our API takes it: a decimal string (never a JSON number, which would pass through a float). Its value
 * is bounded by the domain (`parseBudgetSettings` / `parseCreditLevels`), the same rule a stored amount is read with.
 */
const amountSchema = z.strictObject({
  amount: z
    .string()
    .trim()
    .max(MAX_AMOUNT_TEXT_LENGTH)
    .regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "1234.56" (no sign, no exponent)'),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as JPY or USD'),
});

const contactsSchema = z.strictObject({
  emails: z.array(z.string().trim().max(254)).max(10).optional(),
  phones: z.array(z.string().trim().max(16)).max(10).optional(),
});

const localeSchema = z.enum(['ja', 'en']);

/** `PUT /v1/subscriptions/{subscriptionId}/budget`: the domain (settings.ts) checks the rest and applies defaults. */
export const budgetSchema = z.strictObject({
  plannedMonthlyAmount: amountSchema,
  /** Fractions of the planned amount: `["0.5", "0.8", "1"]` (numbers are accepted too). */
  thresholds: z
    .array(z.union([z.string().trim().max(20), z.number().finite()]).transform(String))
    .min(1)
    .max(10)
    .optional(),
  forecastAlert: z.boolean().optional(),
  spikeMinimumAmount: amountSchema.optional(),
  timeZone: z.string().trim().min(1).max(64).optional(),
  locale: localeSchema.optional(),
  contacts: contactsSchema.optional(),
});
export type BudgetBody = z.infer<typeof budgetSchema>;

/** `PUT /v1/partners/{partnerId}` (publisher). `timeZone`: the partner's months; absent, the publisher's. */
export const partnerSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  tenantId: z.string().trim().min(1).max(100),
  locale: localeSchema.optional(),
  timeZone: z.string().trim().min(1).max(64).optional(),
  contacts: contactsSchema.optional(),
});

/** `PUT /v1/partners/{partnerId}/customers/{subscriptionId}`: the three credit levels (警告 / 要承認 / 購入不可). */
export const creditLevelsSchema = z.strictObject({
  warning: amountSchema,
  approvalRequired: amountSchema,
  purchaseBlocked: amountSchema,
});

/** `POST /v1/partners/{partnerId}/approvals`. */
export const approvalSchema = z.strictObject({
  subscriptionId: idParamSchema,
  planId: idParamSchema.optional(),
  maxQuantity: z.number().int().positive().optional(),
  expiresAt: z.iso.datetime({ offset: true }),
});

/** `GET /v1/subscriptions/{subscriptionId}/usage?months=6&currency=JPY&timeZone=Asia/Tokyo`. */
export const usageQuerySchema = z.strictObject({
  months: z.coerce.number().int().min(1).max(13).optional(),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as JPY or USD')
    .optional(),
  timeZone: z.string().trim().min(1).max(64).optional(),
});

/** `GET /v1/alerts?recipient=customer:<id>&subscriptionId=…&limit=50&cursor=…`. */
export const alertHistoryQuerySchema = z.strictObject({
  recipient: z.string().trim().min(1).max(220).optional(),
  subscriptionId: idParamSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().trim().min(1).max(2000).optional(),
});

/** `GET /v1/outbox?limit=50` (local mode). */
export const outboxQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** `GET /v1/reporting/runs?limit=20&cursor=…` (publisher). */
export const reportingRunsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).optional(),
  cursor: z.string().trim().min(1).max(2000).optional(),
});

/** `GET /v1/subscriptions/{subscriptionId}/audit?limit=50&cursor=…` (publisher). */
export const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().trim().min(1).max(2000).optional(),
});

// ---- Data API behind the portal (issue 13 point 5, issue 14 point 2): queries and answers -----------------------

const currencyCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as JPY or USD');
const instantSchema = z.iso.datetime({ offset: true });
const pageLimitSchema = z.coerce
  .number()
  .int('limit must be a whole number')
  .min(1, 'limit must be from 1 to 100')
  .max(100, 'limit must be from 1 to 100');
const cursorSchema = z.string().trim().min(1).max(2000);
/** Decimal string, as every amount and quantity of our answers. */
const decimalStringSchema = z.string().regex(/^-?\d+(\.\d+)?$/);
const moneySchema = z.object({ amount: decimalStringSchema, currency: z.string() });
const subscriptionStatusSchema = z.enum(['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed'], {
  message: 'status must be PendingFulfillmentStart, Subscribed, Suspended or Unsubscribed',
});

/** `GET /v1/subscriptions/{id}/usage/series?granularity=day&from=…&to=…&dimension=…&currency=…&timeZone=…`. */
export const usageSeriesQuerySchema = z.strictObject({
  granularity: z.enum(['hour', 'day', 'month'], { message: 'granularity must be hour, day or month' }),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  dimension: idParamSchema.optional(),
  currency: currencyCodeSchema.optional(),
  timeZone: z.string().trim().min(1).max(64).optional(),
});

export const usageSeriesResponseSchema = z.object({
  subscriptionId: z.string(),
  granularity: z.enum(['hour', 'day', 'month']),
  currency: z.string(),
  timeZone: z.string(),
  asOf: instantSchema,
  from: instantSchema,
  to: instantSchema,
  dimensions: z.array(
    z.object({
      dimensionId: z.string(),
      displayName: z.string(),
      unitOfMeasure: z.string(),
      points: z.array(z.object({ start: instantSchema, quantity: decimalStringSchema, amount: decimalStringSchema })),
    }),
  ),
  flatFees: z.array(z.object({ start: instantSchema, amount: decimalStringSchema })),
});

/** `GET /v1/subscriptions/{id}/allowance`. */
export const allowanceResponseSchema = z.object({
  subscriptionId: z.string(),
  asOf: instantSchema,
  planId: z.string().nullable(),
  term: z.object({ start: instantSchema, end: instantSchema }).nullable(),
  dimensions: z.array(
    z.object({
      dimensionId: z.string(),
      displayName: z.string(),
      unitOfMeasure: z.string(),
      included: z.union([decimalStringSchema, z.literal('unlimited')]),
      used: decimalStringSchema,
      remaining: z.union([decimalStringSchema, z.literal('unlimited')]),
      overage: decimalStringSchema,
    }),
  ),
});

/** `GET /v1/partners/{partnerId}/customers` (publisher or that partner). */
export const partnerCustomersResponseSchema = z.object({
  partnerId: z.string(),
  asOf: instantSchema,
  timeZone: z.string().nullable(),
  customers: z.array(
    z.object({
      subscriptionId: z.string(),
      customerId: z.string(),
      name: z.string().nullable(),
      tenantId: z.string().nullable(),
      offerId: z.string().nullable(),
      planId: z.string().nullable(),
      status: subscriptionStatusSchema.nullable(),
      creditState: z.enum(['ok', 'warning', 'approvalRequired', 'purchaseBlocked']).nullable(),
      creditLevels: z.object({ warning: moneySchema, approvalRequired: moneySchema, purchaseBlocked: moneySchema }),
      provisionalCredit: moneySchema.nullable(),
      monthToDate: moneySchema.nullable(),
      largestMonthlyCharge: moneySchema.extend({ month: z.string() }).nullable(),
      purchaseBlocked: z.boolean().nullable(),
      pendingApprovals: z.array(
        z.object({
          id: z.string(),
          planId: z.string().nullable(),
          maxQuantity: z.number().nullable(),
          approvedAt: instantSchema,
          expiresAt: instantSchema,
        }),
      ),
    }),
  ),
});

/** `GET /v1/subscriptions?status=&offerId=&planId=&tenantId=&partnerId=&limit=&cursor=` (scoped to the caller). */
export const listSubscriptionsQuerySchema = z.strictObject({
  status: subscriptionStatusSchema.optional(),
  offerId: idParamSchema.optional(),
  planId: idParamSchema.optional(),
  tenantId: idParamSchema.optional(),
  partnerId: idParamSchema.optional(),
  limit: pageLimitSchema.optional(),
  cursor: cursorSchema.optional(),
});

export const subscriptionListResponseSchema = z.object({
  subscriptions: z.array(
    z.object({
      id: z.string(),
      name: z.string().optional(),
      offerId: z.string(),
      planId: z.string(),
      status: subscriptionStatusSchema,
      beneficiaryTenantId: z.string(),
      purchaserTenantId: z.string(),
      partnerId: z.string().optional(),
      quantity: z.number().optional(),
      term: z.object({ startDate: z.string(), endDate: z.string(), termUnit: z.enum(TERM_UNITS) }).optional(),
    }),
  ),
  nextCursor: z.string().optional(),
});

/** `GET /v1/partners?limit=&cursor=` (publisher). */
export const listPartnersQuerySchema = z.strictObject({
  limit: pageLimitSchema.optional(),
  cursor: cursorSchema.optional(),
});

/** `GET /v1/partners/{partnerId}/day-packs?limit=&cursor=` (publisher, or that partner). */
export const listPartnerDayPacksQuerySchema = z.strictObject({
  limit: pageLimitSchema.optional(),
  cursor: cursorSchema.optional(),
});

/** `GET /v1/day-packs?partnerId=&limit=&cursor=` (publisher: partnerId required; partner: its own). */
export const listDayPacksQuerySchema = z.strictObject({
  partnerId: idParamSchema.optional(),
  limit: pageLimitSchema.optional(),
  cursor: cursorSchema.optional(),
});
