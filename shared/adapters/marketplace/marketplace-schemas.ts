/**
 * Lenient parsing of everything the marketplace sends (reference/marketplace-api.md §6.11, §2.1 "do not deserialize
 * strictly"): unknown fields are dropped, never rejected; strings are trimmed (doc samples pad statuses:
 * `" Subscribed "`); `quantity` may be a number, a numeric string (`"20"`), `""` or `null`; missing or `null` arrays are
 * empty; an empty body on a list call is an empty list. Only what we cannot work without (ids, statuses) is required.
 *
 * Known enumeration values are matched case-insensitively and returned in Microsoft's spelling; an unknown value is
 * kept (trimmed) so a value Microsoft adds later reaches the caller.
 */
import * as z from 'zod';
import type {
  AcceptedUsageEvent,
  AvailablePlan,
  BatchUsageEventResult,
  MarketplaceErrorBody,
  MarketplaceParty,
  MarketplaceSubscription,
  ReportedUsage,
  ResolvedSubscription,
  SaasOperation,
  SubscriptionPage,
  UsageEventResult,
  UsageEventStatus,
} from '#shared/use-cases/ports/marketplace.ts';

// ----- primitives ------------------------------------------------------------------------------------------------

/** A trimmed string; numbers become their decimal text; empty, null, absent or anything else → undefined. */
export function lenientString(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return undefined;
}

/** A number from a number or a numeric string (`20`, `"20"`, `" 0.5 "`); `""`, null, absent, junk → undefined. */
export function lenientNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** `true`/`"true"`/`"True"` → true, `false`/`"false"` → false, anything else → `fallback`. */
export function lenientBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  return text === 'true' ? true : text === 'false' ? false : fallback;
}

/** The known value matching `value` case-insensitively (after trimming), else the trimmed value itself. */
export function lenientEnum<T extends string>(known: readonly T[], value: unknown): T | string | undefined {
  const text = lenientString(value);
  if (text === undefined) {
    return undefined;
  }
  const lower = text.toLowerCase();
  return known.find((candidate) => candidate.toLowerCase() === lower) ?? text;
}

const optionalString = z.unknown().optional().transform(lenientString);
const optionalNumber = z.unknown().optional().transform(lenientNumber);
const requiredString = (what: string) =>
  z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      const text = lenientString(value);
      if (text === undefined) {
        ctx.addIssue({ code: 'custom', message: `${what} is missing` });
        return z.NEVER;
      }
      return text;
    });
const flag = (fallback: boolean) =>
  z
    .unknown()
    .optional()
    .transform((value) => lenientBoolean(value, fallback));
const enumOf = <T extends string>(known: readonly T[]) =>
  z
    .unknown()
    .optional()
    .transform((value) => lenientEnum(known, value));
const requiredEnumOf = <T extends string>(known: readonly T[], what: string) =>
  z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      const result = lenientEnum(known, value);
      if (result === undefined) {
        ctx.addIssue({ code: 'custom', message: `${what} is missing` });
        return z.NEVER;
      }
      return result;
    });
/** Number or string kept as sent (prices: never pushed through floating point here). */
const numberOrText = z
  .unknown()
  .optional()
  .transform((value) =>
    typeof value === 'number' && Number.isFinite(value)
      ? value
      : typeof value === 'string'
        ? lenientString(value)
        : undefined,
  );
/** An array, or nothing/null/anything else which counts as empty. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (Array.isArray(value) ? value : []), z.array(item));
/** An object, or nothing (null, absent, a string) which becomes `{}` so optional fields simply stay undefined. */
const object = <T extends z.ZodRawShape>(shape: T) =>
  z.preprocess((value) => (isRecord(value) ? value : {}), z.object(shape));
/** Like `object`, but null/absent stays undefined. */
const optionalObject = <T extends z.ZodType>(schema: T) =>
  z
    .unknown()
    .optional()
    .transform((value, ctx): z.output<T> | undefined => {
      if (!isRecord(value)) {
        return undefined;
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom' });
        return z.NEVER;
      }
      return parsed.data;
    });

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ----- Fulfillment (§1) ------------------------------------------------------------------------------------------

const SUBSCRIPTION_STATUSES = ['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed', 'NotStarted'];
const TERM_UNITS = ['P1M', 'P1Y', 'P2Y', 'P3Y', 'P4Y', 'P5Y'];
const CUSTOMER_OPERATIONS = ['Read', 'Update', 'Delete'];
const OPERATION_ACTIONS = ['Unsubscribe', 'ChangePlan', 'ChangeQuantity', 'Suspend', 'Reinstate', 'Renew'];
const OPERATION_STATUSES = ['NotStarted', 'InProgress', 'Succeeded', 'Failed', 'Conflict'];

const partySchema = object({
  emailId: optionalString,
  objectId: optionalString,
  tenantId: optionalString,
  puid: optionalString,
}).transform((party): MarketplaceParty => party);

export const subscriptionSchema = object({
  id: requiredString('id'),
  publisherId: optionalString,
  offerId: requiredString('offerId'),
  planId: requiredString('planId'),
  name: optionalString,
  quantity: optionalNumber,
  saasSubscriptionStatus: requiredEnumOf(SUBSCRIPTION_STATUSES, 'saasSubscriptionStatus'),
  beneficiary: optionalObject(partySchema),
  purchaser: optionalObject(partySchema),
  term: optionalObject(
    object({
      startDate: optionalString,
      endDate: optionalString,
      termUnit: enumOf(TERM_UNITS),
      chargeDuration: optionalString,
    }),
  ),
  // §1.3: autoRenew defaults to true; isFreeTrial absent means false.
  autoRenew: flag(true),
  isFreeTrial: flag(false),
  isTest: flag(false),
  allowedCustomerOperations: list(z.unknown()).transform((values) =>
    values.map((value) => lenientEnum(CUSTOMER_OPERATIONS, value)).filter((value) => value !== undefined),
  ),
  sessionMode: enumOf(['None', 'DryRun']),
  sandboxType: enumOf(['None', 'Csp']),
  created: optionalString,
  lastModified: optionalString,
}).transform((subscription): MarketplaceSubscription => subscription);

export const resolvedSubscriptionSchema = object({
  id: requiredString('id'),
  subscriptionName: optionalString,
  offerId: requiredString('offerId'),
  planId: requiredString('planId'),
  quantity: optionalNumber,
  subscription: optionalObject(subscriptionSchema),
}).transform((resolved): ResolvedSubscription => resolved);

export const subscriptionPageSchema = object({
  subscriptions: list(subscriptionSchema),
  // §1.2 #3: an empty or absent `@nextLink` means the last page.
  '@nextLink': optionalString,
}).transform(
  (page): SubscriptionPage => ({
    subscriptions: page.subscriptions,
    ...(page['@nextLink'] ? { nextLink: page['@nextLink'] } : {}),
  }),
);

const availablePlanSchema = object({
  planId: requiredString('planId'),
  displayName: optionalString,
  isPrivate: flag(false),
  description: optionalString,
  minQuantity: numberOrText,
  maxQuantity: numberOrText,
  hasFreeTrials: flag(false),
  isPricePerSeat: flag(false),
  isStopSell: flag(false),
  market: optionalString,
  planComponents: object({
    recurrentBillingTerms: list(
      object({
        currency: optionalString,
        price: numberOrText,
        termUnit: optionalString,
        termDescription: optionalString,
        meteredQuantityIncluded: list(object({ dimensionId: optionalString, units: numberOrText })),
      }),
    ),
    meteringDimensions: list(
      object({
        id: optionalString,
        currency: optionalString,
        pricePerUnit: numberOrText,
        unitOfMeasure: optionalString,
        displayName: optionalString,
      }),
    ),
  }),
  sourceOffers: list(object({ externalId: optionalString })),
}).transform((plan): AvailablePlan => plan);

export const availablePlansSchema = object({ plans: list(availablePlanSchema) });

export const operationSchema = object({
  id: requiredString('id'),
  activityId: optionalString,
  subscriptionId: requiredString('subscriptionId'),
  offerId: optionalString,
  publisherId: optionalString,
  planId: optionalString,
  quantity: optionalNumber,
  action: requiredEnumOf(OPERATION_ACTIONS, 'action'),
  timeStamp: optionalString,
  status: requiredEnumOf(OPERATION_STATUSES, 'status'),
  errorStatusCode: optionalString,
  errorMessage: optionalString,
  operationRequestSource: enumOf(['Azure', 'Partner']),
}).transform((operation): SaasOperation => operation);

// §1.2 operations: `{ "operations": [...] }`, or empty JSON when there are none.
export const operationsSchema = object({ operations: list(operationSchema) });

// ----- Metering (§4) ---------------------------------------------------------------------------------------------

const USAGE_EVENT_STATUSES: readonly UsageEventStatus[] = [
  'Accepted',
  'Expired',
  'Duplicate',
  'Error',
  'ResourceNotFound',
  'ResourceNotAuthorized',
  'ResourceNotActive',
  'InvalidDimension',
  'InvalidQuantity',
  'BadArgument',
];

const acceptedUsageEventShape = {
  usageEventId: optionalString,
  status: optionalString,
  messageTime: optionalString,
  resourceId: optionalString,
  resourceUri: optionalString,
  quantity: optionalNumber,
  dimension: optionalString,
  effectiveStartTime: optionalString,
  planId: optionalString,
};

export const acceptedUsageEventSchema = object(acceptedUsageEventShape).transform(
  (event): AcceptedUsageEvent => ({ ...event, status: event.status ?? 'Accepted' }),
);

/**
 * A marketplace error object, either bare (400/409 bodies, §4.1) or wrapped as `{ "error": {...} }` (the documented
 * 5xx body, §1.1). On 409 / Duplicate the original event is at `additionalInfo.acceptedMessage`.
 */
export const errorBodySchema = z.preprocess(
  (value) => (isRecord(value) && isRecord(value.error) ? value.error : isRecord(value) ? value : {}),
  object({
    code: optionalString,
    message: optionalString,
    target: optionalString,
    details: list(object({ code: optionalString, message: optionalString, target: optionalString })),
    additionalInfo: object({
      acceptedMessage: optionalObject(acceptedUsageEventSchema),
    }),
  }).transform(
    ({ additionalInfo, ...error }): MarketplaceErrorBody => ({
      ...error,
      ...(additionalInfo.acceptedMessage ? { acceptedMessage: additionalInfo.acceptedMessage } : {}),
    }),
  ),
);

const usageEventResultSchema = object({
  ...acceptedUsageEventShape,
  status: z.unknown().optional(),
  error: optionalObject(errorBodySchema),
}).transform((item): UsageEventResult => {
  const status = lenientEnum(USAGE_EVENT_STATUSES, item.status);
  const known = USAGE_EVENT_STATUSES.find((candidate) => candidate === status);
  const { error, ...rest } = item;
  return {
    ...rest,
    // An unknown or missing status is reported as Error (retry): a retried event that had in fact been accepted
    // answers Duplicate, so retrying never bills twice (§4.3 "one event per resource + dimension + hour").
    status: known ?? 'Error',
    ...(known === undefined ? { rawStatus: String(status ?? '') } : {}),
    ...(error ? { error } : {}),
    ...(error?.acceptedMessage ? { acceptedMessage: error.acceptedMessage } : {}),
  };
});

export const batchUsageEventResultSchema = object({
  count: optionalNumber,
  result: list(usageEventResultSchema),
}).transform((batch): BatchUsageEventResult => ({ count: batch.count ?? batch.result.length, result: batch.result }));

const reportedUsageSchema = object({
  usageDate: optionalString,
  usageResourceId: optionalString,
  dimension: optionalString,
  planId: optionalString,
  planName: optionalString,
  offerId: optionalString,
  offerName: optionalString,
  offerType: optionalString,
  azureSubscriptionId: optionalString,
  reconStatus: enumOf(['Submitted', 'Accepted', 'Rejected', 'Mismatch', 'TestHeaders', 'DryRun']),
  submittedQuantity: optionalNumber,
  processedQuantity: optionalNumber,
  submittedCount: optionalNumber,
}).transform((row): ReportedUsage => row);

/** §4.2: a JSON array; tolerate an object wrapping it (`{ value: [...] }`) and an empty body. */
export const reportedUsageListSchema = z.preprocess(
  (value) => (Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.value) ? value.value : []),
  z.array(reportedUsageSchema),
);

/** The body as JSON: axios leaves non-JSON or empty bodies as strings; empty means "nothing". */
export function jsonBody(data: unknown): unknown {
  if (typeof data !== 'string') {
    return data ?? undefined;
  }
  const text = data.trim();
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return data;
  }
}
