/**
 * The `Marketplace` port over HTTP: Microsoft's SaaS Fulfillment API v2 and Metering API
 * (reference/marketplace-api.md §1, §4), with axios, axios-retry and a `TokenCredential` (`EntraClientCredential`, or any `@azure/identity` credential).
 *
 * The parts, one concern each:
 * - `marketplace-http-client.ts`: what every call shares (URL and api-version, token, `x-ms-*` ids, TLS, retries,
 *   logging, `onOutcome`, parsing the answer); `retry-policy.ts`, `access-token-cache.ts` and
 *   `marketplace-call-context.ts` hold its rules and state;
 * - `fulfillment-api-client.ts` and `metering-api-client.ts`: the operations of each API;
 * - `marketplace-error-mapping.ts`: HTTP status and error body → the port's errors;
 * - `marketplace-schemas.ts`: lenient parsing of what Microsoft sends.
 */
import type {
  AcceptedUsageEvent,
  ActivateSubscriptionRequest,
  AvailablePlan,
  BatchUsageEventResult,
  Marketplace,
  MarketplaceCallOptions,
  MarketplaceSubscription,
  OperationReference,
  OperationUpdateStatus,
  ReportedUsage,
  ResolvedSubscription,
  SaasOperation,
  SubscriptionPage,
  UsageEvent,
  UsageEventsQuery,
} from '#shared/use-cases/ports/marketplace.ts';
import { FulfillmentApiClient } from './fulfillment-api-client.ts';
import { MarketplaceHttpClient, type MarketplaceHttpClientOptions } from './marketplace-http-client.ts';
import { MeteringApiClient } from './metering-api-client.ts';

// Callers catch the port's errors and configure the client through this module, as they did before it was split.
export {
  MarketplaceBadRequestError,
  MarketplaceConflictError,
  MarketplaceError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceTokenError,
  MarketplaceUnavailableError,
  OperationWaitTimeoutError,
  UsageEventConflictError,
} from '#shared/use-cases/ports/marketplace-errors.ts';
export {
  DEFAULT_MARKETPLACE_BASE_URL,
  MARKETPLACE_API_VERSION,
  type MarketplaceLogger,
} from './marketplace-http-client.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';

/** How to reach and authenticate to the marketplace, retry, log; see `MarketplaceHttpClientOptions`. */
export type HttpMarketplaceOptions = MarketplaceHttpClientOptions;

/**
 * `Marketplace` over Microsoft's REST APIs: the fulfillment and metering operations, sent through one
 * `MarketplaceHttpClient` (one token cache, one keep-alive connection pool, one retry policy).
 *
 * Every call carries `api-version=2018-08-31`, a bearer token, a new `x-ms-requestid` per HTTP attempt and one
 * `x-ms-correlationid` per logical call, and is logged once with its outcome (§1.1). Retries (see `RetryPolicy`,
 * default 5 attempts within 30 s): 429, 5xx, timeouts and connection errors, with full-jitter exponential backoff and
 * `Retry-After` honoured; never another 4xx.
 */
export class HttpMarketplace implements Marketplace {
  private readonly fulfillment: FulfillmentApiClient;
  private readonly metering: MeteringApiClient;

  constructor(options: HttpMarketplaceOptions) {
    const http = new MarketplaceHttpClient(options);
    this.fulfillment = new FulfillmentApiClient(http);
    this.metering = new MeteringApiClient(http);
  }

  // ----- Fulfillment API v2 (§1.2) ------------------------------------------------------------------------------

  resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription> {
    return this.fulfillment.resolve(marketplaceToken, options);
  }

  activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    return this.fulfillment.activate(subscriptionId, request, options);
  }

  getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription> {
    return this.fulfillment.getSubscription(subscriptionId, options);
  }

  listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription> {
    return this.fulfillment.listSubscriptions(options);
  }

  listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage> {
    return this.fulfillment.listSubscriptionsPage(nextLink, options);
  }

  listAvailablePlans(
    subscriptionId: string,
    planId?: string,
    options?: MarketplaceCallOptions,
  ): Promise<AvailablePlan[]> {
    return this.fulfillment.listAvailablePlans(subscriptionId, planId, options);
  }

  changePlan(subscriptionId: string, planId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.fulfillment.changePlan(subscriptionId, planId, options);
  }

  changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    return this.fulfillment.changeQuantity(subscriptionId, quantity, options);
  }

  deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.fulfillment.deleteSubscription(subscriptionId, options);
  }

  listOutstandingOperations(subscriptionId: string, options?: MarketplaceCallOptions): Promise<SaasOperation[]> {
    return this.fulfillment.listOutstandingOperations(subscriptionId, options);
  }

  getOperation(subscriptionId: string, operationId: string, options?: MarketplaceCallOptions): Promise<SaasOperation> {
    return this.fulfillment.getOperation(subscriptionId, operationId, options);
  }

  updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    return this.fulfillment.updateOperation(subscriptionId, operationId, status, options);
  }

  // ----- Metering API (§4) ----------------------------------------------------------------------------------------

  postUsageEvent(event: UsageEvent, options?: MarketplaceCallOptions): Promise<AcceptedUsageEvent> {
    return this.metering.postUsageEvent(event, options);
  }

  postBatchUsageEvents(
    events: readonly UsageEvent[],
    options?: MarketplaceCallOptions,
  ): Promise<BatchUsageEventResult> {
    return this.metering.postBatchUsageEvents(events, options);
  }

  getUsageEvents(query: UsageEventsQuery, options?: MarketplaceCallOptions): Promise<ReportedUsage[]> {
    return this.metering.getUsageEvents(query, options);
  }
}
