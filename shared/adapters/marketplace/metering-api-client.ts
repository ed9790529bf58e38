/**
 * The operations of Microsoft's Metering API (reference/marketplace-api.md §4): post one usage event, post a batch,
 * and read back what was reported.
 *
 * The POSTs are not idempotent in HTTP terms, yet `MarketplaceHttpClient` retries them like the rest on purpose: the
 * marketplace accepts one event per resource + dimension + UTC hour (§4.3) and answers any further one with 409 /
 * `Duplicate` carrying the accepted event. So when an answer is lost (timeout, reset, 5xx after processing), the retry
 * cannot bill twice: it comes back `Duplicate`, and the caller counts a Duplicate whose `acceptedMessage.quantity`
 * equals its own as success. Not retrying would instead leave the hour unreported until the next run.
 */
import { ValidationError } from '#shared/domain/errors.ts';
import {
  type AcceptedUsageEvent,
  type BatchUsageEventResult,
  MAX_USAGE_EVENTS_PER_BATCH,
  type MarketplaceCallOptions,
  type ReportedUsage,
  type UsageEvent,
  type UsageEventsQuery,
} from '#shared/use-cases/ports/marketplace.ts';
import type { MarketplaceHttpClient } from './marketplace-http-client.ts';
import {
  acceptedUsageEventSchema,
  batchUsageEventResultSchema,
  reportedUsageListSchema,
} from './marketplace-schemas.ts';

/** The metering half of `HttpMarketplace`; see the `Marketplace` port for what each operation returns and throws. */
export class MeteringApiClient {
  constructor(private readonly http: MarketplaceHttpClient) {}

  async postUsageEvent(event: UsageEvent, options?: MarketplaceCallOptions): Promise<AcceptedUsageEvent> {
    const response = await this.http.call('postUsageEvent', options, {
      method: 'POST',
      url: this.http.url('usageEvent'),
      data: usageEventBody(event),
    });
    return this.http.parse(response, acceptedUsageEventSchema);
  }

  async postBatchUsageEvents(
    events: readonly UsageEvent[],
    options?: MarketplaceCallOptions,
  ): Promise<BatchUsageEventResult> {
    if (events.length < 1 || events.length > MAX_USAGE_EVENTS_PER_BATCH) {
      // §4.1: minItems 1, maxItems 25; Microsoft answers 400 otherwise. Fail before spending a call.
      throw new ValidationError(
        `A usage batch holds 1 to ${MAX_USAGE_EVENTS_PER_BATCH} events, got ${events.length}: split it`,
        'events',
      );
    }
    const response = await this.http.call('postBatchUsageEvents', options, {
      method: 'POST',
      url: this.http.url('batchUsageEvent'),
      data: { request: events.map(usageEventBody) },
    });
    return this.http.parse(response, batchUsageEventResultSchema);
  }

  async getUsageEvents(query: UsageEventsQuery, options?: MarketplaceCallOptions): Promise<ReportedUsage[]> {
    const params: Record<string, string | undefined> = {
      usageStartDate: query.usageStartDate,
      // Capital U in both the doc and the spec (§4.2).
      UsageEndDate: query.usageEndDate,
      offerId: query.offerId,
      planId: query.planId,
      dimension: query.dimension,
      azureSubscriptionId: query.azureSubscriptionId,
      reconStatus: query.reconStatus,
    };
    const response = await this.http.call('getUsageEvents', options, {
      method: 'GET',
      url: this.http.url('usageEvents', params),
    });
    return this.http.parse(response, reportedUsageListSchema);
  }
}

/** The body Microsoft expects for one event; only the documented fields are sent. */
function usageEventBody(event: UsageEvent): Record<string, unknown> {
  return {
    resourceId: event.resourceId,
    quantity: event.quantity,
    dimension: event.dimension,
    effectiveStartTime: event.effectiveStartTime,
    planId: event.planId,
  };
}
