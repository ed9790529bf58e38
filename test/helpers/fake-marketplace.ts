import { randomUUID } from 'node:crypto';
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
} from '#shared/use-cases/ports/marketplace.ts';
import {
  MarketplaceBadRequestError,
  MarketplaceConflictError,
  MarketplaceNotFoundError,
} from '#shared/use-cases/ports/marketplace-errors.ts';

/**
 * The `Marketplace` port in memory, for use-case tests: subscriptions, operations and landing tokens the test sets up,
 * with the documented answers (Resolve 400 for an unknown token, Activate 400 when already Subscribed, PATCH 409 once
 * an operation is final). `failNext` makes a method throw; every call is recorded with its options.
 */
export class FakeMarketplace implements Marketplace {
  readonly subscriptions = new Map<string, MarketplaceSubscription>();
  readonly operations = new Map<string, SaasOperation>();
  readonly tokens = new Map<string, string>();
  readonly calls: { method: string; args: unknown[]; options?: MarketplaceCallOptions }[] = [];
  private readonly failures = new Map<string, Error[]>();

  /** A subscription Microsoft knows, PendingFulfillmentStart on plan `basic` unless overridden. */
  addSubscription(overrides: Partial<MarketplaceSubscription> = {}): MarketplaceSubscription {
    const tenantId = randomUUID();
    const subscription: MarketplaceSubscription = {
      id: randomUUID(),
      offerId: 'contoso-analytics',
      planId: 'basic',
      saasSubscriptionStatus: 'PendingFulfillmentStart',
      beneficiary: { tenantId, emailId: 'user@customer.example' },
      purchaser: { tenantId, emailId: 'buyer@customer.example' },
      term: { termUnit: 'P1M' },
      autoRenew: true,
      isFreeTrial: false,
      isTest: false,
      allowedCustomerOperations: ['Read', 'Update', 'Delete'],
      ...overrides,
    };
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  /** A landing token for a subscription. */
  issueToken(subscriptionId: string, token = `tok+${randomUUID()}/x==`): string {
    this.tokens.set(token, subscriptionId);
    return token;
  }

  /** An operation Microsoft knows (InProgress unless overridden). */
  addOperation(operation: Partial<SaasOperation> & Pick<SaasOperation, 'subscriptionId' | 'action'>): SaasOperation {
    const created: SaasOperation = {
      id: randomUUID(),
      status: 'InProgress',
      timeStamp: new Date().toISOString(),
      ...operation,
    };
    this.operations.set(created.id, created);
    return created;
  }

  /** Makes the next call of `method` throw `error` (queue several by calling again). */
  failNext(method: keyof Marketplace, error: Error): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  callsOf(method: keyof Marketplace) {
    return this.calls.filter((call) => call.method === method);
  }

  async resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription> {
    this.enter('resolve', [marketplaceToken], options);
    const subscriptionId = this.tokens.get(marketplaceToken);
    const subscription = subscriptionId ? this.subscriptions.get(subscriptionId) : undefined;
    if (!subscription)
      throw new MarketplaceBadRequestError('token is not valid', { operation: 'resolve', status: 400 });
    return {
      id: subscription.id,
      subscriptionName: subscription.name ?? 'Contoso subscription',
      offerId: subscription.offerId,
      planId: subscription.planId,
      ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
      subscription: structuredClone(subscription),
    };
  }

  async activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    this.enter('activate', [subscriptionId, request], options);
    const subscription = this.requireSubscription(subscriptionId, 'activate');
    if (subscription.saasSubscriptionStatus === 'Unsubscribed') {
      throw new MarketplaceNotFoundError('not found', { operation: 'activate', status: 404 });
    }
    if (subscription.saasSubscriptionStatus !== 'PendingFulfillmentStart' || request.planId !== subscription.planId) {
      throw new MarketplaceBadRequestError('cannot activate', { operation: 'activate', status: 400 });
    }
    this.subscriptions.set(subscriptionId, {
      ...subscription,
      saasSubscriptionStatus: 'Subscribed',
      term: { termUnit: 'P1M', startDate: '2026-01-15T00:00:00Z', endDate: '2026-02-14T00:00:00Z' },
    });
  }

  async getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription> {
    this.enter('getSubscription', [subscriptionId], options);
    return structuredClone(this.requireSubscription(subscriptionId, 'getSubscription'));
  }

  async getOperation(
    subscriptionId: string,
    operationId: string,
    options?: MarketplaceCallOptions,
  ): Promise<SaasOperation> {
    this.enter('getOperation', [subscriptionId, operationId], options);
    const operation = this.operations.get(operationId);
    if (!operation || operation.subscriptionId !== subscriptionId) {
      throw new MarketplaceNotFoundError('operation not found', { operation: 'getOperation', status: 404 });
    }
    return structuredClone(operation);
  }

  async updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    this.enter('updateOperation', [subscriptionId, operationId, status], options);
    const operation = this.operations.get(operationId);
    if (!operation || operation.subscriptionId !== subscriptionId) {
      throw new MarketplaceNotFoundError('operation not found', { operation: 'updateOperation', status: 404 });
    }
    if (operation.status !== 'InProgress') {
      throw new MarketplaceConflictError('already completed', { operation: 'updateOperation', status: 409 });
    }
    this.operations.set(operationId, { ...operation, status: status === 'Success' ? 'Succeeded' : 'Failed' });
    const subscription = this.subscriptions.get(subscriptionId);
    if (status === 'Success' && subscription) {
      if (operation.action === 'ChangePlan' && operation.planId) {
        this.subscriptions.set(subscriptionId, { ...subscription, planId: operation.planId });
      }
      if (operation.action === 'ChangeQuantity' && operation.quantity !== undefined) {
        this.subscriptions.set(subscriptionId, { ...subscription, quantity: operation.quantity });
      }
      if (operation.action === 'Reinstate') {
        this.subscriptions.set(subscriptionId, { ...subscription, saasSubscriptionStatus: 'Subscribed' });
      }
    }
  }

  /** Every subscription, in pages of `pageSize` (List Subscriptions follows `@nextLink`, §1.2 #3). */
  async *listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription> {
    let nextLink: string | undefined;
    do {
      const page = await this.listSubscriptionsPage(nextLink, options);
      yield* page.subscriptions;
      nextLink = page.nextLink;
    } while (nextLink);
  }

  pageSize = 100;

  async listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage> {
    this.enter('listSubscriptionsPage', [nextLink], options);
    const offset = nextLink ? Number(new URL(nextLink).searchParams.get('continuationToken')) : 0;
    const all = [...this.subscriptions.values()];
    const next = offset + this.pageSize < all.length ? offset + this.pageSize : undefined;
    return {
      subscriptions: structuredClone(all.slice(offset, offset + this.pageSize)),
      ...(next === undefined
        ? {}
        : { nextLink: `https://marketplace.example/saas/subscriptions?continuationToken=${next}` }),
    };
  }
  async listAvailablePlans(): Promise<AvailablePlan[]> {
    throw new Error('not used by these tests');
  }
  /** Publisher-initiated changes (§1.2 rows 6–8): an InProgress `Partner` operation; the test decides how it ends. */
  async changePlan(
    subscriptionId: string,
    planId: string,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    this.enter('changePlan', [subscriptionId, planId], options);
    return this.startPartnerOperation(subscriptionId, 'ChangePlan', { planId });
  }
  async changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    this.enter('changeQuantity', [subscriptionId, quantity], options);
    return this.startPartnerOperation(subscriptionId, 'ChangeQuantity', { quantity });
  }
  async deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    this.enter('deleteSubscription', [subscriptionId], options);
    return this.startPartnerOperation(subscriptionId, 'Unsubscribe', {});
  }

  private startPartnerOperation(
    subscriptionId: string,
    action: 'ChangePlan' | 'ChangeQuantity' | 'Unsubscribe',
    target: { planId?: string; quantity?: number },
  ): OperationReference {
    this.requireSubscription(subscriptionId, action);
    const operation = this.addOperation({ subscriptionId, action, operationRequestSource: 'Partner', ...target });
    return {
      operationId: operation.id,
      operationLocation: `https://marketplace.example/saas/subscriptions/${subscriptionId}/operations/${operation.id}`,
    };
  }
  async listOutstandingOperations(): Promise<SaasOperation[]> {
    throw new Error('not used by these tests');
  }
  async postUsageEvent(): Promise<AcceptedUsageEvent> {
    throw new Error('not used by these tests');
  }
  async postBatchUsageEvents(): Promise<BatchUsageEventResult> {
    throw new Error('not used by these tests');
  }
  async getUsageEvents(): Promise<ReportedUsage[]> {
    throw new Error('not used by these tests');
  }

  private enter(method: keyof Marketplace, args: unknown[], options?: MarketplaceCallOptions): void {
    this.calls.push({ method, args, ...(options ? { options } : {}) });
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }

  private requireSubscription(subscriptionId: string, operation: string): MarketplaceSubscription {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new MarketplaceNotFoundError('subscription not found', { operation, status: 404 });
    return subscription;
  }
}
