import { randomUUID } from 'node:crypto';
import type { AuditLog } from '#shared/use-cases/ports/audit-log.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type {
  AcceptedUsageEvent,
  ActivateSubscriptionRequest,
  AvailablePlan,
  BatchUsageEventResult,
  Marketplace,
  MarketplaceCallOptions,
  MarketplaceCallOutcome,
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

/** Where a failed audit write is reported (the Powertools logger fits). */
export interface AuditFailureLogger {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

/**
 * The `Marketplace` port, recording every call made for a subscription in its audit trail (issue 4: "every marketplace
 * call made for a subscription (when, what, result, request ids)"). A decorator: it changes no call, only watches.
 *
 * Every call gets a correlation id (the caller's, or a new one) so the audit entry names the `x-ms-correlationid`
 * Microsoft saw, and the `x-ms-requestid` of its last attempt comes back through `onOutcome` (reference §1.1: the ids
 * support asks for). Calls not tied to one subscription (List Subscriptions, usage retrieval) are passed through.
 * Resolve is recorded under the subscription it resolves to; a failed Resolve names none and is only logged by the
 * client. An audit write that fails is logged and does not fail the call: the call has happened either way.
 */
export class AuditingMarketplace implements Marketplace {
  constructor(
    private readonly inner: Marketplace,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: AuditFailureLogger,
  ) {}

  resolve(marketplaceToken: string, options?: MarketplaceCallOptions): Promise<ResolvedSubscription> {
    return this.audited(
      'resolve',
      'resolve',
      (result) => (result ? [result.id] : []),
      options,
      (o) => this.inner.resolve(marketplaceToken, o),
    );
  }

  activate(
    subscriptionId: string,
    request: ActivateSubscriptionRequest,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    const seats = request.quantity === undefined ? '' : ` quantity ${request.quantity}`;
    return this.audited(
      'activate',
      `activate plan ${request.planId}${seats}`,
      () => [subscriptionId],
      options,
      (o) => this.inner.activate(subscriptionId, request, o),
    );
  }

  getSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<MarketplaceSubscription> {
    return this.audited(
      'getSubscription',
      'getSubscription',
      () => [subscriptionId],
      options,
      (o) => this.inner.getSubscription(subscriptionId, o),
    );
  }

  listSubscriptions(options?: MarketplaceCallOptions): AsyncIterable<MarketplaceSubscription> {
    return this.inner.listSubscriptions(options);
  }

  listSubscriptionsPage(nextLink?: string, options?: MarketplaceCallOptions): Promise<SubscriptionPage> {
    return this.inner.listSubscriptionsPage(nextLink, options);
  }

  listAvailablePlans(
    subscriptionId: string,
    planId?: string,
    options?: MarketplaceCallOptions,
  ): Promise<AvailablePlan[]> {
    return this.audited(
      'listAvailablePlans',
      'listAvailablePlans',
      () => [subscriptionId],
      options,
      (o) => this.inner.listAvailablePlans(subscriptionId, planId, o),
    );
  }

  changePlan(subscriptionId: string, planId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.audited(
      'changePlan',
      `changePlan to ${planId}`,
      () => [subscriptionId],
      options,
      (o) => this.inner.changePlan(subscriptionId, planId, o),
    );
  }

  changeQuantity(
    subscriptionId: string,
    quantity: number,
    options?: MarketplaceCallOptions,
  ): Promise<OperationReference> {
    return this.audited(
      'changeQuantity',
      `changeQuantity to ${quantity}`,
      () => [subscriptionId],
      options,
      (o) => this.inner.changeQuantity(subscriptionId, quantity, o),
    );
  }

  deleteSubscription(subscriptionId: string, options?: MarketplaceCallOptions): Promise<OperationReference> {
    return this.audited(
      'deleteSubscription',
      'deleteSubscription',
      () => [subscriptionId],
      options,
      (o) => this.inner.deleteSubscription(subscriptionId, o),
    );
  }

  listOutstandingOperations(subscriptionId: string, options?: MarketplaceCallOptions): Promise<SaasOperation[]> {
    return this.audited(
      'listOutstandingOperations',
      'listOutstandingOperations',
      () => [subscriptionId],
      options,
      (o) => this.inner.listOutstandingOperations(subscriptionId, o),
    );
  }

  getOperation(subscriptionId: string, operationId: string, options?: MarketplaceCallOptions): Promise<SaasOperation> {
    return this.audited(
      'getOperation',
      `getOperation ${operationId}`,
      () => [subscriptionId],
      options,
      (o) => this.inner.getOperation(subscriptionId, operationId, o),
    );
  }

  updateOperation(
    subscriptionId: string,
    operationId: string,
    status: OperationUpdateStatus,
    options?: MarketplaceCallOptions,
  ): Promise<void> {
    return this.audited(
      'updateOperation',
      `updateOperation ${operationId} ${status}`,
      () => [subscriptionId],
      options,
      (o) => this.inner.updateOperation(subscriptionId, operationId, status, o),
    );
  }

  postUsageEvent(event: UsageEvent, options?: MarketplaceCallOptions): Promise<AcceptedUsageEvent> {
    const what = `postUsageEvent ${event.dimension} ${event.effectiveStartTime} quantity ${event.quantity}`;
    return this.audited(
      'postUsageEvent',
      what,
      () => [event.resourceId],
      options,
      (o) => this.inner.postUsageEvent(event, o),
    );
  }

  postBatchUsageEvents(
    events: readonly UsageEvent[],
    options?: MarketplaceCallOptions,
  ): Promise<BatchUsageEventResult> {
    const resources = [...new Set(events.map((event) => event.resourceId))];
    return this.audited(
      'postBatchUsageEvents',
      `postBatchUsageEvents (${events.length} events)`,
      () => resources,
      options,
      (o) => this.inner.postBatchUsageEvents(events, o),
    );
  }

  getUsageEvents(query: UsageEventsQuery, options?: MarketplaceCallOptions): Promise<ReportedUsage[]> {
    return this.inner.getUsageEvents(query, options);
  }

  private async audited<T>(
    operation: string,
    what: string,
    subscriptionsOf: (result: T | undefined) => readonly string[],
    options: MarketplaceCallOptions | undefined,
    call: (options: MarketplaceCallOptions) => Promise<T>,
  ): Promise<T> {
    const correlationId = options?.correlationId ?? randomUUID();
    let outcome: MarketplaceCallOutcome | undefined;
    const observed: MarketplaceCallOptions = {
      ...options,
      correlationId,
      onOutcome: (reported) => {
        // Activate reports its own follow-up Get Subscription too; the entry is about the call asked for.
        if (reported.operation === operation || outcome === undefined) outcome = reported;
        options?.onOutcome?.(reported);
      },
    };
    try {
      const result = await call(observed);
      await this.record(subscriptionsOf(result), what, String(outcome?.status ?? 'ok'), outcome, correlationId);
      return result;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const code = (error as { code?: unknown }).code;
      const result = [name, outcome?.status, typeof code === 'string' ? code : undefined].filter(Boolean).join(' ');
      await this.record(subscriptionsOf(undefined), what, result, outcome, correlationId);
      throw error;
    }
  }

  private async record(
    subscriptionIds: readonly string[],
    what: string,
    result: string,
    outcome: MarketplaceCallOutcome | undefined,
    correlationId: string,
  ): Promise<void> {
    const at = this.clock.now();
    await Promise.all(
      subscriptionIds.map((subscriptionId) =>
        this.audit
          .record({
            subscriptionId,
            at,
            kind: 'marketplaceCall',
            what,
            result,
            ...(outcome?.requestId ? { requestId: outcome.requestId } : {}),
            correlationId: outcome?.correlationId ?? correlationId,
          })
          .catch((error: unknown) =>
            this.logger.warn('Audit entry of a marketplace call could not be written', {
              subscriptionId,
              what,
              result,
              correlationId,
              error,
            }),
          ),
      ),
    );
  }
}
