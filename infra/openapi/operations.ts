import { z } from 'zod';
import {
  alertHistoryQuerySchema,
  approvalSchema,
  auditQuerySchema,
  budgetSchema,
  contactParamSchema,
  createApiKeySchema,
  creditLevelsSchema,
  issueDayPacksSchema,
  listDayPacksQuerySchema,
  listPartnerDayPacksQuerySchema,
  listPartnersQuerySchema,
  listSubscriptionsQuerySchema,
  outboxQuerySchema,
  partnerSchema,
  redeemDayPackSchema,
  reportingRunsQuerySchema,
  usageQuerySchema,
  usageSeriesQuerySchema,
} from '#functions/api/schema.ts';
import { changePlanSchema, changeQuantitySchema } from '#functions/publisher-operations/schema.ts';
import { idempotencyKeySchema, usageRequestSchema } from '#functions/usage-ingest/schema.ts';
import type { Role } from '#shared/domain/access.ts';
import { landingFormSchema, landingQuerySchema, webhookPayloadSchema } from './marketplace-inputs.ts';
import * as answers from './responses.ts';

/**
 * What the OpenAPI description says about each route, keyed `METHOD /path` as the code routes it (the Api function's
 * route list in functions/api/routes.ts and the other functions' routes in infra/functions.ts). The document
 * (infra/openapi/document.ts) refuses to build while a route of the code has no entry here or an entry has no route,
 * so a new route is described here or `npm run openapi` and its test fail naming it.
 *
 * Describing a route: one entry with its summary, who may call it (`auth`, `roles`), the zod schemas its handler
 * parses (`query`, `headers`, `body` — the same objects, imported from the function's schema.ts), its answers (a
 * schema from infra/openapi/responses.ts, bound to the use case's result type) with an example each, and the error
 * statuses it can answer beyond the ones every route gets (401 with an API key, 400 when it reads input, 500).
 */

/** How a caller is authenticated. */
export type Auth =
  /** Our API keys: `Authorization: Bearer mmk_…` or `x-api-key: mmk_…` (shared/http/request.ts `presentedApiKey`). */
  | 'apiKey'
  /** Microsoft's Entra ID token on the marketplace webhook (functions/fulfillment-webhook). */
  | 'entraBearer'
  /** No credential: Microsoft's purchase token in the query string or form is what the page resolves. */
  | 'landingToken'
  /**
   * The portal's session cookie `mm_session` (shared/http/session.ts), set after signing in with Microsoft: the
   * portal's pages. The Api function's routes accept it too, as an alternative to `apiKey` (infra/openapi/document.ts).
   */
  | 'session'
  /** Public: the description itself, and the sign-in steps that lead to a session. */
  | 'none';

/** An error status a route can answer besides the ones every route gets. */
export type ErrorStatus = 403 | 404 | 409 | 413 | 422 | 429 | 503;

export interface Answer {
  readonly description: string;
  /** Absent for an answer without a body (204). */
  readonly schema?: z.ZodType;
  readonly example?: unknown;
  /** Default `application/json`. */
  readonly contentType?: 'application/json' | 'text/html';
  readonly headers?: z.ZodObject;
}

export interface OperationDescription {
  /** Stable name for generated clients (camelCase verb first). */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: Auth;
  /** With `auth: 'apiKey'`: the key roles allowed (scope is then checked per resource). */
  readonly roles?: readonly Role[];
  /** A path parameter that is not an id (default: the id schema the Api parses), e.g. a greedy `{proxy+}`. */
  readonly pathParams?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly example: unknown; readonly contentType?: string };
  readonly answers: Readonly<Record<number, Answer>>;
  readonly errors?: readonly ErrorStatus[];
}

const ANY_KEY: readonly Role[] = ['publisher', 'partner', 'customer'];
const PUBLISHER: readonly Role[] = ['publisher'];
const SUBSCRIPTION_READERS = ANY_KEY;

const SUBSCRIPTION_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const TENANT_ID = 'f0e1d2c3-0000-4000-8000-00000000000a';
const money = (amount: string, currency = 'JPY') => ({ currency, amount });

const subscriptionExample = {
  id: SUBSCRIPTION_ID,
  name: 'Contoso analytics',
  offerId: 'contoso-analytics',
  planId: 'standard',
  status: 'Subscribed',
  term: { startDate: '2026-11-01', endDate: '2026-11-30', termUnit: 'P1M' },
  isFreeTrial: false,
  beneficiary: { tenantId: TENANT_ID, emailId: 'admin@fabrikam.example' },
  purchaser: { tenantId: TENANT_ID, emailId: 'admin@fabrikam.example' },
  timeline: [{ from: '2026-11-01T00:00:00.000Z', status: 'Subscribed', planId: 'standard' }],
};

/** The signed token of a contact link (confirm or unsubscribe). */
const contactTokenQuery = z.object({ token: z.string().optional() });
const contactTokenForm = z.object({
  token: z.string().optional(),
  'List-Unsubscribe': z.literal('One-Click').optional(),
});
/** The answers of the contact pages: HTML in the contact's language. */
function contactPageAnswers(ok: string): Readonly<Record<number, Answer>> {
  const page = (description: string): Answer => ({ description, contentType: 'text/html', schema: z.string() });
  return {
    200: page(ok),
    400: page('The link is not valid: what to do'),
    410: page('The link has expired: what to do'),
    503: page('Try again'),
  };
}

const budgetExample = {
  subscriptionId: SUBSCRIPTION_ID,
  customerId: TENANT_ID,
  plannedMonthlyAmount: money('100000'),
  thresholds: ['0.5', '0.8', '1'],
  forecastAlert: true,
  spikeMinimumAmount: money('1000'),
  timeZone: 'Asia/Tokyo',
  locale: 'ja',
  contacts: { emails: ['billing@fabrikam.example'], phones: [] },
  contactStates: [
    {
      channel: 'email',
      address: 'billing@fabrikam.example',
      status: 'pending',
      since: '2026-11-01T09:30:00.000Z',
      mutedRules: [],
    },
  ],
};

const partnerSummaryExample = {
  id: 'reseller-one',
  name: 'Reseller One',
  tenantId: 'c0ffee00-0000-4000-8000-000000000002',
  locale: 'en',
  timeZone: 'Asia/Tokyo',
  contacts: { emails: ['credit@reseller-one.example'], phones: ['+81312345678'] },
};

const partnerExample = {
  ...partnerSummaryExample,
  contactStates: [
    {
      channel: 'email',
      address: 'credit@reseller-one.example',
      status: 'active',
      since: '2026-11-02T01:00:00.000Z',
      mutedRules: ['purchaseChangeRejected'],
    },
  ],
};

/** The `{contact}` of the confirmation requests. */
const contactPath = contactParamSchema.meta({
  description: 'The e-mail address or E.164 phone number as the settings list it, percent-encoded (`%40`, `%2B`)',
  example: 'billing%40fabrikam.example',
});

const CONFIRMATION_REQUEST_DESCRIPTION =
  'A `pending` contact is sent its confirmation message again. A `bounced`, `complained` or `optedOut` one goes ' +
  'back to `pending` and is sent one: alerts start again only when the person follows the link and confirms, never ' +
  'on this request alone. At most one message per contact every 24 hours (7 days after the person unsubscribed or ' +
  'complained), else 429 saying when. 409 for an `active` contact, and for an address the channel refuses (a number ' +
  'that replied STOP until its holder texts START; an address on the SES suppression list): the message says who ' +
  'can lift it. docs/alerts.md "Asking again".';

function contactConfirmationExample(address: string, channel: 'email' | 'sms') {
  return {
    channel,
    address,
    status: 'pending',
    since: '2026-12-07T01:00:00.000Z',
    mutedRules: [],
    confirmationSentAt: '2026-12-07T01:00:00.000Z',
  };
}

const prepaidTermExample = {
  subscriptionId: SUBSCRIPTION_ID,
  productKey: 'contoso-analytics',
  start: '2026-12-01T00:00:00.000Z',
  end: '2026-12-31T00:00:00.000Z',
  extensions: 0,
};

const redeemedPackExample = {
  codeHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  productKey: 'contoso-analytics',
  days: 30,
  partnerId: 'reseller-one',
  issuedAt: '2026-11-20T09:00:00.000Z',
  redemption: {
    subscriptionId: SUBSCRIPTION_ID,
    redeemedAt: '2026-12-01T00:00:00.000Z',
    termAfter: prepaidTermExample,
  },
};

const operationExample = {
  subscriptionId: SUBSCRIPTION_ID,
  operationId: '7d0d6b4e-0000-4000-8000-0000000000ff',
  action: 'ChangePlan',
  status: 'Succeeded',
  done: true,
  appliedBy: 'operation',
};
const operationInProgress = { ...operationExample, status: 'InProgress', done: false };
const operationLocation = z.object({
  location: z.string().meta({ description: 'Where to read the operation again (GET …/operations/{operationId})' }),
});

/** What every paged list of the data API says about `limit` and `cursor` (docs/usage-data.md#lists). */
const PAGED_LIST =
  "`limit` 1 to 100 (default 50); `cursor` is the previous page's `nextCursor` (opaque: a cursor this list did not issue, or issued with other filters, is answered 400). A page may hold fewer than `limit` items and still have a `nextCursor`: follow it until it is absent.";

const PUBLISHER_OPERATION_ANSWERS = {
  200: {
    description: 'Microsoft finished the operation: its final status',
    schema: answers.publisherOperation,
    example: operationExample,
  },
  202: {
    description: 'Microsoft is still working on it: poll the `location`',
    schema: answers.publisherOperation,
    example: operationInProgress,
    headers: operationLocation,
  },
} as const;

/** `?lang=` of a portal page (functions/portal/schema.ts `portalLanguage`). */
const PORTAL_LANGUAGE = z.object({
  lang: z.enum(['en', 'ja']).optional().meta({
    description: 'The page language; else the `mm_lang` cookie, else `Accept-Language`, else English',
  }),
});
const PORTAL_PAGE_HEADERS = z.object({
  'content-security-policy': z.string().meta({ description: 'Scripts, styles and fetches from this origin only' }),
  'cache-control': z.string().meta({ description: '`no-store` (the page carries the session’s CSRF token)' }),
});
const SIGN_IN_REDIRECT = z.object({
  location: z.string().meta({
    description: 'Sign in, then come back to the page asked for',
    example: '/auth/sign-in?returnTo=%2Fportal',
  }),
});
const PORTAL_FAILURE: Answer = {
  description: 'Failed on our side: a page with a reference to our logs',
  contentType: 'text/html',
  schema: z.string(),
};

/** The answer of both day-pack lists (`GET /v1/day-packs`, `GET /v1/partners/{partnerId}/day-packs`). */
const dayPackPageAnswer = {
  description: 'One page of day packs',
  schema: answers.dayPackPage,
  example: {
    dayPacks: [redeemedPackExample],
    nextCursor: 'eyJwayI6IkRBWVBBQ0sjOWY4NmQwODEiLCJzayI6IkRBWVBBQ0sifQ',
  },
};

export const OPERATIONS: Readonly<Record<string, OperationDescription>> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Health of the table, the usage queue and the Entra credential',
    tag: 'Health',
    auth: 'apiKey',
    roles: ANY_KEY,
    answers: {
      200: {
        description: 'Everything reachable',
        schema: answers.health,
        example: {
          status: 'ok',
          healthy: true,
          checks: {
            table: { ok: true },
            usageQueue: { ok: true },
            entraCredential: {
              ok: true,
              state: 'ready',
              expiresOn: '2027-06-01',
              daysLeft: 176,
              message: 'Valid until 2027-06-01 (176 days left).',
            },
          },
        },
      },
      503: {
        description:
          'A dependency is down, or the Entra credential is the placeholder, expired or unreadable: the failing check ' +
          'is named, the credential with the command that fixes it',
        schema: answers.health,
        example: {
          status: 'degraded',
          healthy: false,
          checks: {
            table: { ok: true },
            usageQueue: { ok: true },
            entraCredential: {
              ok: false,
              state: 'placeholder',
              message:
                'Not set: the SSM parameter /Marketplace/entra/client-secret holding the Entra client secret does not ' +
                'exist yet, so every Microsoft call fails. aws ssm put-parameter --name ' +
                '/Marketplace/entra/client-secret --type SecureString --overwrite --value ' +
                '\'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}\'',
            },
          },
        },
      },
    },
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This description (OpenAPI 3.1)',
    tag: 'Reference',
    auth: 'none',
    answers: {
      200: {
        description: 'The OpenAPI document, as committed in docs/openapi.json',
        schema: z.looseObject({ openapi: z.string() }),
        example: { openapi: '3.1.0' },
      },
    },
  },
  'GET /docs/api': {
    operationId: 'getApiReference',
    summary: 'This description as a readable page',
    tag: 'Reference',
    auth: 'none',
    answers: {
      200: { description: 'A self-contained HTML page (no scripts)', contentType: 'text/html', schema: z.string() },
    },
  },
  'GET /v1/me': {
    operationId: 'getCaller',
    summary: "The caller's role and scope",
    tag: 'Keys',
    auth: 'apiKey',
    roles: ANY_KEY,
    answers: {
      200: {
        description:
          "The principal of the key; with the portal's session, the signed-in user's role, scope and who they are",
        schema: answers.caller,
        example: { role: 'partner', keyId: 'k3Jd9sLq0aZx81Pw', partnerId: 'reseller-one' },
      },
    },
  },
  'GET /v1/catalog': {
    operationId: 'getCatalog',
    summary: 'Offers, plans and prices',
    description: 'Private plans are shown only to the publisher and to their audience.',
    tag: 'Catalog',
    auth: 'apiKey',
    roles: ANY_KEY,
    answers: {
      200: {
        description: 'The catalog the caller may see',
        schema: answers.catalog,
        example: {
          storeFeeRate: '0.03',
          offers: [
            {
              id: 'contoso-analytics',
              displayName: 'Contoso Analytics',
              dimensions: [{ id: 'api-calls', displayName: 'API calls', unitOfMeasure: 'per 1,000 calls' }],
              plans: [
                {
                  id: 'standard',
                  displayName: 'Standard',
                  visibility: 'public',
                  pricingModel: 'flatRate',
                  freeTrial: false,
                  billingTerms: [
                    {
                      termUnit: 'P1M',
                      billingFrequency: 'monthly',
                      price: { JPY: '30000', USD: '200' },
                      includedQuantities: { 'api-calls': '1000' },
                    },
                  ],
                  meteredDimensions: [{ dimensionId: 'api-calls', pricePerUnit: { JPY: '15', USD: '0.1' } }],
                },
              ],
            },
          ],
        },
      },
    },
  },
  'POST /v1/api-keys': {
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description: 'The key is in the answer once; only its hash is stored.',
    tag: 'Keys',
    auth: 'apiKey',
    roles: PUBLISHER,
    body: {
      schema: createApiKeySchema,
      example: { name: 'Reseller One portal', role: 'partner', partnerId: 'reseller-one' },
    },
    answers: {
      201: {
        description: 'The new key, with its secret (shown this once)',
        schema: answers.createdApiKey,
        example: {
          token: 'mmk_k3Jd9sLq0aZx81Pw_Zk3v…',
          record: {
            keyId: 'k3Jd9sLq0aZx81Pw',
            name: 'Reseller One portal',
            role: 'partner',
            partnerId: 'reseller-one',
            createdAt: '2026-12-07T03:00:00.000Z',
          },
        },
      },
    },
    errors: [403],
  },
  'GET /v1/api-keys': {
    operationId: 'listApiKeys',
    summary: 'List the API keys (no secrets)',
    tag: 'Keys',
    auth: 'apiKey',
    roles: PUBLISHER,
    answers: {
      200: {
        description: 'Every key, revoked ones included',
        schema: answers.apiKeyList,
        example: {
          apiKeys: [
            {
              keyId: 'p0Ub1isherKey000',
              name: 'billing service',
              role: 'publisher',
              createdAt: '2026-11-01T00:00:00.000Z',
            },
          ],
        },
      },
    },
    errors: [403],
  },
  'DELETE /v1/api-keys/{keyId}': {
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'At once, except on `POST /v1/usage`, which caches keys for up to a minute.',
    tag: 'Keys',
    auth: 'apiKey',
    roles: PUBLISHER,
    answers: { 204: { description: 'Revoked' } },
    errors: [403, 404],
  },
  'POST /v1/usage': {
    operationId: 'sendUsage',
    summary: 'Send usage events (1 to 1,000 per request)',
    description:
      'Each event is answered on its own (accepted, rejected with a reason, duplicate). Send an `Idempotency-Key` ' +
      'and retry with the same key and body: the usage counts once and the first answer is given again. ' +
      'Served by the UsageIngest function (docs/sending-usage.md).',
    tag: 'Usage',
    auth: 'apiKey',
    roles: PUBLISHER,
    headers: z.object({
      'idempotency-key': idempotencyKeySchema.meta({
        description: 'Makes a retried request count once (a UUID is ideal); the same key with another body is a 422',
      }),
    }),
    body: {
      schema: usageRequestSchema,
      example: {
        events: [
          {
            subscriptionId: SUBSCRIPTION_ID,
            dimension: 'api-calls',
            quantity: 12,
            timestamp: '2026-12-07T02:15:00Z',
            id: 'evt-0001',
          },
          {
            subscriptionId: SUBSCRIPTION_ID,
            dimension: 'api-calls',
            quantity: '0.5',
            timestamp: '2026-12-07T11:20:00+09:00',
          },
        ],
      },
    },
    answers: {
      202: {
        description: 'Per-event results; the accepted events are queued and count once',
        schema: answers.usageAnswer,
        example: {
          accepted: 1,
          rejected: 1,
          duplicate: 0,
          results: [
            { index: 0, id: 'evt-0001', status: 'accepted' },
            {
              index: 1,
              status: 'rejected',
              reason: 'unknownDimension',
              message: 'dimension "api-call" is not a dimension of plan standard: use one of api-calls',
            },
          ],
        },
      },
    },
    errors: [403, 409, 413, 422, 503],
  },
  'GET /v1/subscriptions': {
    operationId: 'listSubscriptions',
    summary: 'The subscriptions the caller may see, page by page, with filters',
    description: `The publisher sees all; a partner its linked customers' (another \`partnerId\` is 403); a customer key its subscription ids and those whose beneficiary or purchaser tenant is its tenant. \`tenantId\` matches the beneficiary or the purchaser. Oldest first within each status. ${PAGED_LIST}`,
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: ANY_KEY,
    query: listSubscriptionsQuerySchema,
    answers: {
      200: {
        description: 'One page of subscriptions',
        schema: answers.subscriptionPage,
        example: {
          subscriptions: [
            {
              id: SUBSCRIPTION_ID,
              name: 'Contoso analytics',
              offerId: 'contoso-analytics',
              planId: 'standard',
              status: 'Subscribed',
              beneficiaryTenantId: TENANT_ID,
              purchaserTenantId: TENANT_ID,
              partnerId: 'reseller-one',
              term: { startDate: '2026-11-01', endDate: '2026-11-30', termUnit: 'P1M' },
            },
          ],
          nextCursor: 'eyJzIjoxLCJrIjp7InBrIjoiU1VCI2ExYjJjM2Q0Iiwic2siOiJTVUIifX0',
        },
      },
    },
    errors: [403],
  },
  'GET /v1/subscriptions/{subscriptionId}': {
    operationId: 'getSubscription',
    summary: 'A stored subscription',
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    answers: { 200: { description: 'The subscription', schema: answers.subscription, example: subscriptionExample } },
    errors: [403, 404],
  },
  'GET /v1/subscriptions/{subscriptionId}/entitlement': {
    operationId: 'getEntitlement',
    summary: 'May the subscription be used, on which plan, what is left',
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    answers: {
      200: {
        description: 'The entitlement now',
        schema: answers.entitlement,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          status: 'Subscribed',
          entitled: true,
          offerId: 'contoso-analytics',
          planId: 'standard',
          quantity: null,
          term: { startDate: '2026-12-01', endDate: '2026-12-31', termUnit: 'P1M' },
          prepaidTermEnd: null,
          includedSince: '2026-12-01T00:00:00.000Z',
          included: [{ dimension: 'api-calls', included: '1000', used: '412', remaining: '588' }],
          purchaseBlocked: false,
          purchaseBlock: null,
          asOf: '2026-12-07T03:00:00.000Z',
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/subscriptions/{subscriptionId}/usage': {
    operationId: 'getSubscriptionUsage',
    summary: 'Usage and money by month and dimension',
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    query: usageQuerySchema,
    answers: {
      200: {
        description: 'The last `months` months, newest last',
        schema: answers.subscriptionUsage,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          currency: 'JPY',
          currencies: ['USD', 'JPY'],
          timeZone: 'Asia/Tokyo',
          asOf: '2026-12-09T03:00:00.000Z',
          monthToDate: money('30000'),
          forecast: money('30000'),
          forecastBasis: { start: '2026-11-30T15:00:00.000Z', end: '2026-12-09T03:00:00.000Z' },
          months: [
            {
              month: '2026-12',
              complete: false,
              total: money('30000'),
              flatFees: money('30000'),
              usageCharges: money('0'),
              dimensions: [
                {
                  dimensionId: 'api-calls',
                  displayName: 'API calls',
                  unitOfMeasure: 'per 1,000 calls',
                  quantity: '412',
                  overageQuantity: '0',
                  amount: money('0'),
                },
              ],
            },
          ],
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/subscriptions/{subscriptionId}/usage/series': {
    operationId: 'getUsageSeries',
    summary: 'Usage and its charge per hour, day or month, for graphs',
    description:
      "Per metered dimension, one point per bucket (zero where nothing was used) with its quantity and the usage charge attributable to it: a calendar month's points add up exactly to that month's dimension amount in `GET /v1/subscriptions/{subscriptionId}/usage`. `from` and `to` are widened to whole buckets. Defaults: the last 48 hours (hour), the first day of the previous month to now (day), the last 12 months (month); longest spans 31 days of hours, 400 days of days, 36 months of months (400 beyond, naming the granularity to use). 400 too for an unknown time zone or dimension, or a currency the plans are not priced in.",
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    query: usageSeriesQuerySchema,
    answers: {
      200: {
        description: 'The series, in the time zone and currency asked for (default: the budget’s)',
        schema: answers.usageSeries,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          granularity: 'day',
          currency: 'JPY',
          timeZone: 'Asia/Tokyo',
          asOf: '2026-12-07T03:00:00.000Z',
          from: '2026-10-31T15:00:00.000Z',
          to: '2026-11-02T15:00:00.000Z',
          dimensions: [
            {
              dimensionId: 'api-calls',
              displayName: 'API calls',
              unitOfMeasure: '1000 calls',
              points: [
                { start: '2026-10-31T15:00:00.000Z', quantity: '40', amount: '0' },
                { start: '2026-11-01T15:00:00.000Z', quantity: '90', amount: '2250' },
              ],
            },
          ],
          flatFees: [{ start: '2026-10-31T15:00:00.000Z', amount: '15000' }],
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/subscriptions/{subscriptionId}/allowance': {
    operationId: 'getAllowance',
    summary: 'How much of what is included has been used this term',
    description:
      "Per dimension of the plan in force, for the current (anniversary) term: the entitlement's `included` figures, with the overage and the dimension names. `included` and `remaining` are `unlimited` for a dimension that is never billed; `term` is null before activation.",
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    answers: {
      200: {
        description: 'The allowance of the current term',
        schema: answers.allowance,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          asOf: '2026-12-07T03:00:00.000Z',
          planId: 'basic',
          term: { start: '2026-11-15T00:00:00.000Z', end: '2026-12-15T00:00:00.000Z' },
          dimensions: [
            {
              dimensionId: 'api-calls',
              displayName: 'API calls',
              unitOfMeasure: '1000 calls',
              included: '100',
              used: '150',
              remaining: '0',
              overage: '50',
            },
          ],
        },
      },
    },
    errors: [403, 404],
  },
  'PUT /v1/subscriptions/{subscriptionId}/budget': {
    operationId: 'saveBudget',
    summary: "Set a subscription's budget and alert contacts",
    tag: 'Budgets and alerts',
    auth: 'apiKey',
    roles: ['publisher', 'customer'],
    body: {
      schema: budgetSchema,
      example: {
        plannedMonthlyAmount: { amount: '100000', currency: 'JPY' },
        thresholds: ['0.5', '0.8', '1'],
        timeZone: 'Asia/Tokyo',
        locale: 'ja',
        contacts: { emails: ['billing@fabrikam.example'] },
      },
    },
    answers: {
      200: {
        description:
          'The budget with its defaults, and the state of each contact: a new one is `pending` and has been sent a ' +
          'confirmation message (alerts start when it follows the link)',
        schema: answers.budget,
        example: budgetExample,
      },
    },
    errors: [403, 404],
  },
  'GET /v1/subscriptions/{subscriptionId}/budget': {
    operationId: 'getBudget',
    summary: "A subscription's budget",
    tag: 'Budgets and alerts',
    auth: 'apiKey',
    roles: ['publisher', 'customer'],
    answers: { 200: { description: 'The budget', schema: answers.budget, example: budgetExample } },
    errors: [403, 404],
  },
  'POST /v1/subscriptions/{subscriptionId}/contacts/{contact}/confirmation': {
    operationId: 'requestBudgetContactConfirmation',
    summary: 'Send a budget contact its confirmation message again',
    description: CONFIRMATION_REQUEST_DESCRIPTION,
    tag: 'Budgets and alerts',
    auth: 'apiKey',
    roles: ['publisher', 'customer'],
    pathParams: { contact: contactPath },
    answers: {
      202: {
        description: 'The message was sent: the contact is `pending` until the person confirms',
        schema: answers.contactConfirmation,
        example: contactConfirmationExample('billing@fabrikam.example', 'email'),
      },
    },
    errors: [403, 404, 409, 429],
  },
  'POST /v1/subscriptions/{subscriptionId}/plan': {
    operationId: 'changePlan',
    summary: 'Change the plan (publisher operation)',
    description: 'Asks Microsoft to change the plan and follows the operation for up to 12 s.',
    tag: 'Publisher operations',
    auth: 'apiKey',
    roles: PUBLISHER,
    body: { schema: changePlanSchema, example: { planId: 'premium' } },
    answers: PUBLISHER_OPERATION_ANSWERS,
    errors: [403, 404, 409, 503],
  },
  'POST /v1/subscriptions/{subscriptionId}/quantity': {
    operationId: 'changeQuantity',
    summary: 'Change the seats (publisher operation)',
    tag: 'Publisher operations',
    auth: 'apiKey',
    roles: PUBLISHER,
    body: {
      schema: changeQuantitySchema,
      example: { quantity: 25, overrideCreditLevel: true, reason: 'approved by phone with Reseller One, ticket 4711' },
    },
    answers: PUBLISHER_OPERATION_ANSWERS,
    errors: [403, 404, 409, 503],
  },
  'DELETE /v1/subscriptions/{subscriptionId}': {
    operationId: 'cancelSubscription',
    summary: 'Cancel the subscription (publisher operation)',
    tag: 'Publisher operations',
    auth: 'apiKey',
    roles: PUBLISHER,
    answers: PUBLISHER_OPERATION_ANSWERS,
    errors: [403, 404, 409, 503],
  },
  'GET /v1/subscriptions/{subscriptionId}/operations/{operationId}': {
    operationId: 'getPublisherOperation',
    summary: 'Status of a publisher operation',
    tag: 'Publisher operations',
    auth: 'apiKey',
    roles: PUBLISHER,
    answers: {
      200: { description: 'The operation now', schema: answers.publisherOperation, example: operationExample },
    },
    errors: [403, 404, 503],
  },
  'GET /v1/subscriptions/{subscriptionId}/audit': {
    operationId: 'listSubscriptionAudit',
    summary: 'Webhooks received and marketplace calls made, newest first',
    tag: 'Subscriptions',
    auth: 'apiKey',
    roles: PUBLISHER,
    query: auditQuerySchema,
    answers: {
      200: {
        description: 'One page of the audit trail',
        schema: answers.auditTrail,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          entries: [
            {
              at: '2026-12-01T00:00:03.000Z',
              kind: 'webhook',
              what: 'ChangePlan Succeeded (operation 7d0d6b4e-0000-4000-8000-0000000000ff)',
              result: 'applied',
              requestId: 'Hx1fZj0NoAMEb0w=',
            },
          ],
          nextCursor: 'eyJzayI6IkFVRElUIzIwMjYtMTEtMzAifQ',
        },
      },
    },
    errors: [403, 404],
  },
  'POST /v1/day-packs': {
    operationId: 'issueDayPacks',
    summary: 'Issue day-pack codes',
    tag: 'Day packs',
    auth: 'apiKey',
    roles: PUBLISHER,
    body: {
      schema: issueDayPacksSchema,
      example: { productKey: 'contoso-analytics', days: 30, count: 1, partnerId: 'reseller-one' },
    },
    answers: {
      201: {
        description: 'The codes, shown this once',
        schema: answers.issuedDayPacks,
        example: {
          dayPacks: [
            {
              code: 'DP-7K2M-Q9XA-44RT',
              pack: {
                codeHash: redeemedPackExample.codeHash,
                productKey: 'contoso-analytics',
                days: 30,
                partnerId: 'reseller-one',
                issuedAt: '2026-11-20T09:00:00.000Z',
              },
            },
          ],
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/day-packs': {
    operationId: 'listDayPacks',
    summary: "A partner's day packs and their redemptions, page by page",
    description: `Oldest issue first. A partner key lists its own packs (\`partnerId\` defaults to it; another partner's is 403); the publisher any partner's, \`partnerId\` required (packs are indexed per partner: without it, 400); customer keys 403. ${PAGED_LIST}`,
    tag: 'Day packs',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    query: listDayPacksQuerySchema,
    answers: {
      200: dayPackPageAnswer,
    },
    errors: [403],
  },
  'POST /v1/subscriptions/{subscriptionId}/day-pack-redemptions': {
    operationId: 'redeemDayPack',
    summary: 'Redeem a day-pack code for a subscription',
    tag: 'Day packs',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    body: { schema: redeemDayPackSchema, example: { code: 'DP-7K2M-Q9XA-44RT' } },
    answers: {
      201: {
        description: 'Redeemed now: a new prepaid term or an extended one',
        schema: answers.redemption,
        example: { outcome: 'newTerm', term: prepaidTermExample, pack: redeemedPackExample },
      },
      200: {
        description: 'This code was redeemed for this subscription already: nothing changed',
        schema: answers.redemption,
        example: { outcome: 'alreadyRedeemed', term: prepaidTermExample, pack: redeemedPackExample },
      },
    },
    errors: [403, 404, 409],
  },
  'GET /v1/subscriptions/{subscriptionId}/prepaid-term': {
    operationId: 'getPrepaidTerm',
    summary: 'The prepaid term and its redemptions',
    tag: 'Day packs',
    auth: 'apiKey',
    roles: SUBSCRIPTION_READERS,
    answers: {
      200: {
        description: 'The term (`null` when none) and the packs redeemed for it',
        schema: answers.prepaidTermView,
        example: { term: prepaidTermExample, redemptions: [redeemedPackExample] },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/partners/{partnerId}/day-packs': {
    operationId: 'listPartnerDayPacks',
    summary: "A partner's day packs and their redemptions, page by page",
    description: `Oldest issue first, as \`GET /v1/day-packs?partnerId=\`. ${PAGED_LIST}`,
    tag: 'Day packs',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    query: listPartnerDayPacksQuerySchema,
    answers: {
      200: dayPackPageAnswer,
    },
    errors: [403],
  },
  'GET /v1/partners': {
    operationId: 'listPartners',
    summary: 'The reseller partners, by id, page by page',
    description: `For the publisher (a partner reads itself with \`GET /v1/partners/{partnerId}\`). A partner saved before this list existed appears once it is saved again. ${PAGED_LIST}`,
    tag: 'Partners',
    auth: 'apiKey',
    roles: PUBLISHER,
    query: listPartnersQuerySchema,
    answers: {
      200: {
        description: 'One page of partners',
        schema: answers.partnerPage,
        example: {
          partners: [partnerSummaryExample],
          nextCursor: 'eyJwayI6IlBBUlRORVIjcmVzZWxsZXItb25lIiwic2siOiJQQVJUTkVSIn0',
        },
      },
    },
    errors: [403],
  },
  'PUT /v1/partners/{partnerId}': {
    operationId: 'savePartner',
    summary: 'Create or update a reseller partner',
    tag: 'Partners',
    auth: 'apiKey',
    roles: PUBLISHER,
    body: {
      schema: partnerSchema,
      example: {
        name: 'Reseller One',
        tenantId: partnerExample.tenantId,
        locale: 'en',
        timeZone: 'Asia/Tokyo',
        contacts: { emails: ['credit@reseller-one.example'], phones: ['+81312345678'] },
      },
    },
    answers: { 200: { description: 'The partner', schema: answers.partner, example: partnerExample } },
    errors: [403],
  },
  'GET /v1/partners/{partnerId}': {
    operationId: 'getPartner',
    summary: 'A reseller partner',
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    answers: { 200: { description: 'The partner', schema: answers.partner, example: partnerExample } },
    errors: [403, 404],
  },
  'POST /v1/partners/{partnerId}/contacts/{contact}/confirmation': {
    operationId: 'requestPartnerContactConfirmation',
    summary: "Send a partner's alert contact its confirmation message again",
    description: CONFIRMATION_REQUEST_DESCRIPTION,
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    pathParams: { contact: contactPath },
    answers: {
      202: {
        description: 'The message was sent: the contact is `pending` until the person confirms',
        schema: answers.contactConfirmation,
        example: contactConfirmationExample('+81312345678', 'sms'),
      },
    },
    errors: [403, 404, 409, 429],
  },
  'PUT /v1/partners/{partnerId}/customers/{subscriptionId}': {
    operationId: 'linkPartnerCustomer',
    summary: 'Link a customer to a partner and set its credit levels (警告 / 要承認 / 購入不可)',
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    body: {
      schema: creditLevelsSchema,
      example: {
        warning: { amount: '80000', currency: 'JPY' },
        approvalRequired: { amount: '100000', currency: 'JPY' },
        purchaseBlocked: { amount: '150000', currency: 'JPY' },
      },
    },
    answers: {
      200: {
        description: 'The link and its levels',
        schema: answers.creditLink,
        example: {
          partnerId: 'reseller-one',
          customerId: TENANT_ID,
          subscriptionId: SUBSCRIPTION_ID,
          levels: { warning: money('80000'), approvalRequired: money('100000'), purchaseBlocked: money('150000') },
          purchaseBlockedLevelSetAt: '2026-12-07T03:00:00.000Z',
        },
      },
    },
    errors: [403, 404, 409],
  },
  'GET /v1/partners/{partnerId}/customers': {
    operationId: 'listPartnerCustomers',
    summary: "The partner's customers in one table: credit state, levels, month to date",
    description:
      "One row per linked customer, from the credit position the partner's alerts and the purchase checks use, in the partner's months. `creditState` is the most severe level reached (or `ok`); a customer that cannot be rated (subscription gone, plan not in the catalog, not priced in the levels' currency) has a row with its levels and no figures. Amounts only: never the store fee or the payout.",
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    answers: {
      200: {
        description: "The partner's customers",
        schema: answers.partnerCustomers,
        example: {
          partnerId: 'reseller-one',
          asOf: '2026-12-07T03:00:00.000Z',
          timeZone: 'Asia/Tokyo',
          customers: [
            {
              subscriptionId: SUBSCRIPTION_ID,
              customerId: TENANT_ID,
              name: 'Contoso analytics',
              tenantId: TENANT_ID,
              offerId: 'contoso-analytics',
              planId: 'basic',
              status: 'Subscribed',
              creditState: 'warning',
              creditLevels: {
                warning: money('100000'),
                approvalRequired: money('150000'),
                purchaseBlocked: money('200000'),
              },
              provisionalCredit: money('120000'),
              monthToDate: money('104500'),
              largestMonthlyCharge: { ...money('120000'), month: '2026-09' },
              purchaseBlocked: false,
              pendingApprovals: [
                {
                  id: 'a-1',
                  planId: 'pro',
                  maxQuantity: null,
                  approvedAt: '2026-12-01T00:00:00.000Z',
                  expiresAt: '2026-12-31T00:00:00.000Z',
                },
              ],
            },
          ],
        },
      },
    },
    errors: [403, 404],
  },
  'POST /v1/partners/{partnerId}/customers/{subscriptionId}/purchase-block-release': {
    operationId: 'releasePurchaseBlock',
    summary: 'Release a month-start purchase block',
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    answers: {
      200: {
        description: 'The block released (and any block that still holds)',
        schema: answers.releasedPurchaseBlock,
        example: {
          subscriptionId: SUBSCRIPTION_ID,
          release: { at: '2026-12-07T03:00:00.000Z', by: 'partner:reseller-one' },
          released: {
            reason: 'monthStartCheck',
            amount: money('160000'),
            purchaseBlockedLevel: money('150000'),
            month: '2026-12',
            since: '2026-12-01T00:00:00.000Z',
          },
        },
      },
    },
    errors: [403, 404, 409],
  },
  'POST /v1/partners/{partnerId}/approvals': {
    operationId: 'approvePurchaseChange',
    summary: 'Approve a price-raising plan or seat change',
    tag: 'Partners',
    auth: 'apiKey',
    roles: ['publisher', 'partner'],
    body: {
      schema: approvalSchema,
      example: { subscriptionId: SUBSCRIPTION_ID, planId: 'premium', expiresAt: '2026-12-14T00:00:00+09:00' },
    },
    answers: {
      201: {
        description: 'The approval',
        schema: answers.approval,
        example: {
          id: 'apr-4f1c',
          partnerId: 'reseller-one',
          subscriptionId: SUBSCRIPTION_ID,
          planId: 'premium',
          approvedAt: '2026-12-07T03:00:00.000Z',
          expiresAt: '2026-12-13T15:00:00.000Z',
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/alerts': {
    operationId: 'listAlerts',
    summary: 'Alert history, newest first, in the caller’s scope',
    tag: 'Budgets and alerts',
    auth: 'apiKey',
    roles: ANY_KEY,
    query: alertHistoryQuerySchema,
    answers: {
      200: {
        description: 'One page of alerts',
        schema: answers.alertHistory,
        example: {
          alerts: [
            {
              key: `budget#${SUBSCRIPTION_ID}#2026-12#0.8`,
              recipient: `customer:${TENANT_ID}`,
              rule: 'budgetThreshold',
              threshold: '0.8',
              periodKey: '2026-12',
              severity: 'warning',
              subscriptionId: SUBSCRIPTION_ID,
              customerId: TENANT_ID,
              state: 'sent',
              createdAt: '2026-12-07T03:00:00.000Z',
              sentAt: '2026-12-07T03:00:01.000Z',
              locale: 'ja',
              subject: '予算の80%に達しました',
              sms: '予算の80%に達しました (Contoso analytics)',
              facts: { monthToDate: money('80000'), planned: money('100000') },
              deliveries: [
                { channel: 'email', address: 'it@customer.example', state: 'sent', at: '2026-12-07T03:00:02.000Z' },
                {
                  channel: 'sms',
                  address: '+819012345678',
                  state: 'held',
                  reason: 'pending',
                  at: '2026-12-07T03:00:02.000Z',
                },
              ],
            },
          ],
        },
      },
    },
    errors: [403],
  },
  'GET /v1/outbox': {
    operationId: 'listOutbox',
    summary: 'Alerts that would have gone by e-mail and SMS (local mode only)',
    tag: 'Budgets and alerts',
    auth: 'apiKey',
    roles: PUBLISHER,
    query: outboxQuerySchema,
    answers: {
      200: {
        description: 'The most recent messages',
        schema: answers.outbox,
        example: {
          messages: [
            {
              messageId: 'b9c1f2d0-0000-4000-8000-000000000003',
              sentAt: '2026-12-07T03:00:01.000Z',
              alertKey: `budget#${SUBSCRIPTION_ID}#2026-12#0.8`,
              recipient: `customer:${TENANT_ID}`,
              rule: 'budgetThreshold',
              threshold: '0.8',
              periodKey: '2026-12',
              severity: 'warning',
              subscriptionId: SUBSCRIPTION_ID,
              subject: 'Budget 80% reached',
              body: 'Contoso analytics has used 80% of its planned monthly amount.',
              sms: 'Budget 80% reached (Contoso analytics)',
            },
          ],
        },
      },
    },
    errors: [403, 404],
  },
  'GET /v1/reporting/runs': {
    operationId: 'listReportingRuns',
    summary: "The usage reporter's runs, newest first",
    tag: 'Reporting',
    auth: 'apiKey',
    roles: PUBLISHER,
    query: reportingRunsQuerySchema,
    answers: {
      200: {
        description: 'One page of runs',
        schema: answers.reportingRuns,
        example: {
          runs: [
            {
              runId: 'run-20261207T0300',
              trigger: 'schedule',
              startedAt: '2026-12-07T03:00:00.000Z',
              finishedAt: '2026-12-07T03:00:04.000Z',
              lastHour: '2026-12-07T01:00:00.000Z',
              backlog: 0,
              counts: {
                sent: 12,
                accepted: 12,
                duplicate: 0,
                folded: 0,
                unreportable: 0,
                errors: 0,
                rated: 12,
                calls: 1,
              },
              shards: [
                {
                  shard: 0,
                  state: 'finished',
                  backlog: 0,
                  startedAt: '2026-12-07T03:00:01.000Z',
                  finishedAt: '2026-12-07T03:00:04.000Z',
                  invocations: 1,
                  longestInvocationMs: 2900,
                  counts: {
                    sent: 12,
                    accepted: 12,
                    duplicate: 0,
                    folded: 0,
                    unreportable: 0,
                    errors: 0,
                    rated: 12,
                    calls: 1,
                  },
                },
              ],
            },
          ],
        },
      },
    },
    errors: [403],
  },
  'POST /v1/reporting/runs': {
    operationId: 'startReportingRun',
    summary: 'Start a reporting run now',
    tag: 'Reporting',
    auth: 'apiKey',
    roles: PUBLISHER,
    answers: {
      202: {
        description: 'The run is dispatched: follow it with GET /v1/reporting/runs',
        schema: answers.dispatchedRun,
        example: {
          runId: 'run-20261207T0312',
          startedAt: '2026-12-07T03:12:00.000Z',
          lastHour: '2026-12-07T02:00:00.000Z',
          shards: 8,
          backlog: 3,
          oldestUnreportedHour: '2026-12-07T01:00:00.000Z',
          oldestUnreportedAgeHours: 2.2,
        },
      },
    },
    errors: [403],
  },
  'GET /portal': {
    operationId: 'showPortalHome',
    summary: "The portal's home page (customers, partners, publisher administrators)",
    description:
      'An HTML shell for a browser: its script reads everything from `/v1` with the session cookie (docs/portal.md). ' +
      'Without a valid session, a redirect to sign in that comes back here. Served by the Portal function.',
    tag: 'Portal',
    auth: 'session',
    query: PORTAL_LANGUAGE,
    answers: {
      200: { description: 'The page', contentType: 'text/html', schema: z.string(), headers: PORTAL_PAGE_HEADERS },
      302: { description: 'No valid session: sign in first', headers: SIGN_IN_REDIRECT },
      500: PORTAL_FAILURE,
    },
  },
  'GET /portal/{proxy+}': {
    operationId: 'showPortalPage',
    summary: "A portal page (a subscription's, a partner's) or one of its bundled files",
    description:
      '`subscriptions/{subscriptionId}` and `partners/{partnerId}` are pages (HTML shells, as `GET /portal`, a ' +
      'session needed); `assets/{file}` is a content-hashed script, stylesheet or image, served without a session ' +
      'and cached for a year. Served by the Portal function.',
    tag: 'Portal',
    auth: 'session',
    pathParams: {
      proxy: z.string().meta({
        description:
          "The rest of the path, slashes included (API Gateway's greedy `{proxy+}`): `subscriptions/{subscriptionId}`, `partners/{partnerId}` or `assets/{file}`",
        example: 'subscriptions/a1b2c3d4-0000-4000-8000-000000000001',
      }),
    },
    query: PORTAL_LANGUAGE,
    answers: {
      200: {
        description:
          'The page (`text/html`), or the bundled file with its own content type (`text/javascript`, `text/css`, images)',
        contentType: 'text/html',
        schema: z.string(),
        headers: PORTAL_PAGE_HEADERS,
      },
      302: { description: 'A page asked for without a valid session: sign in first', headers: SIGN_IN_REDIRECT },
      404: {
        description: 'No such page (an HTML page with a link to the portal), or no such file (`text/plain`)',
        contentType: 'text/html',
        schema: z.string(),
      },
      500: PORTAL_FAILURE,
    },
  },
  'GET /auth/sign-in': {
    operationId: 'signIn',
    summary: 'Sign in with Microsoft',
    description:
      "Starts an OpenID Connect sign-in: sets a short-lived sign-in cookie (`mm_signin`, 10 minutes) and redirects to Microsoft's authorization endpoint, which comes back to `GET /auth/callback`. Served by the Portal function.",
    tag: 'Portal',
    auth: 'none',
    query: z.object({
      returnTo: z.string().optional().meta({
        description: 'Where to land after signing in: a path on this site (default `/portal`); anything else is 400',
        example: '/portal/subscriptions/a1b2c3d4-0000-4000-8000-000000000001',
      }),
    }),
    answers: {
      302: {
        description: "To Microsoft's sign-in page, with the sign-in cookie set",
        headers: z.object({
          location: z.string().meta({ description: "Microsoft's authorization endpoint" }),
          'set-cookie': z
            .string()
            .meta({ description: '`mm_signin=…; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax`' }),
        }),
      },
      400: {
        description: '`returnTo` is not a path on this site: a page saying so',
        contentType: 'text/html',
        schema: z.string(),
      },
      500: PORTAL_FAILURE,
    },
  },
  'GET /auth/callback': {
    operationId: 'completeSignIn',
    summary: 'Where Microsoft sends the browser back after signing in',
    description:
      'Checks the answer against the sign-in cookie (state, nonce, PKCE) and exchanges the code; then sets the session cookie and redirects to `returnTo`. The redirect URI registered on the sign-in app. Served by the Portal function.',
    tag: 'Portal',
    auth: 'none',
    answers: {
      302: {
        description: 'Signed in: to `returnTo`, with the session cookie set (one hour) and the sign-in cookie cleared',
        headers: z.object({
          location: z.string().meta({ description: 'The `returnTo` of the sign-in', example: '/portal' }),
          'set-cookie': z
            .string()
            .meta({ description: '`mm_session=…; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`' }),
        }),
      },
      401: {
        description:
          'The sign-in did not complete (no or expired sign-in cookie, a state of another sign-in, Microsoft refused): a page with a link to sign in again',
        contentType: 'text/html',
        schema: z.string(),
      },
      500: PORTAL_FAILURE,
    },
  },
  'POST /auth/sign-out': {
    operationId: 'signOut',
    summary: 'Sign out of the portal',
    description:
      "The portal's sign-out form: with a live session, the form's `csrfToken` (or the `X-CSRF-Token` header) and the same origin are required. Clears the session cookie; without a session, the same signed-out page. Served by the Portal function.",
    tag: 'Portal',
    auth: 'session',
    body: {
      schema: z.object({
        csrfToken: z.string().optional().meta({ description: 'The page\'s `<meta name="csrf-token">`' }),
      }),
      example: 'csrfToken=Q2hhbmdlZCBldmVyeSBzZXNzaW9uLCBuZXZlciByZXVzZWQ',
      contentType: 'application/x-www-form-urlencoded',
    },
    answers: {
      200: {
        description: 'Signed out: a page saying so, with the session cookie cleared',
        contentType: 'text/html',
        schema: z.string(),
        headers: z.object({ 'set-cookie': z.string().meta({ description: '`mm_session=; Max-Age=0; …`' }) }),
      },
      400: { description: 'The form is too large', contentType: 'text/html', schema: z.string() },
      403: {
        description: 'No or a wrong CSRF token, or another origin: the session is kept, the page says why',
        contentType: 'text/html',
        schema: z.string(),
      },
      500: PORTAL_FAILURE,
    },
  },
  'GET /landing': {
    operationId: 'showLandingPage',
    summary: "The offer's landing page: shows the purchase",
    description:
      'Microsoft sends the customer here with `?token=…` after a purchase and for "Manage account"; the token is ' +
      "resolved with Microsoft's Resolve API. HTML for a browser, not JSON. Served by the Landing function.",
    tag: 'Marketplace',
    auth: 'landingToken',
    query: landingQuerySchema,
    answers: {
      200: {
        description: 'The purchase (or the subscription’s state) and the Activate button',
        contentType: 'text/html',
        schema: z.string(),
      },
      400: {
        description: 'The link is not valid: how to get a fresh one',
        contentType: 'text/html',
        schema: z.string(),
      },
      500: {
        description: 'The page could not be shown: a reference to our logs',
        contentType: 'text/html',
        schema: z.string(),
      },
    },
  },
  'POST /landing': {
    operationId: 'activatePurchase',
    summary: 'Activate the purchase (the landing page form)',
    tag: 'Marketplace',
    auth: 'landingToken',
    body: {
      schema: landingFormSchema,
      example: 'token=AbC%2BdEf%2FgHi%3D',
      contentType: 'application/x-www-form-urlencoded',
    },
    answers: {
      200: { description: 'Activated: the subscription’s state', contentType: 'text/html', schema: z.string() },
      400: {
        description: 'The token is not valid: how to get a fresh one',
        contentType: 'text/html',
        schema: z.string(),
      },
      409: { description: 'The activation was refused: why', contentType: 'text/html', schema: z.string() },
      500: {
        description: 'The activation failed on our side: a reference to our logs',
        contentType: 'text/html',
        schema: z.string(),
      },
    },
  },
  'GET /contacts/confirm': {
    operationId: 'showContactConfirmation',
    summary: 'Confirm an alert address: the page',
    tag: 'Contacts',
    auth: 'none',
    query: contactTokenQuery,
    answers: contactPageAnswers('The Confirm button'),
  },
  'POST /contacts/confirm': {
    operationId: 'confirmContact',
    summary: 'Confirm an alert address (the page’s button)',
    tag: 'Contacts',
    auth: 'none',
    body: {
      schema: contactTokenForm,
      example: 'token=Y3xl.q8w2',
      contentType: 'application/x-www-form-urlencoded',
    },
    answers: contactPageAnswers('What happened'),
  },
  'GET /contacts/unsubscribe': {
    operationId: 'showContactUnsubscribe',
    summary: 'Stop alerts: the page',
    tag: 'Contacts',
    auth: 'none',
    query: contactTokenQuery,
    answers: contactPageAnswers('The Unsubscribe button'),
  },
  'POST /contacts/unsubscribe': {
    operationId: 'unsubscribeContact',
    summary: 'Stop alerts (the page’s button, or RFC 8058 one-click)',
    tag: 'Contacts',
    auth: 'none',
    query: contactTokenQuery,
    body: {
      schema: contactTokenForm,
      example: 'List-Unsubscribe=One-Click',
      contentType: 'application/x-www-form-urlencoded',
    },
    answers: contactPageAnswers('Unsubscribed: what stopped'),
  },
  'POST /webhook': {
    operationId: 'receiveMarketplaceWebhook',
    summary: "Microsoft's connection webhook",
    description:
      'Called by Microsoft only, with an Entra ID token issued to the marketplace for this app. The notification is ' +
      'confirmed with Get Operation before anything changes; an unknown action is acknowledged. Answered 500 on a ' +
      'transient failure so that Microsoft delivers it again. Served by the FulfillmentWebhook function.',
    tag: 'Marketplace',
    auth: 'entraBearer',
    body: {
      schema: webhookPayloadSchema,
      example: {
        id: '7d0d6b4e-0000-4000-8000-0000000000ff',
        activityId: '0c9c47a0-0000-4000-8000-000000000004',
        subscriptionId: SUBSCRIPTION_ID,
        publisherId: 'contoso',
        offerId: 'contoso-analytics',
        planId: 'premium',
        quantity: null,
        timeStamp: '2026-12-07T03:00:00.0000000Z',
        action: 'ChangePlan',
        status: 'InProgress',
        operationRequestSource: 'Azure',
      },
    },
    answers: {
      200: {
        description: 'Handled (applied, decided, or acknowledged without change): Microsoft stops retrying',
        schema: answers.webhookAnswer,
        example: { outcome: 'decided', detail: 'ChangePlan to premium accepted; PATCH queued' },
      },
    },
    errors: [413],
  },
};
