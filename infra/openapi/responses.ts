import { z } from 'zod';
import {
  allowanceResponseSchema,
  partnerCustomersResponseSchema,
  subscriptionListResponseSchema,
  usageSeriesResponseSchema,
} from '#functions/api/schema.ts';
import type { UsageAnswer } from '#functions/usage-ingest/answer.ts';
import type { Principal } from '#shared/domain/access.ts';
import { ALERT_RULES, type AlertRule } from '#shared/domain/alerts/alert.ts';
import { alertNotificationSchema } from '#shared/domain/alerts/alert-message.ts';
import type { CreditLink, Partner, PurchaseApproval } from '#shared/domain/alerts/settings.ts';
import { type Catalog, TERM_UNITS } from '#shared/domain/catalog.ts';
import type { DayPack, PrepaidTerm, RedeemedDayPack } from '#shared/domain/day-packs.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { ErrorBody } from '#shared/http/errors.ts';
import type { signedInMe } from '#shared/http/me.ts';
import type { CreatedApiKey } from '#shared/use-cases/access/create-api-key.ts';
import type { ApiKeyRecord } from '#shared/use-cases/access/ports/api-key-store.ts';
import type { AlertHistory } from '#shared/use-cases/alerts/list-alert-history.ts';
import type { OutboxMessage } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import type { ContactConfirmationAnswer } from '#shared/use-cases/alerts/request-contact-confirmation.ts';
import type { BudgetAnswer } from '#shared/use-cases/alerts/save-budget.ts';
import type { Entitlement } from '#shared/use-cases/billing/get-entitlement.ts';
import type { SubscriptionUsage } from '#shared/use-cases/billing/get-subscription-usage.ts';
import type { IssuedDayPack } from '#shared/use-cases/day-packs/issue-day-packs.ts';
import type { RedeemDayPackResult } from '#shared/use-cases/day-packs/redeem-day-pack.ts';
import type { WebhookResult } from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';
import type { AuditTrailPage } from '#shared/use-cases/fulfillment/list-subscription-audit.ts';
import type { PublisherOperationView } from '#shared/use-cases/fulfillment/request-subscription-change.ts';
import type { DispatchedRun } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type { ReportingRunPage } from '#shared/use-cases/metering/ports/reporting-runs.ts';
import type { HealthReport } from '#shared/use-cases/operations/check-health.ts';
import type { ReleasedPurchaseBlock } from '#shared/use-cases/partners/release-purchase-block.ts';
import type { PartnerAnswer } from '#shared/use-cases/partners/save-partner.ts';
import type { Allowance } from '#shared/use-cases/portal-data/get-allowance.ts';
import type { UsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import type { listDayPacks } from '#shared/use-cases/portal-data/list-day-packs.ts';
import type { PartnerCustomers } from '#shared/use-cases/portal-data/list-partner-customers.ts';
import type { listPartners } from '#shared/use-cases/portal-data/list-partners.ts';
import type { listSubscriptions } from '#shared/use-cases/portal-data/list-subscriptions.ts';
import { answerOf } from './json-of.ts';

/**
 * The answers of the HTTP routes as zod schemas, for the OpenAPI description (infra/openapi/document.ts). Each is
 * bound with `answerOf<UseCaseResult>()` to the type its use case returns, so a change on either side that is not
 * made on the other fails `tsc`; each `id` makes it a named component of the document. Examples are in
 * infra/openapi/operations.ts and are parsed with these schemas by test/unit/openapi.test.ts.
 */

const instant = z.iso.datetime({ offset: true });
const decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .meta({ description: 'A decimal number as a string' });
const money = z
  .object({ currency: z.string().meta({ description: 'ISO 4217 code' }), amount: decimal })
  .meta({ id: 'Money', description: 'An amount: a decimal string, never a JSON number (no float rounding)' });

export const errorBody = answerOf<ErrorBody>()(
  z
    .object({
      error: z.object({
        code: z.string().meta({ description: 'The error class, e.g. ValidationError, ForbiddenError, NotFoundError' }),
        message: z.string().meta({ description: 'What to fix (4xx); a generic text for 500' }),
        field: z.string().optional().meta({ description: 'The offending field, e.g. body.events[3].timestamp' }),
      }),
    })
    .meta({ id: 'Error', description: 'Every error answered by our functions (shared/http/errors.ts)' }),
);

const role = z.enum(['publisher', 'partner', 'customer']);

/** The signed-in user behind a portal session (absent for API keys). */
const principalUser = z
  .object({
    tenantId: z.string(),
    objectId: z.string(),
    name: z.string().optional(),
    email: z.string().optional(),
  })
  .optional();

export const principal = answerOf<Principal>()(
  z
    .discriminatedUnion('role', [
      z.object({ role: z.literal('publisher'), keyId: z.string(), user: principalUser }),
      z.object({ role: z.literal('partner'), keyId: z.string(), partnerId: z.string(), user: principalUser }),
      z.object({
        role: z.literal('customer'),
        keyId: z.string(),
        tenantId: z.string().optional(),
        subscriptionIds: z.array(z.string()),
        personalObjectId: z.string().optional().meta({
          description:
            'A signed-in personal Microsoft account: sees the subscriptions it is the beneficiary or purchaser of',
        }),
        user: principalUser,
      }),
    ])
    .meta({ id: 'Principal', description: 'The caller of the API key: its role and scope' }),
);

const signedInUser = z
  .object({ tenantId: z.string(), objectId: z.string(), name: z.string().optional(), email: z.string().optional() })
  .meta({ description: 'Who signed in: their Entra tenant and object id, name and e-mail when Microsoft gave them' });

/** `GET /v1/me` with the portal's session (shared/http/me.ts): no key id, the user instead. */
export const signedInCaller = answerOf<ReturnType<typeof signedInMe>>()(
  z
    .object({
      role,
      partnerId: z.string().optional().meta({ description: 'With role `partner`' }),
      tenantId: z
        .string()
        .optional()
        .meta({
          description:
            'With role `customer`: the tenant it sees (absent for a personal Microsoft account, which sees only the ' +
            'subscriptions it bought or uses)',
        }),
      user: signedInUser,
    })
    .meta({ id: 'SignedInCaller', description: "The signed-in user of the portal's session: role, scope and who" }),
);

/** `GET /v1/me`: the key's principal, or the signed-in user when the request came with the session cookie. */
export const caller = answerOf<Principal | ReturnType<typeof signedInMe>>()(
  z.union([principal, signedInCaller]).meta({ id: 'Caller' }),
);

export const health = answerOf<HealthReport & { status: 'ok' | 'degraded' }>()(
  z
    .object({
      status: z.enum(['ok', 'degraded']),
      healthy: z.boolean(),
      checks: z.record(
        z.string(),
        z.object({
          ok: z.boolean(),
          error: z.string().optional().meta({ description: 'Why a dependency is unreachable (the error name)' }),
          state: z
            .enum(['placeholder', 'expired', 'expiring', 'ready', 'unknownExpiry', 'unreadable'])
            .optional()
            .meta({ description: '`entraCredential` only: where the marketplace credential stands' }),
          expiresOn: z.string().optional().meta({ description: '`entraCredential`: when it stops working (UTC date)' }),
          daysLeft: z.number().int().optional().meta({ description: '`entraCredential`: whole days until then' }),
          message: z.string().optional().meta({ description: '`entraCredential`: what to do, with the command' }),
        }),
      ),
    })
    .meta({ id: 'Health' }),
);

const priceList = z.record(z.string(), decimal).meta({ description: 'Price by currency code' });
const termUnit = z.enum(TERM_UNITS);
const billingFrequency = z.enum(['monthly', 'upfront']);

export const catalog = answerOf<Catalog>()(
  z
    .object({
      storeFeeRate: decimal,
      offers: z.array(
        z.object({
          id: z.string(),
          displayName: z.string(),
          dimensions: z.array(z.object({ id: z.string(), displayName: z.string(), unitOfMeasure: z.string() })),
          plans: z.array(
            z.object({
              id: z.string(),
              displayName: z.string(),
              description: z.string().optional(),
              visibility: z.enum(['public', 'private']),
              audience: z.object({ tenantIds: z.array(z.string()), subscriptionIds: z.array(z.string()) }).optional(),
              customerPrices: z
                .array(
                  z.object({
                    tenantId: z.string().optional(),
                    subscriptionId: z.string().optional(),
                    terms: z.array(z.object({ termUnit, billingFrequency, price: priceList })).optional(),
                    dimensionPrices: z.record(z.string(), priceList).optional(),
                  }),
                )
                .optional(),
              pricingModel: z.enum(['flatRate', 'perUser']),
              minQuantity: z.number().optional(),
              maxQuantity: z.number().optional(),
              freeTrial: z.boolean(),
              autoActivation: z.boolean().optional(),
              billingTerms: z.array(
                z.object({
                  termUnit,
                  billingFrequency,
                  price: priceList,
                  includedQuantities: z.record(z.string(), z.union([decimal, z.literal('unlimited')])),
                }),
              ),
              meteredDimensions: z.array(z.object({ dimensionId: z.string(), pricePerUnit: priceList })),
            }),
          ),
        }),
      ),
    })
    .meta({ id: 'Catalog', description: 'Offers, plans and prices; private plans only to who may see them' }),
);

const apiKeyRecord = answerOf<Omit<ApiKeyRecord, 'secretHash'>>()(
  z
    .object({
      keyId: z.string(),
      name: z.string(),
      role,
      partnerId: z.string().optional(),
      tenantId: z.string().optional(),
      subscriptionIds: z.array(z.string()).optional(),
      createdAt: instant,
      revokedAt: instant.optional(),
    })
    .meta({ id: 'ApiKey', description: 'A key without its secret' }),
);

export const createdApiKey = answerOf<CreatedApiKey>()(
  z
    .object({
      token: z.string().meta({ description: 'The key (mmk_<key id>_<secret>): shown this once, store it now' }),
      record: apiKeyRecord,
    })
    .meta({ id: 'CreatedApiKey' }),
);

export const apiKeyList = answerOf<{ apiKeys: Omit<ApiKeyRecord, 'secretHash'>[] }>()(
  z.object({ apiKeys: z.array(apiKeyRecord) }).meta({ id: 'ApiKeyList' }),
);

const subscriptionStatus = z.enum(['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed']);
const party = z.object({ tenantId: z.string(), emailId: z.string().optional(), objectId: z.string().optional() });

export const subscription = answerOf<Subscription>()(
  z
    .object({
      id: z.string(),
      name: z.string().optional(),
      offerId: z.string(),
      planId: z.string(),
      quantity: z.number().optional(),
      status: subscriptionStatus,
      term: z.object({ startDate: z.string(), endDate: z.string(), termUnit }).optional(),
      unratedTermUnit: z.string().optional(),
      isFreeTrial: z.boolean(),
      beneficiary: party,
      purchaser: party,
      partnerId: z.string().optional(),
      timeline: z
        .array(
          z.object({
            from: z.string(),
            status: subscriptionStatus,
            planId: z.string(),
            quantity: z.number().optional(),
            sets: z.array(z.enum(['status', 'planId', 'quantity'])).optional(),
          }),
        )
        .optional(),
    })
    .meta({ id: 'Subscription', description: 'The stored subscription, as the marketplace last reported it' }),
);

const dayPackRedemption = z.object({
  subscriptionId: z.string(),
  redeemedAt: instant,
  termBefore: z.lazy(() => prepaidTerm).optional(),
  termAfter: z.lazy(() => prepaidTerm),
});

const prepaidTerm = answerOf<PrepaidTerm>()(
  z
    .object({
      subscriptionId: z.string(),
      productKey: z.string(),
      start: instant,
      end: instant,
      extensions: z.number().int(),
    })
    .meta({ id: 'PrepaidTerm' }),
);

const dayPack = answerOf<DayPack>()(
  z
    .object({
      codeHash: z.string(),
      productKey: z.string(),
      days: z.number().int(),
      partnerId: z.string().optional(),
      issuedAt: instant,
      redemption: dayPackRedemption.optional(),
    })
    .meta({ id: 'DayPack', description: 'A day pack (its code is never stored, only its hash)' }),
);

export const issuedDayPacks = answerOf<{ dayPacks: IssuedDayPack[] }>()(
  z
    .object({
      dayPacks: z.array(
        z.object({ code: z.string().meta({ description: 'The code: shown this once' }), pack: dayPack }),
      ),
    })
    .meta({ id: 'IssuedDayPacks' }),
);

const redeemedDayPack = answerOf<RedeemedDayPack>()(dayPack.extend({ redemption: dayPackRedemption }));

export const redemption = answerOf<RedeemDayPackResult>()(
  z
    .object({ outcome: z.enum(['extended', 'newTerm', 'alreadyRedeemed']), term: prepaidTerm, pack: redeemedDayPack })
    .meta({ id: 'DayPackRedemption' }),
);

export const prepaidTermView = answerOf<{ term: PrepaidTerm | null; redemptions: RedeemedDayPack[] }>()(
  z.object({ term: prepaidTerm.nullable(), redemptions: z.array(redeemedDayPack) }).meta({ id: 'PrepaidTermView' }),
);

const monthKey = z.string().regex(/^\d{4}-\d{2}$/);

export const subscriptionUsage = answerOf<SubscriptionUsage>()(
  z
    .object({
      subscriptionId: z.string(),
      currency: z.string(),
      currencies: z.array(z.string()).meta({
        description:
          'The currencies the usage can be shown (`?currency=`) and budgeted in: those every plan is priced in',
      }),
      timeZone: z.string(),
      asOf: instant,
      monthToDate: money,
      forecast: money.optional().meta({
        description: 'Month-end charges projected from the usage so far; absent until that usage spans 7 days',
      }),
      forecastBasis: z
        .object({ start: instant, end: instant })
        .optional()
        .meta({ description: 'The part of the month the forecast projects from' }),
      months: z.array(
        z.object({
          month: monthKey,
          complete: z.boolean(),
          total: money,
          flatFees: money,
          usageCharges: money,
          dimensions: z.array(
            z.object({
              dimensionId: z.string(),
              displayName: z.string(),
              unitOfMeasure: z.string(),
              quantity: decimal,
              overageQuantity: decimal,
              amount: money,
            }),
          ),
        }),
      ),
    })
    .meta({ id: 'SubscriptionUsage', description: 'Usage and money by month and dimension' }),
);

const purchaseBlockReason = z.enum([
  'monthStartCheck',
  'currentStatusCheck',
  'chargesOverLevel',
  'plannedAmountOverLevel',
]);

export const entitlement = answerOf<Entitlement>()(
  z
    .object({
      subscriptionId: z.string(),
      status: subscriptionStatus,
      entitled: z.boolean(),
      offerId: z.string(),
      planId: z.string(),
      quantity: z.number().nullable(),
      term: z.object({ startDate: z.string(), endDate: z.string(), termUnit }).nullable(),
      prepaidTermEnd: instant.nullable(),
      includedSince: instant.nullable(),
      included: z.array(
        z.object({
          dimension: z.string(),
          included: z.union([decimal, z.literal('unlimited')]),
          used: decimal,
          remaining: z.string(),
        }),
      ),
      purchaseBlocked: z.boolean(),
      purchaseBlock: z
        .object({
          reason: purchaseBlockReason,
          since: instant.nullable(),
          until: instant.nullable(),
          amount: money,
          purchaseBlockedLevel: money,
          month: monthKey.nullable(),
        })
        .nullable(),
      asOf: instant,
    })
    .meta({ id: 'Entitlement', description: 'May the subscription be used, on which plan, what is left' }),
);

const contacts = z.object({ emails: z.array(z.string()), phones: z.array(z.string()) });
const locale = z.enum(['ja', 'en']);

const contactState = z.object({
  channel: z.enum(['email', 'sms']),
  address: z.string(),
  status: z.enum(['pending', 'active', 'bounced', 'complained', 'optedOut', 'unknown']).meta({
    description: 'Alerts are sent to `active` contacts only (docs/alerts.md "Contacts")',
  }),
  since: instant.nullable().meta({ description: 'When the status was entered' }),
  mutedRules: z
    .array(z.enum(ALERT_RULES as [AlertRule, ...AlertRule[]]))
    .meta({ description: 'Rules the contact unsubscribed from one by one' }),
  reconfirmingFrom: z
    .enum(['bounced', 'complained', 'optedOut'])
    .optional()
    .meta({
      description:
        'On a `pending` contact asked to confirm again (docs/alerts.md "Asking again"): the status it had. It gets ' +
        'alerts again only once the person confirms',
    }),
});

const contactStates = z.array(contactState).meta({
  id: 'ContactStates',
  description: 'The delivery state of each contact, e-mails then phones (docs/alerts.md "Contacts")',
});

/** `POST …/contacts/{contact}/confirmation`: the contact's state after the request. */
export const contactConfirmation = answerOf<ContactConfirmationAnswer>()(
  contactState
    .extend({ confirmationSentAt: instant.meta({ description: 'When the confirmation message was sent' }) })
    .meta({ id: 'ContactConfirmation', description: 'A contact asked to confirm, and when the message went out' }),
);

export const budget = answerOf<BudgetAnswer>()(
  z
    .object({
      subscriptionId: z.string(),
      customerId: z.string(),
      plannedMonthlyAmount: money,
      thresholds: z.array(decimal),
      forecastAlert: z.boolean(),
      spikeMinimumAmount: money,
      timeZone: z.string(),
      locale,
      contacts,
      contactStates,
    })
    .meta({ id: 'Budget', description: 'A budget with its defaults applied and the state of its contacts' }),
);

const partnerFields = {
  id: z.string(),
  name: z.string(),
  tenantId: z.string(),
  locale,
  timeZone: z.string().optional(),
  contacts,
};

/** A partner in a list (no contact states: reading them for every row of a page is not worth it). */
const partnerSummary = answerOf<Partner>()(
  z.object(partnerFields).meta({ id: 'PartnerSummary', description: 'A partner as lists show it' }),
);

export const partner = answerOf<PartnerAnswer>()(z.object({ ...partnerFields, contactStates }).meta({ id: 'Partner' }));

const purchaseBlockRelease = z.object({ at: instant, by: z.string() });

export const creditLink = answerOf<CreditLink>()(
  z
    .object({
      partnerId: z.string(),
      customerId: z.string(),
      subscriptionId: z.string(),
      levels: z.object({ warning: money, approvalRequired: money, purchaseBlocked: money }),
      purchaseBlockedLevelSetAt: instant.optional(),
      purchaseBlockRelease: purchaseBlockRelease.optional(),
    })
    .meta({ id: 'CreditLink', description: "A reseller's customer and its three credit levels" }),
);

const purchaseBlock = z.object({
  reason: purchaseBlockReason,
  amount: money,
  purchaseBlockedLevel: money,
  month: monthKey.optional(),
  since: instant.optional(),
  until: instant.optional(),
});

export const releasedPurchaseBlock = answerOf<ReleasedPurchaseBlock>()(
  z
    .object({
      subscriptionId: z.string(),
      release: purchaseBlockRelease,
      released: purchaseBlock,
      stillBlocked: purchaseBlock.optional(),
    })
    .meta({ id: 'ReleasedPurchaseBlock' }),
);

export const approval = answerOf<PurchaseApproval>()(
  z
    .object({
      id: z.string(),
      partnerId: z.string(),
      subscriptionId: z.string(),
      planId: z.string().optional(),
      maxQuantity: z.number().int().optional(),
      approvedAt: instant,
      expiresAt: instant,
    })
    .meta({ id: 'PurchaseApproval' }),
);

const storedFact = z.union([z.string(), z.boolean(), z.object({ amount: z.string(), currency: z.string() })]);

export const alertHistory = answerOf<AlertHistory>()(
  z
    .object({
      alerts: z.array(
        z.object({
          key: z.string(),
          recipient: z.string(),
          rule: z.string(),
          threshold: z.string().optional(),
          periodKey: z.string(),
          severity: z.string(),
          subscriptionId: z.string(),
          customerId: z.string(),
          state: z.string(),
          createdAt: instant,
          sentAt: instant.optional(),
          locale: z.string(),
          subject: z.string(),
          sms: z.string(),
          facts: z.record(z.string(), storedFact),
          deliveries: z
            .array(
              z.object({
                channel: z.enum(['email', 'sms']),
                address: z.string(),
                state: z.enum(['sending', 'sent', 'held', 'retry', 'suppressed', 'failed']),
                reason: z.string().optional(),
                at: instant,
              }),
            )
            .meta({
              description:
                'Per contact of the recipient: sent (accepted by SES / End User Messaging for a confirmed contact), ' +
                'held (waiting for the contact to confirm), retry, suppressed or failed with the reason',
            }),
        }),
      ),
      nextCursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent at the end' }),
    })
    .meta({ id: 'AlertHistory' }),
);

export const outbox = answerOf<{ messages: OutboxMessage[] }>()(
  z
    .object({
      messages: z.array(
        alertNotificationSchema
          .omit({ customerId: true, facts: true })
          .extend({ messageId: z.string(), sentAt: instant }),
      ),
    })
    .meta({ id: 'Outbox', description: 'Alerts that would have gone by e-mail and SMS (local mode)' }),
);

const shardCounts = z.object({
  sent: z.number().int(),
  accepted: z.number().int(),
  duplicate: z.number().int(),
  folded: z.number().int(),
  unreportable: z.number().int(),
  errors: z.number().int(),
  rated: z.number().int(),
  calls: z.number().int(),
});

export const reportingRuns = answerOf<ReportingRunPage>()(
  z
    .object({
      runs: z.array(
        z.object({
          runId: z.string(),
          trigger: z.enum(['schedule', 'manual']),
          startedAt: instant,
          finishedAt: instant.optional(),
          lastHour: z.string(),
          oldestUnreportedHour: z.string().optional(),
          backlog: z.number().int(),
          counts: shardCounts,
          shards: z.array(
            z.object({
              shard: z.number().int(),
              state: z.enum(['queued', 'running', 'continued', 'finished', 'busy']),
              backlog: z.number().int(),
              startedAt: instant.optional(),
              finishedAt: instant.optional(),
              invocations: z.number().int(),
              longestInvocationMs: z.number(),
              oldestUnreportedHour: z.string().optional(),
              counts: shardCounts,
            }),
          ),
        }),
      ),
      nextCursor: z.string().optional(),
    })
    .meta({ id: 'ReportingRunPage' }),
);

export const dispatchedRun = answerOf<DispatchedRun>()(
  z
    .object({
      runId: z.string(),
      startedAt: instant,
      lastHour: z.string(),
      shards: z.number().int(),
      backlog: z.number().int(),
      oldestUnreportedHour: z.string().optional(),
      oldestUnreportedAgeHours: z.number(),
    })
    .meta({ id: 'DispatchedRun' }),
);

export const publisherOperation = answerOf<PublisherOperationView>()(
  z
    .object({
      subscriptionId: z.string(),
      operationId: z.string(),
      action: z.string(),
      status: z.string().meta({ description: "Microsoft's status: InProgress, Succeeded, Failed, Conflict, …" }),
      done: z.boolean(),
      errorMessage: z.string().optional(),
      appliedBy: z.enum(['operation', 'webhook']),
    })
    .meta({ id: 'PublisherOperation' }),
);

export const auditTrail = answerOf<AuditTrailPage>()(
  z
    .object({
      subscriptionId: z.string(),
      entries: z.array(
        z.object({
          at: instant,
          kind: z.enum(['webhook', 'marketplaceCall', 'landing', 'sync', 'publisherOperation']),
          what: z.string(),
          result: z.string(),
          requestId: z.string().optional(),
          correlationId: z.string().optional(),
        }),
      ),
      nextCursor: z.string().optional(),
    })
    .meta({ id: 'AuditTrailPage' }),
);

const usageRejectionReason = z.enum([
  'unknownSubscription',
  'notSubscribed',
  'unknownDimension',
  'invalidQuantity',
  'timestampInFuture',
  'timestampTooOld',
]);
const eventStatus = z.enum(['accepted', 'rejected', 'duplicate']);

export const usageAnswer = answerOf<UsageAnswer>()(
  z
    .union([
      z.object({
        accepted: z.number().int(),
        rejected: z.number().int(),
        duplicate: z.number().int(),
        results: z.array(
          z.object({
            index: z.number().int(),
            id: z.string().optional(),
            status: eventStatus,
            reason: usageRejectionReason.optional(),
            message: z.string().optional(),
          }),
        ),
      }),
      z.object({
        accepted: z.number().int(),
        rejected: z.number().int(),
        duplicate: z.number().int(),
        results: z.array(
          z.object({ index: z.number().int(), status: eventStatus, reason: usageRejectionReason.optional() }),
        ),
        explanations: z.record(z.string(), z.object({ index: z.number().int(), message: z.string() })),
        note: z.string(),
      }),
    ])
    .meta({
      id: 'UsageAnswer',
      description:
        'One result per event, in request order; the short form (with `explanations`) for very large answers',
    }),
);

export const webhookAnswer = answerOf<WebhookResult>()(
  z
    .object({
      outcome: z.enum([
        'applied',
        'decided',
        'rejected',
        'duplicate',
        'mismatch',
        'notApplied',
        'ignored',
        'unknownAction',
      ]),
      detail: z.string().optional(),
    })
    .meta({ id: 'WebhookAnswer' }),
);

// ---- The data API behind the portal (functions/api/usage-data-routes.ts, docs/usage-data.md) ----------------------
// The answer schemas of functions/api/schema.ts are the source of truth: bound here to the use cases' results and
// named, not copied.

const nextCursor = z.string().optional().meta({
  description: 'Pass as `cursor` for the next page; absent at the end (a page may be short and still have one)',
});

export const usageSeries = answerOf<UsageSeries>()(
  usageSeriesResponseSchema.meta({
    id: 'UsageSeries',
    description:
      "Per dimension, one point per bucket with its quantity and attributable usage charge (a calendar month's points add up to that month's amount in the monthly usage), and the flat fees falling due",
  }),
);

export const allowance = answerOf<Allowance>()(
  allowanceResponseSchema.meta({
    id: 'Allowance',
    description:
      'Per dimension of the plan in force, the included quantity, the usage of the current term, what remains and the overage',
  }),
);

export const partnerCustomers = answerOf<PartnerCustomers>()(
  partnerCustomersResponseSchema.meta({
    id: 'PartnerCustomers',
    description:
      "The partner's customers with their credit state, levels and figures (no figures on a row that cannot be rated)",
  }),
);

export const subscriptionPage = answerOf<Awaited<ReturnType<typeof listSubscriptions>>>()(
  subscriptionListResponseSchema.meta({ id: 'SubscriptionPage', description: 'One page of subscriptions' }),
);

export const partnerPage = answerOf<Awaited<ReturnType<typeof listPartners>>>()(
  z
    .object({ partners: z.array(partnerSummary), nextCursor })
    .meta({ id: 'PartnerPage', description: 'One page of partners' }),
);

export const dayPackPage = answerOf<Awaited<ReturnType<typeof listDayPacks>>>()(
  z
    .object({ dayPacks: z.array(dayPack), nextCursor })
    .meta({ id: 'DayPackPage', description: 'One page of day packs' }),
);
