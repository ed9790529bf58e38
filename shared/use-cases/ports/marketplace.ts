/**
 * The Microsoft commercial marketplace as this system sees it: the eleven SaaS Fulfillment API v2 operations and the
 * Metering API (reference/marketplace-api.md §1, §4). Implemented over HTTP by `HttpMarketplace`
 * (`shared/adapters/marketplace/http-marketplace.ts`); use cases depend on this interface only, so tests can pass a fake.
 *
 * Every value here is what Microsoft sent after lenient parsing (§6.11): strings trimmed, `quantity` a number or
 * `undefined`, missing arrays empty, unknown fields dropped. Enumerations Microsoft may extend are typed as the known
 * values plus `string`, so a new value reaches the caller instead of failing the parse.
 *
 * The errors thrown by implementations are in `./marketplace-errors.ts`.
 *
 * Over 400 lines on purpose: it is types and their documentation only (eleven operations and their payloads, each
 * field with the Microsoft rule it carries); the port is read as one contract.
 */

/** A value Microsoft may extend: one of the documented `T`, or any other string it starts sending. */
export type Open<T extends string> = T | (string & {});

// ---------------------------------------------------------------------------------------------------------------
// Fulfillment API v2 (§1)
// ---------------------------------------------------------------------------------------------------------------

/** §1.3 `saasSubscriptionStatus`; the OpenAPI spec also lists `NotStarted`. */
export type SaasSubscriptionStatus =
  | 'PendingFulfillmentStart'
  | 'Subscribed'
  | 'Suspended'
  | 'Unsubscribed'
  | 'NotStarted';

/** §1.3 `term.termUnit` (P4Y/P5Y added to the spec in June 2025). */
export type MarketplaceTermUnit = 'P1M' | 'P1Y' | 'P2Y' | 'P3Y' | 'P4Y' | 'P5Y';

/** `beneficiary` (who uses it) or `purchaser` (who pays; differs for CSP purchases), §1.3. */
export interface MarketplaceParty {
  readonly emailId?: string;
  readonly objectId?: string;
  readonly tenantId?: string;
  readonly puid?: string;
}

/** §1.3 `term`: only meaningful while Subscribed or Suspended. `endDate` is the last valid day. */
export interface MarketplaceTerm {
  readonly startDate?: string;
  readonly endDate?: string;
  readonly termUnit?: Open<MarketplaceTermUnit>;
  /** Added to the spec in April 2025; kept as sent (as a string). */
  readonly chargeDuration?: string;
}

/** A SaaS subscription as the Fulfillment API returns it (Get / List / Resolve.subscription / webhook), §1.3. */
export interface MarketplaceSubscription {
  /** The SaaS subscription id; also the metering `resourceId`. */
  readonly id: string;
  readonly publisherId?: string;
  readonly offerId: string;
  readonly planId: string;
  readonly name?: string;
  /** Seats of a per-seat plan; `undefined` for flat-rate plans (Microsoft sends empty, null or nothing). */
  readonly quantity?: number;
  readonly saasSubscriptionStatus: Open<SaasSubscriptionStatus>;
  readonly beneficiary?: MarketplaceParty;
  readonly purchaser?: MarketplaceParty;
  readonly term?: MarketplaceTerm;
  /** Default true when absent. */
  readonly autoRenew: boolean;
  /** Absent means false. */
  readonly isFreeTrial: boolean;
  readonly isTest: boolean;
  /** `Read | Update | Delete`; CSP-initiated purchases give the beneficiary only `Read`. Absent → `[]`. */
  readonly allowedCustomerOperations: readonly Open<'Read' | 'Update' | 'Delete'>[];
  readonly sessionMode?: Open<'None' | 'DryRun'>;
  readonly sandboxType?: Open<'None' | 'Csp'>;
  readonly created?: string;
  /** May be `0001-01-01T00:00:00` (Microsoft's "never"). */
  readonly lastModified?: string;
}

/** Answer of Resolve (§1.2 #1): the purchase behind a landing-page token. */
export interface ResolvedSubscription {
  /** The SaaS subscription id: persist it. */
  readonly id: string;
  readonly subscriptionName?: string;
  readonly offerId: string;
  readonly planId: string;
  /** The doc sample sends `"20"`; empty for non-seat plans. */
  readonly quantity?: number;
  /** The full subscription; absent only if Microsoft leaves it out. */
  readonly subscription?: MarketplaceSubscription;
}

/** Body of Activate (§1.2 #2). `quantity` only for per-seat plans. */
export interface ActivateSubscriptionRequest {
  readonly planId: string;
  readonly quantity?: number;
}

/** One page of List Subscriptions (§1.2 #3). */
export interface SubscriptionPage {
  readonly subscriptions: readonly MarketplaceSubscription[];
  /** Full URL of the next page; `undefined` on the last page (Microsoft sends it empty or not at all). */
  readonly nextLink?: string;
}

/** One entry of `planComponents.recurrentBillingTerms[]` of List Available Plans, as sent (§1.2). */
export interface AvailablePlanBillingTerm {
  readonly currency?: string;
  /** As sent: Microsoft's samples use numbers, strings appear too; money is never re-computed here. */
  readonly price?: number | string;
  readonly termUnit?: string;
  readonly termDescription?: string;
  readonly meteredQuantityIncluded: readonly {
    readonly dimensionId?: string;
    /** A number, or `Unlimited`. */
    readonly units?: number | string;
  }[];
}

/** One entry of `planComponents.meteringDimensions[]` (§1.2). */
export interface AvailablePlanMeteringDimension {
  readonly id?: string;
  readonly currency?: string;
  readonly pricePerUnit?: number | string;
  readonly unitOfMeasure?: string;
  readonly displayName?: string;
}

/**
 * A plan the subscription may switch to (List Available Plans, §1.2 #5), in the payload's shape so that
 * `mapAvailablePlansToOffer` (`shared/adapters/catalog/available-plans-mapper.ts`) can read `{ plans }` as is.
 */
export interface AvailablePlan {
  readonly planId: string;
  readonly displayName?: string;
  readonly isPrivate: boolean;
  readonly description?: string;
  readonly minQuantity?: number | string;
  readonly maxQuantity?: number | string;
  readonly hasFreeTrials: boolean;
  readonly isPricePerSeat: boolean;
  readonly isStopSell: boolean;
  readonly market?: string;
  readonly planComponents: {
    readonly recurrentBillingTerms: readonly AvailablePlanBillingTerm[];
    readonly meteringDimensions: readonly AvailablePlanMeteringDimension[];
  };
  /** Identifies private offers. */
  readonly sourceOffers: readonly { readonly externalId?: string }[];
}

/** §1.2 operations `action`. */
export type SaasOperationAction = 'Unsubscribe' | 'ChangePlan' | 'ChangeQuantity' | 'Suspend' | 'Reinstate' | 'Renew';

/** §1.2 operations `status`. Conflict: the new plan or quantity equals the current one. */
export type SaasOperationStatus = 'NotStarted' | 'InProgress' | 'Succeeded' | 'Failed' | 'Conflict';

/** The statuses after which an operation never changes again (§1.2 "Change plan / change quantity"). */
export const TERMINAL_OPERATION_STATUSES: readonly SaasOperationStatus[] = ['Succeeded', 'Failed', 'Conflict'];

/** Whether an operation status is final. Unknown statuses count as not final, so polling continues until its bound. */
export function isTerminalOperationStatus(status: string): boolean {
  return (TERMINAL_OPERATION_STATUSES as readonly string[]).includes(status);
}

/** An asynchronous operation on a subscription (Get/List operations, webhook `id`), §1.2. */
export interface SaasOperation {
  readonly id: string;
  readonly activityId?: string;
  readonly subscriptionId: string;
  readonly offerId?: string;
  readonly publisherId?: string;
  /** ChangePlan: the new plan. */
  readonly planId?: string;
  /** ChangeQuantity: the new quantity. */
  readonly quantity?: number;
  readonly action: Open<SaasOperationAction>;
  readonly timeStamp?: string;
  readonly status: Open<SaasOperationStatus>;
  readonly errorStatusCode?: string;
  readonly errorMessage?: string;
  /** `Azure` (customer) or `Partner` (publisher API call); present on webhook payloads. */
  readonly operationRequestSource?: Open<'Azure' | 'Partner'>;
}

/** The asynchronous operation started by change plan / change quantity / delete (202 + `Operation-Location`). */
export interface OperationReference {
  readonly operationId: string;
  /** The full `Operation-Location` URL, as Microsoft sent it. */
  readonly operationLocation: string;
}

/** PATCH operation body value (§1.2 #11): note `Success`/`Failure`, not `Succeeded`/`Failed`. */
export type OperationUpdateStatus = 'Success' | 'Failure';

// ---------------------------------------------------------------------------------------------------------------
// Metering API (§4)
// ---------------------------------------------------------------------------------------------------------------

/** One usage event to report (§4.1 `UsageEvent`). */
export interface UsageEvent {
  /** SaaS: the SaaS subscription id (never the Azure subscription id, §6.10). */
  readonly resourceId: string;
  /** Units in that hour, > 0; decimals allowed. */
  readonly quantity: number;
  /** The dimension ID exactly as defined in Partner Center (case-sensitive). */
  readonly dimension: string;
  /** ISO 8601 UTC with `Z`, the start of the usage hour, at most 24 h in the past (§6.8, §6.9). */
  readonly effectiveStartTime: string;
  /** The plan active during that hour. */
  readonly planId: string;
}

/** The batch per-event statuses (§4.1 `StatusEnum`). */
export type UsageEventStatus =
  | 'Accepted'
  | 'Expired'
  | 'Duplicate'
  | 'Error'
  | 'ResourceNotFound'
  | 'ResourceNotAuthorized'
  | 'ResourceNotActive'
  | 'InvalidDimension'
  | 'InvalidQuantity'
  | 'BadArgument';

/** An event the marketplace accepted (single-event 200 body, or the original event behind a Duplicate). */
export interface AcceptedUsageEvent {
  readonly usageEventId?: string;
  /** `Accepted` on the 200 answer, `Duplicate` inside a 409 / Duplicate item. */
  readonly status: string;
  /** May be `0001-01-01T00:00:00` on Duplicate items. */
  readonly messageTime?: string;
  readonly resourceId?: string;
  readonly resourceUri?: string;
  readonly quantity?: number;
  readonly dimension?: string;
  readonly effectiveStartTime?: string;
  readonly planId?: string;
}

/** One entry of `details[]` of a marketplace error body. */
export interface MarketplaceErrorDetail {
  readonly code?: string;
  readonly message?: string;
  readonly target?: string;
}

/** The error object of a marketplace answer (400 body, 409 body, or `error` of a batch item). */
export interface MarketplaceErrorBody {
  readonly code?: string;
  readonly message?: string;
  readonly target?: string;
  readonly details: readonly MarketplaceErrorDetail[];
  /** On a 409 / Duplicate: the originally accepted event. */
  readonly acceptedMessage?: AcceptedUsageEvent;
}

/** The outcome of one event of a batch (§4.1). HTTP 200 does not mean every event was accepted. */
export interface UsageEventResult {
  /**
   * The per-event status. A status Microsoft adds later is reported as `Error` (retry, then alarm) with the value it
   * sent in `rawStatus`: retrying is safe, a re-sent event that was in fact accepted answers `Duplicate`.
   */
  readonly status: UsageEventStatus;
  /** Set only when Microsoft sent a status not in `UsageEventStatus`. */
  readonly rawStatus?: string;
  readonly usageEventId?: string;
  /** `0001-01-01T00:00:00` on Duplicate items. */
  readonly messageTime?: string;
  readonly resourceId?: string;
  readonly resourceUri?: string;
  readonly quantity?: number;
  readonly dimension?: string;
  readonly effectiveStartTime?: string;
  readonly planId?: string;
  readonly error?: MarketplaceErrorBody;
  /**
   * For `Duplicate`: the event accepted earlier for the same resource + dimension + hour (from
   * `error.additionalInfo.acceptedMessage`). When its quantity equals ours, ours was already billed (e.g. a retry
   * after a lost answer): count it as success.
   */
  readonly acceptedMessage?: AcceptedUsageEvent;
}

/** Answer of the batch call: one result per event sent. */
export interface BatchUsageEventResult {
  readonly count: number;
  readonly result: readonly UsageEventResult[];
}

/** Query of Retrieve usage events (§4.2). */
export interface UsageEventsQuery {
  /** Required; ISO 8601, e.g. `2020-12-03T15:00` or `2020-12-03`. */
  readonly usageStartDate: string;
  /** Defaults to today on Microsoft's side (sent as `UsageEndDate`, capital U). */
  readonly usageEndDate?: string;
  readonly offerId?: string;
  readonly planId?: string;
  readonly dimension?: string;
  readonly azureSubscriptionId?: string;
  readonly reconStatus?: Open<'Submitted' | 'Accepted' | 'Rejected' | 'Mismatch'>;
}

/** One row of Retrieve usage events: aggregated (per day in the doc samples), for reconciliation (§4.2). */
export interface ReportedUsage {
  readonly usageDate?: string;
  readonly usageResourceId?: string;
  readonly dimension?: string;
  readonly planId?: string;
  readonly planName?: string;
  readonly offerId?: string;
  readonly offerName?: string;
  readonly offerType?: string;
  readonly azureSubscriptionId?: string;
  readonly reconStatus?: Open<'Submitted' | 'Accepted' | 'Rejected' | 'Mismatch' | 'TestHeaders' | 'DryRun'>;
  readonly submittedQuantity?: number;
  readonly processedQuantity?: number;
  readonly submittedCount?: number;
}

/** The most events one batch call may carry (§4.1: `maxItems 25`; more gives HTTP 400). */
export const MAX_USAGE_EVENTS_PER_BATCH = 25;

// ---------------------------------------------------------------------------------------------------------------
// The port
// ---------------------------------------------------------------------------------------------------------------

/** Per-call options. */
export interface MarketplaceCallOptions {
  /**
   * Ties the calls of one logical operation together (`x-ms-correlationid`, §1.1), e.g. the webhook's operation id or
   * a metering run id. A new one is generated when absent.
   */
  readonly correlationId?: string;
  /** Aborts the call (and its retries). */
  readonly signal?: AbortSignal;
  /**
   * Told how the call ended, success or failure, with the ids Microsoft support asks for (§1.1); the audit trail
   * (`AuditingMarketplace`) records them. Called once per HTTP-level call (Activate's own check of a retried call
   * reports a second, `getSubscription`). Must not throw.
   */
  readonly onOutcome?: (outcome: MarketplaceCallOutcome) => void;
}

/** How one marketplace call ended, for logs and the audit trail. */
export interface MarketplaceCallOutcome {
  /** Our name of the operation, e.g. `getOperation`. */
  readonly operation: string;
  /** HTTP status of the last answer, when one arrived. */
  readonly status?: number;
  /** `x-ms-requestid` of the last attempt. */
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly attempts?: number;
}

/**
 * The marketplace's Fulfillment v2 and Metering APIs.
 *
 * Implementations retry throttling (429), server errors and network failures within a bound, then throw
 * `MarketplaceUnavailableError`. Common errors on every call (`./marketplace-errors.ts`):
 * `MarketplaceForbiddenError` (403: token of another app, §6.1), `MarketplaceTokenError` (no token could be obtained),
 * `MarketplaceUnavailableError`, `MarketplaceError` (any other unexpected answer).
 */
export interface Marketplace {
  /**
   * Resolves a landing-page token to its purchase (§1.2 #1). Pass the token **URL-decoded** (§6.2).
   * @throws MarketplaceBadRequestError when the token is malformed or expired (about 24 h life).
   * @throws MarketplaceNotFoundError
   */
  resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription>;

  /**
   * Activates a subscription: billing starts (§1.2 #2).
   * @throws MarketplaceBadRequestError when plan/quantity differ from the purchase or it is already Subscribed/Suspended.
   * @throws MarketplaceNotFoundError when the subscription is Unsubscribed.
   */
  activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void>;

  /**
   * One subscription (§1.2 #4).
   * @throws MarketplaceNotFoundError
   */
  getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription>;

  /**
   * Every subscription of every offer of the publisher, all statuses, following `@nextLink` to the last page
   * (§1.2 #3). Pages are fetched lazily as the caller iterates.
   */
  listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription>;

  /**
   * One page of List Subscriptions: the first when `nextLink` is absent, else the page it points to.
   * @throws MarketplaceError when `nextLink` points to another host than the configured API (never sends the token there).
   */
  listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage>;

  /**
   * Plans the subscription may switch to, the current one included (§1.2 #5); `planId` narrows to one plan.
   * An unknown subscription answers an empty body, i.e. `[]` (doc).
   * @throws MarketplaceNotFoundError
   */
  listAvailablePlans(
    subscriptionId: string,
    planId?: string,
    options?: MarketplaceCallOptions,
  ): Promise<AvailablePlan[]>;

  /**
   * Asks Microsoft to change the plan (§1.2 #6); only after the end user approved. Apply it on our side only when
   * the webhook arrives.
   * @throws MarketplaceBadRequestError (same plan, plan not available, not Subscribed, locked by a pending operation)
   * @throws MarketplaceNotFoundError
   */
  changePlan(subscriptionId: string, planId: string, options?: MarketplaceCallOptions): Promise<OperationReference>;

  /**
   * Asks Microsoft to change the seat count (§1.2 #7).
   * @throws MarketplaceBadRequestError (same quantity, out of the plan's range, not Subscribed)
   * @throws MarketplaceNotFoundError
   */
  changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference>;

  /**
   * Unsubscribes (§1.2 #8). Tear down on our side only after the webhook.
   * @throws MarketplaceBadRequestError when Delete is not in `allowedCustomerOperations`.
   * @throws MarketplaceNotFoundError
   */
  deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference>;

  /**
   * Pending operations of a subscription (§1.2 #9); `[]` when there are none.
   * @throws MarketplaceNotFoundError
   */
  listOutstandingOperations(subscriptionId: string, options?: MarketplaceCallOptions): Promise<SaasOperation[]>;

  /**
   * One operation (§1.2 #10). The live API was seen to answer 400 rather than 404 for an unknown id (§1.2 observed).
   * @throws MarketplaceNotFoundError
   * @throws MarketplaceBadRequestError
   */
  getOperation(subscriptionId: string, operationId: string, options?: MarketplaceCallOptions): Promise<SaasOperation>;

  /**
   * Acknowledges an operation (§1.2 #11): PATCH within 10 s for ChangePlan/ChangeQuantity.
   * @throws MarketplaceConflictError (409) when e.g. a newer update was already fulfilled.
   * @throws MarketplaceBadRequestError
   * @throws MarketplaceNotFoundError
   */
  updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void>;

  /**
   * Reports one usage event (§4.1).
   * @throws UsageEventConflictError (409) when an event was already accepted for that resource + dimension + hour;
   *   it carries the accepted event: equal quantity means ours was billed already.
   * @throws MarketplaceBadRequestError (400) for bad data, an event older than 24 h, or a subscription not Subscribed.
   */
  postUsageEvent(event: UsageEvent, options?: MarketplaceCallOptions): Promise<AcceptedUsageEvent>;

  /**
   * Reports 1–25 events in one call (§4.1); look at every `result[]` entry.
   * @throws ValidationError (before sending) when the batch is empty or has more than 25 events.
   * @throws MarketplaceBadRequestError
   */
  postBatchUsageEvents(events: readonly UsageEvent[], options?: MarketplaceCallOptions): Promise<BatchUsageEventResult>;

  /**
   * Usage as Microsoft recorded it, for reconciliation (§4.2).
   * @throws MarketplaceBadRequestError
   */
  getUsageEvents(query: UsageEventsQuery, options?: MarketplaceCallOptions): Promise<ReportedUsage[]>;
}
