/**
 * The operations of Microsoft's SaaS Fulfillment API v2 (reference/marketplace-api.md §1.2): resolve, activate, read
 * and list subscriptions, list available plans, change plan or quantity, cancel, and the subscription's operations.
 */
import { randomUUID } from 'node:crypto';
import type { AxiosRequestConfig } from 'axios';
import type {
  ActivateSubscriptionRequest,
  AvailablePlan,
  MarketplaceCallOptions,
  MarketplaceSubscription,
  OperationReference,
  OperationUpdateStatus,
  ResolvedSubscription,
  SaasOperation,
  SubscriptionPage,
} from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceBadRequestError, MarketplaceError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { callInfoOf, type MarketplaceHttpClient } from './marketplace-http-client.ts';
import {
  availablePlansSchema,
  operationSchema,
  operationsSchema,
  resolvedSubscriptionSchema,
  subscriptionPageSchema,
  subscriptionSchema,
} from './marketplace-schemas.ts';

/** The fulfillment half of `HttpMarketplace`; see the `Marketplace` port for what each operation returns and throws. */
export class FulfillmentApiClient {
  constructor(private readonly http: MarketplaceHttpClient) {}

  async resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription> {
    const response = await this.http.call('resolve', options, {
      method: 'POST',
      url: this.http.url('saas/subscriptions/resolve'),
      // §1.1: the token goes URL-decoded in this header; the caller decodes it exactly once (§6.2).
      headers: { 'x-ms-marketplace-token': marketplaceToken },
    });
    return this.http.parse(response, resolvedSubscriptionSchema);
  }

  async activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    const body = { planId: request.planId, ...(request.quantity === undefined ? {} : { quantity: request.quantity }) };
    try {
      await this.http.call('activate', options, {
        method: 'POST',
        url: this.subscriptionUrl(subscriptionId, 'activate'),
        data: body,
      });
    } catch (error) {
      // A retried Activate whose first answer was lost answers 400 "already Subscribed" (§1.2 #2). If the
      // subscription is now Subscribed on the plan asked for, the activation did happen: report success.
      if (error instanceof MarketplaceBadRequestError && (error.attempts ?? 1) > 1) {
        const subscription = await this.getSubscription(subscriptionId, options).catch(() => undefined);
        if (subscription?.saasSubscriptionStatus === 'Subscribed' && subscription.planId === request.planId) {
          return;
        }
      }
      throw error;
    }
  }

  async getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription> {
    const response = await this.http.call('getSubscription', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId),
    });
    return this.http.parse(response, subscriptionSchema);
  }

  async *listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription> {
    // One correlation id for every page: they are one logical operation.
    const pageOptions = { ...options, correlationId: options?.correlationId ?? randomUUID() };
    let nextLink: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.listSubscriptionsPage(nextLink, pageOptions);
      yield* page.subscriptions;
      nextLink = page.nextLink;
      // A server that hands out the same link again would otherwise loop forever.
      if (nextLink !== undefined && seen.has(nextLink)) {
        throw new MarketplaceError(`List Subscriptions returned the same @nextLink twice (${nextLink})`, {
          operation: 'listSubscriptions',
          correlationId: pageOptions.correlationId,
        });
      }
      if (nextLink !== undefined) seen.add(nextLink);
    } while (nextLink !== undefined);
  }

  async listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage> {
    const url = nextLink === undefined ? this.http.url('saas/subscriptions') : this.nextLinkUrl(nextLink, options);
    const response = await this.http.call('listSubscriptions', options, { method: 'GET', url });
    // §1.2 #3: "With no subscriptions the body is empty."
    return this.http.parse(response, subscriptionPageSchema);
  }

  async listAvailablePlans(
    subscriptionId: string,
    planId?: string,
    options?: MarketplaceCallOptions,
  ): Promise<AvailablePlan[]> {
    const response = await this.http.call('listAvailablePlans', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, 'listAvailablePlans', planId === undefined ? {} : { planId }),
    });
    return this.http.parse(response, availablePlansSchema).plans;
  }

  changePlan(subscriptionId: string, planId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    // One field per call: plan or quantity, never both (§1.2).
    return this.startOperation('changePlan', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId),
      data: { planId },
    });
  }

  changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    return this.startOperation('changeQuantity', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId),
      data: { quantity },
    });
  }

  deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.startOperation('deleteSubscription', options, {
      method: 'DELETE',
      url: this.subscriptionUrl(subscriptionId),
    });
  }

  async listOutstandingOperations(subscriptionId: string, options?: MarketplaceCallOptions): Promise<SaasOperation[]> {
    const response = await this.http.call('listOutstandingOperations', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, 'operations'),
    });
    return this.http.parse(response, operationsSchema).operations;
  }

  async getOperation(
    subscriptionId: string,
    operationId: string,
    options?: MarketplaceCallOptions,
  ): Promise<SaasOperation> {
    const response = await this.http.call('getOperation', options, {
      method: 'GET',
      url: this.subscriptionUrl(subscriptionId, `operations/${encodeURIComponent(operationId)}`),
    });
    return this.http.parse(response, operationSchema);
  }

  async updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    await this.http.call('updateOperation', options, {
      method: 'PATCH',
      url: this.subscriptionUrl(subscriptionId, `operations/${encodeURIComponent(operationId)}`),
      data: { status },
    });
  }

  private subscriptionUrl(
    subscriptionId: string,
    suffix?: string,
    params?: Record<string, string | undefined>,
  ): string {
    const path = `saas/subscriptions/${encodeURIComponent(subscriptionId)}${suffix ? `/${suffix}` : ''}`;
    return this.http.url(path, params);
  }

  /** `@nextLink` is a full URL (§1.2 #3); follow it only on our API's origin, so the bearer token goes nowhere else. */
  private nextLinkUrl(nextLink: string, options?: MarketplaceCallOptions): string {
    let url: URL;
    try {
      url = new URL(nextLink, this.http.baseUrl);
    } catch (cause) {
      throw new MarketplaceError(
        `List Subscriptions returned an unreadable @nextLink: ${nextLink}`,
        { operation: 'listSubscriptions', correlationId: options?.correlationId },
        { cause },
      );
    }
    if (url.origin !== this.http.baseUrl.origin) {
      throw new MarketplaceError(
        `List Subscriptions returned a @nextLink on another host (${url.origin}, expected ${this.http.baseUrl.origin}); not followed`,
        { operation: 'listSubscriptions', correlationId: options?.correlationId },
      );
    }
    return this.http.url(url.href);
  }

  private async startOperation(
    operation: string,
    options: MarketplaceCallOptions | undefined,
    request: AxiosRequestConfig,
  ): Promise<OperationReference> {
    const response = await this.http.call(operation, options, request);
    // §1.2 #6–8: 202 + `Operation-Location: …/saas/subscriptions/<subId>/operations/<opId>?api-version=…`.
    const location = response.headers['operation-location'];
    const operationId = typeof location === 'string' ? operationIdOf(location) : undefined;
    if (typeof location !== 'string' || operationId === undefined) {
      throw new MarketplaceError(
        `Marketplace answered ${operation} with ${response.status} but no usable Operation-Location header ` +
          `(${String(location)}); list the subscription's outstanding operations to find it`,
        callInfoOf(response, operation),
      );
    }
    return { operationId, operationLocation: location };
  }
}

/** The operation id: the last path segment of `Operation-Location`. */
export function operationIdOf(location: string): string | undefined {
  let path: string;
  try {
    path = new URL(location, 'https://placeholder.invalid').pathname;
  } catch {
    return undefined;
  }
  const match = /\/operations\/([^/]+)\/?$/.exec(path);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}
